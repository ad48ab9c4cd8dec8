"""A silent customer's life, with the clock moved by hand: reminders on the right days, only
in the customer's working hours, then an escalation to the sellers; and a customer who
accepts between reminders gets no further reminder."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.bootstrap import build_scheduler
from storage.models import Order
from storage.states import SupervisionState
from tests.conftest import NOW
from tests.e2e.test_deliver_command import blocks_text
from tests.factories import CUSTOMER, SELLER, TEAMMATE, make_awaiting_acceptance, make_order


def work(box):
    """One worker pass, then the outbox is sent (what `deliverybot worker --once` does)."""
    result = build_scheduler(box.services, holder="test-worker").run_due()
    box.settle()
    return result


def delivery_message(box) -> tuple[str, str]:
    """The customer's delivery DM, as the acceptance work would have sent it."""
    _, data, _ = box.slack.handle(
        "chat.postMessage",
        {"channel": CUSTOMER, "text": "Order 12345 was delivered"},
        box.slack.token,
    )
    return data["channel"], data["ts"]


def submitted_order(box, session, **kw):
    order = make_order(session, "12345", **kw)
    delivery = make_awaiting_acceptance(
        session, order, now=NOW, delivery_message=delivery_message(box), files=("sow.pdf",)
    )
    session.commit()
    return order, delivery


def reminders_seen(box) -> list:
    return [
        m for m in box.slack.dms(CUSTOMER) if "friendly reminder" in m.text + blocks_text(m.blocks)
    ]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_silent_customer_in_new_york_is_reminded_on_days_1_3_7_at_9am_then_the_sellers_hear(
    box, session, clock, customer
):
    # Submitted Monday 10:00 UTC, 05:00 in New York.
    submitted_order(box, session)
    work(box)
    assert reminders_seen(box) == []

    clock.set(utc(2026, 2, 3, 13, 59))  # day 1, 08:59 in New York: not yet
    work(box)
    assert reminders_seen(box) == []

    clock.set(utc(2026, 2, 3, 14, 0))  # 09:00 in New York
    work(box)
    [first] = reminders_seen(box)
    shown = blocks_text(first.blocks)
    assert "order *12345*" in shown and "1 day ago" in shown
    assert "https://fake.slack.com/archives/DUCUSTOMER/p" in shown  # links to the delivery
    assert [label for label in ("Accept", "Request changes") if customer.find_button(label, first)]

    clock.set(utc(2026, 2, 5, 13, 0))  # day 3 but 08:00 there
    work(box)
    assert len(reminders_seen(box)) == 1
    clock.set(utc(2026, 2, 5, 14, 0))
    work(box)
    assert len(reminders_seen(box)) == 2
    assert box.slack.dms(SELLER) == []

    clock.set(utc(2026, 2, 9, 14, 30))  # day 7 is Monday 9 Feb, 09:30 there
    work(box)
    assert len(reminders_seen(box)) == 3
    for seller in (SELLER, TEAMMATE):
        [escalation] = box.slack.dms(seller)
        shown = blocks_text(escalation.blocks)
        assert "waited 7 days" in shown and "3 reminders" in shown
        assert "Alex Buyer" in shown and "admin@buyer.example" in shown
        assert f"<@{CUSTOMER}>" in shown and "America/New_York" in shown
        assert box.person(seller).find_button("Remind again now", escalation)
        assert box.person(seller).find_button("Initiate appeal", escalation)

    clock.advance(days=30)  # nothing more, ever
    work(box)
    assert len(reminders_seen(box)) == 3 and len(box.slack.dms(SELLER)) == 1


def test_a_customer_in_tokyo_is_reminded_at_9am_tokyo_time(box, session, clock):
    box.slack.users[CUSTOMER].tz = "Asia/Tokyo"
    submitted_order(box, session)  # Monday 19:00 in Tokyo
    work(box)

    clock.set(utc(2026, 2, 3, 14, 0))  # Tuesday 23:00 in Tokyo: a day has passed, but night
    work(box)
    assert reminders_seen(box) == []
    clock.set(utc(2026, 2, 4, 0, 0))  # Wednesday 09:00 in Tokyo
    work(box)
    assert len(reminders_seen(box)) == 1

    clock.set(utc(2026, 2, 6, 0, 0))  # Friday 09:00: day 3's reminder
    work(box)
    assert len(reminders_seen(box)) == 2
    clock.set(utc(2026, 2, 9, 23, 0))  # day 7 fell on Monday evening: Tuesday 08:00, too early
    work(box)
    assert len(reminders_seen(box)) == 2
    clock.set(utc(2026, 2, 10, 0, 0))
    work(box)
    assert len(reminders_seen(box)) == 3


