"""The cadence as a pure decision: reminders at the customer's working time, and the automatic
acceptance announced at least a day ahead, by a reminder or by a notice with the delivery."""

from datetime import UTC, datetime

import pytest

from bot.supervision.cadence import NOTICE, plan_cadence


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY = utc(2026, 2, 2, 10, 0)  # 05:00 in New York


def cadence(auto_accept_days, *, since=MONDAY, now=MONDAY, days=(1, 3, 7), tz="America/New_York"):
    return plan_cadence(
        since=since,
        now=now,
        tz=tz,
        reminder_days=days,
        working_hours=(9, 18),
        auto_accept_days=auto_accept_days,
    )


def test_reminders_go_at_the_customers_next_working_time():
    assert cadence(None).reminders == (
        utc(2026, 2, 3, 14, 0),  # Tue 09:00 in New York
        utc(2026, 2, 5, 14, 0),  # Thu 09:00
        utc(2026, 2, 9, 14, 0),  # day 7 is Monday 05:00 there: 09:00
    )
    assert cadence(None).auto_accept_at is None and cadence(None).announced_by is None


@pytest.mark.parametrize(
    ("days", "announced_by", "at"),
    [
        (5, 2, utc(2026, 2, 7, 10, 0)),  # the day-3 reminder, two days ahead
        (14, 3, utc(2026, 2, 16, 10, 0)),  # the last reminder
        (4, 1, utc(2026, 2, 6, 10, 0)),  # day 3 (Thu 14:00) is < a day before Fri 10:00
        (2, NOTICE, utc(2026, 2, 4, 10, 0)),  # day 1 (Tue 14:00) is < a day before Wed 10:00
        (1, NOTICE, utc(2026, 2, 3, 10, 0)),  # before any reminder
    ],
)
def test_the_automatic_acceptance_is_announced_a_day_ahead_at_least(days, announced_by, at):
    planned = cadence(days)
    assert (planned.announced_by, planned.auto_accept_at) == (announced_by, at)


def test_without_reminders_the_notice_announces_it():
    planned = cadence(3, days=())
    assert (planned.reminders, planned.announced_by) == ((), NOTICE)


def test_a_plan_made_late_gives_the_notice_in_full():
    """The worker was down for a day and a half: a day from now, not from the delivery."""
    late = utc(2026, 2, 3, 22, 0)
    assert cadence(1, now=late).auto_accept_at == utc(2026, 2, 4, 22, 0)


@pytest.mark.parametrize(
    ("since", "tz", "expected"),
    [
        # Friday 17:30 EST; clocks go forward on Sunday 8 Mar: day 3 is Monday 17:30 EDT, in
        # working hours (72 hours would be 18:30, and the reminder a day late)
        (utc(2026, 3, 6, 22, 30), "America/New_York", utc(2026, 3, 9, 21, 30)),
        # Friday 17:30 EDT; clocks go back on Sunday 1 Nov: Monday 17:30 EST, not 16:30
        (utc(2026, 10, 30, 21, 30), "America/New_York", utc(2026, 11, 2, 22, 30)),
        # Paris goes forward on Sunday 29 Mar: Friday 17:30 CET -> Monday 17:30 CEST
        (utc(2026, 3, 27, 16, 30), "Europe/Paris", utc(2026, 3, 30, 15, 30)),
    ],
)
def test_days_are_counted_on_the_customers_calendar_across_a_dst_change(since, tz, expected):
    planned = cadence(3, since=since, now=since, days=(3,), tz=tz)
    assert planned.reminders == (expected,)
    assert planned.auto_accept_at == expected  # the same wall-clock time, 3 days on


@pytest.mark.parametrize(
    ("since", "tz", "expected"),
    [
        # UTC+14: Friday 10:00 UTC is Saturday 00:00 there; day 1 is Sunday: Monday 09:00,
        # which is still Sunday 19:00 in UTC
        (utc(2026, 2, 6, 10, 0), "Pacific/Kiritimati", utc(2026, 2, 8, 19, 0)),
        # UTC-11: Monday 10:00 UTC is Sunday 23:00 there; day 1 is Monday 23:00: Tuesday 09:00
        (utc(2026, 2, 2, 10, 0), "Pacific/Pago_Pago", utc(2026, 2, 3, 20, 0)),
        # UTC+5:45: Friday 12:00 UTC is 17:45 there; day 1 is Saturday: Monday 09:00
        (utc(2026, 2, 6, 12, 0), "Asia/Kathmandu", utc(2026, 2, 9, 3, 15)),
    ],
)
def test_customers_at_the_ends_of_the_world_are_reminded_on_their_own_working_day(
    since, tz, expected
):
    assert cadence(None, since=since, days=(1,), tz=tz).reminders == (expected,)
