"""When a person can be disturbed: working hours on working days in their own time zone. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
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


def _wall_clock(day, hour: int, zone_info: ZoneInfo) -> datetime:
    # A wall-clock hour skipped by a DST change resolves forward (fold=0), as people expect.
    return datetime.combine(day, time(hour)).replace(tzinfo=zone_info).astimezone(UTC)