def test_a_customer_who_accepts_between_reminders_gets_no_further_reminder(
    box, session, clock, customer
):
    order, _ = submitted_order(box, session)
    work(box)
    clock.set(utc(2026, 2, 3, 15, 0))
    work(box)
    [reminder] = reminders_seen(box)

    customer.clicks("Accept", reminder)  # the reminder's own button

    with box.session_factory() as check:
        assert check.get(Order, order.id).state is SupervisionState.COMPLETED
    for day in (5, 9, 16):
        clock.set(utc(2026, 2, day, 15, 0))
        work(box)
    assert len(reminders_seen(box)) == 1
    assert not any("not responding" in m.text for m in box.slack.dms(SELLER))


def test_the_seller_can_remind_again_now_and_a_double_click_sends_one(box, session, clock, seller):
    submitted_order(box, session)
    clock.set(utc(2026, 2, 9, 14, 30))
    work(box)  # all three reminders were due: the last one escalates
    assert len(reminders_seen(box)) == 1  # each job sends once, the plan skipped none
    escalation = box.slack.dms(SELLER)[-1]

    seller.clicks("Remind again now", escalation)
    seller.clicks("Remind again now", escalation)
    work(box)

    assert len(reminders_seen(box)) == 2
    assert "remind the customer of order 12345 again in a moment" in seller.responses()[-1]["text"]


def test_remind_again_outside_working_hours_waits_for_the_customers_morning(
    box, session, clock, seller
):
    submitted_order(box, session)
    clock.set(utc(2026, 2, 9, 14, 30))
    work(box)
    clock.set(utc(2026, 2, 10, 2, 0))  # 21:00 in New York
    seller.clicks("Remind again now", box.slack.dms(SELLER)[-1])
    assert "9:00" in seller.responses()[-1]["text"] or "09:00" in seller.responses()[-1]["text"]
    work(box)
    assert len(reminders_seen(box)) == 1
    clock.set(utc(2026, 2, 10, 14, 0))
    work(box)
    assert len(reminders_seen(box)) == 2


def test_an_unreachable_customer_escalates_at_once(box, session, clock):
    order = make_order(session, "12345", customer_user_id=None, customer_email="gone@buyer.example")
    make_awaiting_acceptance(session, order, now=NOW, delivery_message=None)
    session.commit()

    work(box)

    [escalation] = box.slack.dms(SELLER)
    shown = blocks_text(escalation.blocks)
    assert "can't reach the customer" in shown and "gone@buyer.example" in shown
    assert reminders_seen(box) == []


def test_a_reminder_that_cannot_be_delivered_escalates(box, session, clock):
    submitted_order(box, session)
    box.slack.users[CUSTOMER].deleted = True
    clock.set(utc(2026, 2, 3, 15, 0))
    work(box)  # the reminder fails for good (account_inactive) ...
    work(box)  # ... and the next pass tells the sellers
    assert any("can't reach the customer" in blocks_text(m.blocks) for m in box.slack.dms(SELLER))


def test_auto_acceptance_is_announced_in_the_last_reminder_before_it(
    box, session, clock, database_url, engine, tmp_path, loopback
):
    from bot.demo.sandbox import Sandbox

    with Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path,
        engine=engine,
        server=loopback,
        DELIVERYBOT_AUTO_ACCEPT_DAYS="5",
    ) as auto_box:
        auto_box.slack.users = box.slack.users
        order, _ = submitted_order(auto_box, session)
        work(auto_box)
        clock.set(utc(2026, 2, 5, 15, 0))  # day 3: the last reminder before day 5
        work(auto_box)
        last = auto_box.slack.dms(CUSTOMER)[-1]
        assert "accepted automatically on" in blocks_text(last.blocks)

        clock.set(utc(2026, 2, 7, 10, 0))  # day 5, a Saturday: acceptance needs no office
        work(auto_box)
        with auto_box.session_factory() as check:
            done = check.get(Order, order.id)
            assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"
            assert done.validity_start == utc(2026, 2, 7, 10, 0)
        assert "accepted automatically" in auto_box.slack.dms(SELLER)[-1].text
        delivered = auto_box.slack.dms(CUSTOMER)[0]  # updated in place: no buttons any more
        assert "Accepted automatically after 5 days" in blocks_text(delivered.blocks)
        assert not any(b["type"] == "actions" for b in delivered.blocks)


