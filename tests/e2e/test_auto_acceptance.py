"""Automatic acceptance (when a deployment turns it on) only for a customer who got the delivery
and the reminder announcing it: never for one Slack could not reach."""

from __future__ import annotations

import pytest

from bot.demo.sandbox import Sandbox
from bot.supervision import reminders
from storage.models import Order
from storage.states import SupervisionState
from tests.conftest import NOW
from tests.e2e.test_deliver_command import blocks_text
from tests.e2e.test_reminders import reminders_seen, submitted_order, utc, work
from tests.factories import CUSTOMER, SELLER, make_order, make_submitted_delivery


def auto_sandbox(box, clock, database_url, engine, tmp_path, loopback, days: str) -> Sandbox:
    """A second bot on the same database, accepting automatically after `days`, whose Slack
    knows `box`'s people."""
    sandbox = Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path,
        engine=engine,
        server=loopback,
        DELIVERYBOT_AUTO_ACCEPT_DAYS=days,
    )
    sandbox.slack.users = box.slack.users
    return sandbox


@pytest.fixture
def auto_box(box, clock, database_url, engine, tmp_path, loopback):
    """The bot with automatic acceptance after 5 days, and the usual people on Slack."""
    with auto_sandbox(box, clock, database_url, engine, tmp_path, loopback, "5") as sandbox:
        yield sandbox


def state_of(auto_box, order) -> Order:
    with auto_box.session_factory() as check:
        return check.get(Order, order.id)


def test_a_customer_whose_account_is_gone_is_never_accepted_automatically(auto_box, session, clock):
    auto_box.slack.users[CUSTOMER].deleted = True
    order = make_order(session, "12345", customer_channel=None)
    make_submitted_delivery(session, order, now=NOW)  # the delivery DM cannot be sent
    reminders.schedule_for_acceptance(session, order=order, now=NOW)
    session.commit()
    work(auto_box)  # the reminders and the automatic acceptance are planned, then the DM fails
    work(auto_box)  # the sellers hear
    assert any(
        "can't reach the customer" in blocks_text(m.blocks) for m in auto_box.slack.dms(SELLER)
    )

    clock.set(utc(2026, 2, 7, 10, 30))  # day 5
    work(auto_box)

    assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE
    assert not any("accepted automatically" in m.text for m in auto_box.slack.dms(SELLER))


def test_an_announcing_reminder_that_cannot_be_delivered_stops_the_automatic_acceptance(
    auto_box, session, clock
):
    order, _ = submitted_order(auto_box, session)
    work(auto_box)
    auto_box.slack.users[CUSTOMER].deleted = True  # left the company after the delivery
    clock.set(utc(2026, 2, 5, 15, 0))  # day 3: the reminder announcing day 5 fails
    work(auto_box)
    work(auto_box)

    clock.set(utc(2026, 2, 7, 10, 30))
    work(auto_box)

    assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE


def test_an_automatic_acceptance_before_the_first_reminder_is_announced_with_the_delivery(
    box, session, clock, database_url, engine, tmp_path, loopback
):
    """After 1 day, before any reminder (days 1, 3, 7 at 9:00 in New York) could announce it a
    day ahead: a notice follows the delivery message at once, and the acceptance comes on time."""
    with auto_sandbox(box, clock, database_url, engine, tmp_path, loopback, "1") as auto_box:
        order, _ = submitted_order(auto_box, session)  # Mon 2 Feb 10:00 UTC
        work(auto_box)
        notice = auto_box.person(CUSTOMER).dms()[-1]
        shown = blocks_text(notice.blocks)
        assert "will be accepted automatically on" in shown and "3 Feb 2026" in shown
        assert auto_box.person(CUSTOMER).find_button("Accept", notice)

        clock.set(utc(2026, 2, 3, 9, 59))
        work(auto_box)
        assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE
        clock.set(utc(2026, 2, 3, 10, 0))
        work(auto_box)

        done = state_of(auto_box, order)
        assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"
        assert done.validity_start == utc(2026, 2, 3, 10, 0)
        assert reminders_seen(auto_box) == []  # the day-1 reminder had nothing left to ask


