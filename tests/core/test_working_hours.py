"""Reminders go out only within the customer's working hours, in their own time zone."""

from datetime import UTC, datetime

import pytest

from bot.core.working_hours import add_working_days, is_working_time, next_send_time


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        # Tokyo (UTC+9, no DST)
        (utc(2026, 2, 2, 1, 0), "Asia/Tokyo", utc(2026, 2, 2, 1, 0)),  # Mon 10:00: now
        (utc(2026, 2, 2, 10, 0), "Asia/Tokyo", utc(2026, 2, 3, 0, 0)),  # Mon 19:00 -> Tue 09:00
        (utc(2026, 2, 1, 23, 30), "Asia/Tokyo", utc(2026, 2, 2, 0, 0)),  # Mon 08:30 -> 09:00
        (utc(2026, 2, 6, 10, 0), "Asia/Tokyo", utc(2026, 2, 9, 0, 0)),  # Fri 19:00 -> Mon
        (utc(2026, 2, 7, 3, 0), "Asia/Tokyo", utc(2026, 2, 9, 0, 0)),  # Sat noon -> Mon
        (utc(2026, 2, 8, 23, 30), "Asia/Tokyo", utc(2026, 2, 9, 0, 0)),  # Mon 08:30 -> 09:00
        # New York (EST UTC-5, EDT UTC-4 from 8 Mar 2026, back on 1 Nov 2026)
        (utc(2026, 2, 2, 10, 0), "America/New_York", utc(2026, 2, 2, 14, 0)),  # Mon 05:00
        (utc(2026, 2, 2, 22, 59), "America/New_York", utc(2026, 2, 2, 22, 59)),  # 17:59: now
        (utc(2026, 2, 2, 23, 0), "America/New_York", utc(2026, 2, 3, 14, 0)),  # 18:00 -> Tue
        (utc(2026, 3, 6, 23, 0), "America/New_York", utc(2026, 3, 9, 13, 0)),  # Fri -> Mon EDT
        (utc(2026, 3, 8, 7, 30), "America/New_York", utc(2026, 3, 9, 13, 0)),  # DST Sunday
        (utc(2026, 10, 30, 22, 30), "America/New_York", utc(2026, 11, 2, 14, 0)),  # -> Mon EST
        # an unknown zone is read as UTC
        (utc(2026, 2, 7, 12, 0), "Mars/Olympus", utc(2026, 2, 9, 9, 0)),
    ],
)
def test_next_send_time(moment, tz, expected):
    assert next_send_time(moment, tz) == expected
    assert is_working_time(expected, tz)


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (utc(2026, 2, 2, 7, 30), (8, 17), utc(2026, 2, 2, 8, 0)),
        (utc(2026, 2, 2, 17, 0), (8, 17), utc(2026, 2, 3, 8, 0)),
        (utc(2026, 2, 2, 23, 30), (0, 24), utc(2026, 2, 2, 23, 30)),  # round the clock, weekdays
        (utc(2026, 2, 7, 12, 0), (0, 24), utc(2026, 2, 9, 0, 0)),  # Saturday -> Monday 00:00
    ],
)
def test_custom_working_hours(moment, hours, expected):
    assert next_send_time(moment, "UTC", hours) == expected


@pytest.mark.parametrize(
    ("moment", "days", "tz", "expected"),
    [
        (utc(2026, 2, 5, 10, 0), 3, "UTC", utc(2026, 2, 10, 10, 0)),  # Thu -> Tue
        (utc(2026, 2, 2, 10, 0), 3, "UTC", utc(2026, 2, 5, 10, 0)),  # Mon -> Thu
        (utc(2026, 2, 7, 10, 0), 1, "UTC", utc(2026, 2, 9, 10, 0)),  # Sat -> Mon
        (utc(2026, 3, 6, 15, 0), 1, "America/New_York", utc(2026, 3, 9, 14, 0)),  # over DST
    ],
)
def test_add_working_days(moment, days, tz, expected):
    assert add_working_days(moment, days, tz) == expected


def _counted_by_the_minute(start: datetime, end: datetime, tz: str, hours) -> float:
    """The slow definition: every wall-clock minute in working hours, one by one."""
    from datetime import timedelta

    minutes, moment = 0, start
    while moment < end:
        if is_working_time(moment, tz, hours):
            minutes += 1
        moment += timedelta(minutes=1)
    return minutes * 60.0


@pytest.mark.parametrize(
    ("start", "end", "tz", "hours"),
    [
        (utc(2026, 2, 6, 16, 0), utc(2026, 2, 10, 9, 30), "Europe/Paris", (9, 18)),  # weekend
        (utc(2026, 3, 6, 20, 0), utc(2026, 3, 10, 15, 0), "America/New_York", (9, 18)),  # DST
        (utc(2026, 10, 30, 10, 0), utc(2026, 11, 3, 10, 0), "America/New_York", (9, 18)),
        (utc(2026, 2, 7, 12, 0), utc(2026, 2, 11, 12, 0), "UTC", (0, 24)),  # appeal clock
        (utc(2026, 2, 2, 10, 0), utc(2026, 2, 2, 9, 0), "UTC", (9, 18)),  # backwards: 0
    ],
)
def test_working_seconds_match_a_minute_by_minute_count(start, end, tz, hours):
    from bot.core.working_hours import working_seconds

    assert working_seconds(start, end, tz, hours) == _counted_by_the_minute(start, end, tz, hours)