def test_sellers_get_a_daily_digest_at_8am_in_their_own_zone_on_working_days(box, session, clock):
    from tests.factories import make_product

    promised = make_product(session, "FAST", name="FastVPN", delivery_days=3)
    unstated = make_product(session, "SLOW", name="SlowVPN")
    make_order(session, "LATE1", product=promised, placed_at=utc(2026, 1, 20, 9, 0))
    make_order(session, "ONTIME", product=promised, placed_at=utc(2026, 2, 1, 9, 0))
    make_order(session, "NOPROMISE", product=unstated, placed_at=utc(2025, 12, 1, 9, 0))
    make_order(
        session, "OTHERS", product=promised, placed_at=utc(2026, 1, 2, 9, 0), sellers=("USOMEONE",)
    )
    session.commit()
    work(box)  # Monday 10:00 UTC: 11:00 in Paris, 19:00 in Tokyo
    assert box.slack.dms(SELLER) == [] and box.slack.dms(TEAMMATE) == []

    clock.set(utc(2026, 2, 2, 23, 0))  # Tuesday 08:00 in Tokyo, still night in Paris
    work(box)
    assert len(box.slack.dms(TEAMMATE)) == 1 and box.slack.dms(SELLER) == []

    clock.set(utc(2026, 2, 3, 7, 0))  # Tuesday 08:00 in Paris
    work(box)
    [digest] = box.slack.dms(SELLER)
    shown = blocks_text(digest.blocks)
    assert "*LATE1* – FastVPN: 10 days past the stated delivery time" in shown
    assert "ONTIME" not in shown and "NOPROMISE" not in shown and "OTHERS" not in shown
    for hour in (8, 9, 10):  # the rest of the morning: one digest a day
        clock.set(utc(2026, 2, 3, hour, 0))
        work(box)
    assert len(box.slack.dms(SELLER)) == 1 and len(box.slack.dms(TEAMMATE)) == 1

    clock.set(utc(2026, 2, 7, 7, 0))  # Saturday 08:00 in Paris: no digest at the weekend
    work(box)
    assert len(box.slack.dms(SELLER)) == 1

    with box.session_factory() as other:  # delivered: nothing is late any more
        for order in other.exec(select(Order).where(Order.order_no != "OTHERS")):
            order.state = SupervisionState.AWAITING_ACCEPTANCE
        other.commit()
    clock.set(utc(2026, 2, 9, 7, 0))
    work(box)
    assert len(box.slack.dms(SELLER)) == 1  # an empty digest is not sent


def test_with_the_real_delivery_message_the_reminder_links_to_it(box, session, clock, tmp_path):
    from bot.supervision import reminders
    from tests.factories import make_submitted_delivery

    order = make_order(session, "12345")
    make_submitted_delivery(session, order, now=NOW, files_dir=tmp_path / "files")
    reminders.schedule_for_acceptance(session, order=order, now=NOW)
    session.commit()
    box.settle()
    [delivered] = box.slack.dms(CUSTOMER)

    clock.set(utc(2026, 2, 3, 14, 0))
    work(box)

    [reminder] = reminders_seen(box)
    ts = delivered.ts.replace(".", "")
    assert f"https://fake.slack.com/archives/{delivered.channel}/p{ts}" in blocks_text(
        reminder.blocks
    )


def calls_under_write_lock(box, database_url) -> list[str]:
    """The Slack methods called from now on while someone held SQLite's write lock (filled in
    as Slack receives each call). Skips the test on PostgreSQL, which has no such lock."""
    import sqlite3

    import pytest

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL locks only the rows it writes")
    path = database_url.removeprefix("sqlite:///")
    locked_during: list[str] = []

    def probe(method):
        def check(_args) -> bool:  # never fails the call
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError:
                locked_during.append(method)
            finally:
                other.close()
            return False

        return check

    for method in (
        "users.info",
        "users.lookupByEmail",
        "chat.getPermalink",
        "conversations.members",
        "usergroups.users.list",
        "chat.postMessage",
        "chat.update",
        "views.open",
    ):
        box.slack.fail(method, "never", times=10**6, when=probe(method))
    return locked_during