def test_a_notice_that_cannot_be_delivered_stops_the_automatic_acceptance(
    box, session, clock, database_url, engine, tmp_path, loopback
):
    with auto_sandbox(box, clock, database_url, engine, tmp_path, loopback, "1") as auto_box:
        order, _ = submitted_order(auto_box, session)
        auto_box.slack.users[CUSTOMER].deleted = True  # left right after the delivery
        work(auto_box)  # the notice fails for good ...
        work(auto_box)  # ... and the sellers hear
        assert any(
            "can't reach the customer" in blocks_text(m.blocks) for m in auto_box.slack.dms(SELLER)
        )
        clock.set(utc(2026, 2, 3, 10, 30))
        work(auto_box)
        assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE


def test_a_late_announcing_reminder_gives_the_customer_a_day_before_automatic_acceptance(
    box, session, clock, database_url, engine, tmp_path, loopback
):
    """Auto-accept after 5 days, announced by the day-3 reminder (reminders on days 1, 3, 10);
    the worker is down from day 2 until Monday 9 Feb, past the 5 days: the reminder announces
    a date a day ahead, and the order is accepted then, not minutes after the reminder."""
    with Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path,
        engine=engine,
        server=loopback,
        DELIVERYBOT_AUTO_ACCEPT_DAYS="5",
        DELIVERYBOT_REMINDER_DAYS="1,3,10",
    ) as auto_box:
        auto_box.slack.users = box.slack.users
        order, _ = submitted_order(auto_box, session)  # Mon 2 Feb 10:00 UTC
        work(auto_box)
        clock.set(utc(2026, 2, 9, 14, 0))  # 9:00 in New York, the worker is back
        work(auto_box)
        dms = auto_box.person(CUSTOMER).dms()
        announcing = [m for m in dms if "automatically" in blocks_text(m.blocks)]
        assert announcing and "10 Feb 2026" in blocks_text(announcing[-1].blocks)

        clock.set(utc(2026, 2, 9, 14, 10))
        work(auto_box)
        assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE

        clock.set(utc(2026, 2, 10, 14, 1))
        work(auto_box)
        done = state_of(auto_box, order)
        assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"


def test_a_seller_named_by_user_id_and_by_email_is_told_once(auto_box, session, clock):
    order, _ = submitted_order(auto_box, session, sellers=(SELLER, "sam@isv.example"))
    for day in (2, 3, 5, 7):
        clock.set(utc(2026, 2, day, 15, 0))
        work(auto_box)

    assert state_of(auto_box, order).state is SupervisionState.COMPLETED
    told = [m for m in auto_box.slack.dms(SELLER) if "accepted automatically" in m.text]
    assert len(told) == 1


def test_automatic_acceptance_counts_on_the_calendar_the_delivery_was_submitted_on(
    auto_box, session, clock
):
    """Enabled 30 Jan 23:00 UTC: a month on the Tokyo calendar (where the customer was when
    the delivery was submitted) ends 27 Feb 23:00 UTC; on New York's (the cache now) 28 Feb."""
    order, delivery = submitted_order(auto_box, session)
    order.enabling_time = utc(2026, 1, 30, 23, 0)
    delivery.customer_tz = "Asia/Tokyo"
    session.add_all([order, delivery])
    session.commit()
    for moment in (NOW, utc(2026, 2, 5, 15, 0), utc(2026, 2, 7, 15, 0)):
        clock.set(moment)
        work(auto_box)

    done = state_of(auto_box, order)
    assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"
    assert done.validity_end == utc(2026, 2, 27, 23, 0)


def test_a_worker_down_past_the_announcing_reminder_announces_with_the_one_it_sends(
    auto_box, session, clock
):
    """Automatic acceptance after 5 days, to be announced by the day-3 reminder; the worker is
    down from the delivery until day 8: it sends only the latest reminder (day 7), which must
    carry the announcement, and the acceptance comes a day after it, not never."""
    order, _ = submitted_order(auto_box, session)  # Mon 2 Feb 10:00 UTC
    work(auto_box)
    clock.set(utc(2026, 2, 10, 14, 30))
    work(auto_box)
    work(auto_box)

    [reminder] = reminders_seen(auto_box)
    shown = blocks_text(reminder.blocks)
    assert "accepted automatically on" in shown and "11 Feb 2026" in shown
    assert state_of(auto_box, order).state is SupervisionState.AWAITING_ACCEPTANCE

    clock.set(utc(2026, 2, 11, 14, 31))
    work(auto_box)
    done = state_of(auto_box, order)
    assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"
