"""When a person can be disturbed: working hours on working days in their own time zone. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.dates import zone

WORKING_DAYS = frozenset(range(5))  # Monday to Friday
DEFAULT_HOURS = (9, 18)


def is_working_time(
    moment: datetime, tz: str | None, hours: tuple[int, int] = DEFAULT_HOURS
) -> bool:
    local = moment.astimezone(zone(tz))
    start, end = hours
    return (
        local.weekday() in WORKING_DAYS and start <= local.hour < end
    )  # whole hours; end may be 24


def next_send_time(
    moment: datetime, tz: str | None, hours: tuple[int, int] = DEFAULT_HOURS
) -> datetime:
    """`moment` if it falls within working hours in `tz`, else the start of the next working
    period there. Returned in UTC."""
    if is_working_time(moment, tz, hours):
        return moment.astimezone(UTC)
    zone_info = zone(tz)
    local = moment.astimezone(zone_info)
    day = local.date()
    if local.time() >= time(hours[0]):
        day += timedelta(days=1)
    while day.weekday() not in WORKING_DAYS:
        day += timedelta(days=1)
    return _wall_clock(day, hours[0], zone_info)


def add_working_days(moment: datetime, days: int, tz: str | None) -> datetime:
    """The same wall-clock time `days` working days later (weekends skipped), in UTC."""
    zone_info = zone(tz)
    local = moment.astimezone(zone_info)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() in WORKING_DAYS:
            remaining -= 1
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return naive.replace(tzinfo=zone_info).astimezone(UTC)


# A Monday long before any order: working time is counted from it in whole weeks.
WORKING_EPOCH = date(2000, 1, 3)


def working_clock(
    moment: datetime, tz: str | None, hours: tuple[int, int] = DEFAULT_HOURS
) -> float:
    """Seconds of working time from WORKING_EPOCH to `moment`, on the wall clock of `tz`.

    Closed form (whole weeks, whole working days, then the part of today's hours), so a
    duration is one subtraction: `working_seconds`. The reports compute the same formula in
    SQL on PostgreSQL (bot.reporting.durations); a test holds both to a day-by-day count."""
    local = moment.astimezone(zone(tz))
    weeks, weekday = divmod((local.date() - WORKING_EPOCH).days, 7)
    start, end = hours
    span = (end - start) * 3600
    if weekday in WORKING_DAYS:
        into_day = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        today = min(max(into_day - start * 3600, 0), span)
    else:
        today = 0
    return weeks * len(WORKING_DAYS) * span + min(weekday, len(WORKING_DAYS)) * span + today


def working_seconds(
    start: datetime, end: datetime, tz: str | None, hours: tuple[int, int] = DEFAULT_HOURS
) -> float:
    """Working time between two moments (0 when `end` is not after `start`), counted on the
    wall clock of `tz`: a change of daylight saving time at night changes nothing."""
    return max(0.0, working_clock(end, tz, hours) - working_clock(start, tz, hours))


def _wall_clock(day, hour: int, zone_info: ZoneInfo) -> datetime:
    # A wall-clock hour skipped by a DST change resolves forward (fold=0), as people expect.
    return datetime.combine(day, time(hour)).replace(tzinfo=zone_info).astimezone(UTC)