def test_the_worker_never_asks_slack_while_holding_sqlites_write_lock(
    box, session, clock, database_url
):
    locked_during = calls_under_write_lock(box, database_url)
    message = delivery_message(box)
    # a customer and a seller known only by e-mail: both must be looked up on Slack
    order = make_order(session, "12345", customer_user_id=None, sellers=(SELLER, "tea@isv.example"))
    make_awaiting_acceptance(session, order, now=NOW, delivery_message=message)
    session.commit()

    for day in (2, 3, 5, 9):  # 10:00 in New York: the plan, three reminders, the escalation
        clock.set(utc(2026, 2, day, 15, 0))
        work(box)

    assert len(reminders_seen(box)) == 3
    assert "https://fake.slack.com/archives/" in blocks_text(reminders_seen(box)[0].blocks)
    assert "America/New_York" in blocks_text(box.slack.dms(TEAMMATE)[-1].blocks)
    assert {c.method for c in box.slack.calls} >= {"users.lookupByEmail", "chat.getPermalink"}
    assert locked_during == []


def test_asking_for_changes_stops_the_reminders_at_once(box, session, clock, customer):
    from bot.core.ids import BlockId
    from bot.supervision.views.customer import REASON_INPUT

    submitted_order(box, session)
    work(box)
    clock.set(utc(2026, 2, 3, 15, 0))
    work(box)
    [reminder] = reminders_seen(box)

    customer.clicks("Request changes", reminder)
    customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "Wrong seat count."}}})

    for day in (5, 9, 16):
        clock.set(utc(2026, 2, day, 15, 0))
        work(box)
    assert len(reminders_seen(box)) == 1
    assert not any("not responding" in m.text for m in box.slack.dms(SELLER))


def test_a_seller_named_by_user_id_and_by_email_hears_once(box, session, clock, customer):
    """Sam is on the order twice, as SELLER and as sam@isv.example, and has never used the
    bot (nothing cached): one person, one escalation."""
    submitted_order(box, session, sellers=(SELLER, "sam@isv.example"))

    for day in (2, 3, 5, 9):
        clock.set(utc(2026, 2, day, 15, 0))
        work(box)

    escalations = [m for m in box.slack.dms(SELLER) if "not responding" in m.text]
    assert len(escalations) == 1


def test_a_long_digest_lists_the_longest_waiting_and_counts_the_rest(box, session, clock):
    from bot.supervision.digest import SHOWN
    from tests.factories import make_product

    promised = make_product(session, "FAST", name="FastVPN", delivery_days=3)
    for n in range(SHOWN + 5):
        make_order(session, f"L{n:03d}", product=promised, placed_at=utc(2026, 1, 1 + n, 9, 0))
    session.commit()
    work(box)  # Monday 11:00 in Paris: too late for today's

    clock.set(utc(2026, 2, 3, 7, 0))  # Tuesday 08:00 in Paris
    work(box)

    [digest] = box.slack.dms(SELLER)
    shown = blocks_text(digest.blocks)
    assert "*L000*" in shown and f"*L{SHOWN - 1:03d}*" in shown  # the longest-waiting first
    assert f"L{SHOWN:03d}" not in shown and "…and 5 more" in shown
    assert digest.text.startswith(f"{SHOWN + 5} order(s)")


def test_a_refused_remind_again_holds_up_no_one_while_slack_takes_the_reply(
    box, session, clock, seller
):
    """The refusal goes out once its transaction is over: inside it, the request would keep
    SQLite's write lock, and its turn, for as long as Slack takes the reply."""
    from tests.e2e.test_deliver_command import listed_while_a_reply_is_held

    submitted_order(box, session)
    clock.set(utc(2026, 2, 9, 14, 30))
    work(box)
    escalation = box.slack.dms(SELLER)[-1]
    box.slack.add_user("USTRANGER", "stan")
    stranger = box.person("USTRANGER")

    _, took = listed_while_a_reply_is_held(
        box, seller, lambda: stranger.clicks("Remind again now", escalation)
    )

    assert took < 5
    assert "isn't one of yours" in stranger.responses()[-1]["text"]
    assert len(reminders_seen(box)) == 1
