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
