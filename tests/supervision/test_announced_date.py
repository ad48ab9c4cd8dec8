"""An automatic acceptance never comes sooner than announced, nor sooner than a day after the
announcement reached the customer (a notice or reminder the outbox sent late)."""

from datetime import UTC, datetime

from bot.supervision.announcements import announced_date
from storage.models import OutboxMessage, OutboxStatus
from tests.factories import make_order


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sent(session, order, step: str, *, on: datetime, at: datetime) -> None:
    session.add(
        OutboxMessage(
            key=f"reminder:{order.id}:{order.round}:{step}",
            method="chat.postMessage",
            meta={"purpose": "reminder", "announces_auto_accept": on.isoformat()},
            status=OutboxStatus.SENT,
            due_at=at,
            created_at=at,
            sent_at=at,
            order_id=order.id,
        )
    )
    session.flush()


def test_the_latest_date_named_and_a_day_after_the_first_announcement(session):
    order = make_order(session, "12345", round=1)
    assert announced_date(session, order) is None

    sent(session, order, "notice", on=utc(2026, 2, 3, 10, 0), at=utc(2026, 2, 2, 16, 0))
    assert announced_date(session, order) == utc(2026, 2, 3, 16, 0)  # sent 6 hours late

    sent(session, order, "1", on=utc(2026, 2, 4, 14, 0), at=utc(2026, 2, 3, 14, 0))
    assert announced_date(session, order) == utc(2026, 2, 4, 14, 0)

    order.round = 2  # another round's announcements do not count
    assert announced_date(session, order) is None


def test_announcements_of_a_cadence_planned_before_a_rejected_appeal_do_not_count(session):
    """The old cadence announced 7 Feb; operations rejected an appeal on 6 Feb and the new
    cadence's acceptance (11 Feb) is not announced yet: the customer was not told of it."""
    from bot.supervision.announcements import customer_was_told
    from tests.factories import make_awaiting_acceptance

    order = make_order(session, "12345")
    make_awaiting_acceptance(session, order, now=utc(2026, 2, 2, 10, 0))
    sent(session, order, "2", on=utc(2026, 2, 7, 10, 0), at=utc(2026, 2, 5, 14, 0))
    decided = utc(2026, 2, 6, 12, 0)

    assert customer_was_told(session, order) is True
    assert customer_was_told(session, order, decided) is False
    assert announced_date(session, order, decided) is None
    sent(session, order, "appeal-1-2", on=utc(2026, 2, 11, 12, 0), at=utc(2026, 2, 9, 14, 0))
    assert customer_was_told(session, order, decided) is True
    assert announced_date(session, order, decided) == utc(2026, 2, 11, 12, 0)
