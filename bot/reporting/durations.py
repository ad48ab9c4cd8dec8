"""Durations per group: how many, median and 90th percentile in calendar hours and in working
hours, and how many took at most a limit of working time.

Working time is bot.core.working_hours' closed form (a working clock at each end, subtracted).
PostgreSQL computes it (`working_sql`) and the percentiles (`duration_columns`, percentile_cont)
in SQL, so nothing but the figures leaves the database. SQLite has neither time zones nor
percentiles: there the (start, end, zone) columns are streamed in group order and each group's
figures are computed as it ends (`streamed_durations`), so memory holds one group's durations,
never rows as objects."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Float, case, func, literal
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from bot.core.working_hours import WORKING_DAYS, WORKING_EPOCH, working_seconds

Key = tuple


@dataclass(frozen=True)
class Durations:
    count: int = 0
    calendar_median: float | None = None  # hours
    calendar_p90: float | None = None
    working_median: float | None = None  # working hours
    working_p90: float | None = None
    within_limit: int = 0  # how many took at most the limit of working time


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """As PostgreSQL's percentile_cont: linear between the two nearest ranks."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


EPOCH_SECONDS = float((WORKING_EPOCH - date(1970, 1, 1)).days * 86400)
DAY, WEEK = 86400.0, 7 * 86400.0


def local_seconds(moment, tz) -> ColumnElement:
    """Seconds from WORKING_EPOCH to `moment` on the wall clock of `tz`, in PostgreSQL."""
    return func.date_part("epoch", func.timezone(tz, moment), type_=Float) - EPOCH_SECONDS


def working_clock_sql(local, hours: tuple[int, int]) -> ColumnElement:
    """bot.core.working_hours.working_clock in PostgreSQL, from `local_seconds` (best a column:
    it is used several times): the same weeks, days and hours, in floating-point arithmetic
    (numeric would be several times slower over a million rows)."""
    span = float((hours[1] - hours[0]) * 3600)
    working_days = len(WORKING_DAYS)
    days = func.floor(local / DAY, type_=Float)
    weeks = func.floor(local / WEEK, type_=Float)  # = floor(days / 7): the epoch is a Monday
    weekday = days - weeks * 7.0
    into_day = local - days * DAY
    today = func.least(func.greatest(into_day - hours[0] * 3600.0, 0.0), span)
    return weeks * (working_days * span) + case(
        (weekday < float(working_days), weekday * span + today), else_=working_days * span
    )


def working_sql(start_local, end_local, hours: tuple[int, int]) -> ColumnElement:
    """Working seconds between two `local_seconds` (0 when the end is not after the start,
    and when either is NULL: greatest() skips NULLs)."""
    return func.greatest(
        working_clock_sql(end_local, hours) - working_clock_sql(start_local, hours), 0.0
    )


def duration_columns(calendar_hours, working, limit_seconds: float | None) -> list:
    """The aggregates behind Durations, in its order, over rows whose `calendar_hours` is
    NULL when there is no duration (percentile_cont and count skip NULLs); `working` in
    seconds."""
    within = (
        func.count().filter(working <= limit_seconds) if limit_seconds is not None else literal(0)
    )
    return [
        func.count(calendar_hours),
        func.percentile_cont(0.5).within_group(calendar_hours),
        func.percentile_cont(0.9).within_group(calendar_hours),
        func.percentile_cont(0.5).within_group(working / 3600.0),
        func.percentile_cont(0.9).within_group(working / 3600.0),
        within,
    ]


def durations_of(values: Sequence) -> Durations:
    """Durations from the values of `duration_columns`."""
    count, c50, c90, w50, w90, inside = values
    return Durations(int(count or 0), _f(c50), _f(c90), _f(w50), _f(w90), int(inside or 0))


def streamed_durations(
    session: Session,
    rows: Select,
    *,
    keys: int,
    hours: tuple[int, int],
    limit_seconds: float | None = None,
) -> dict[Key, Durations]:
    """SQLite: `rows`' first `keys` columns name the group, then start, end and zone (named
    so); streamed in group order, one group's durations in memory at a time."""
    sub = rows.subquery()
    key_columns = list(sub.columns)[:keys]
    query: Select = Select(*key_columns, sub.c.start, sub.c.end, sub.c.tz).order_by(*key_columns)
    n = len(key_columns)
    found = {}
    result = session.execute(query, execution_options={"yield_per": 10_000})
    for key, group in itertools.groupby(result, key=lambda row: tuple(row[:n])):
        calendar, working = [], []
        for row in group:
            start, end, tz = row[n:]
            calendar.append((end - start).total_seconds() / 3600)
            working.append(working_seconds(start, end, tz, hours))
        calendar.sort()
        working.sort()
        inside = sum(1 for w in working if w <= limit_seconds) if limit_seconds is not None else 0
        found[key] = Durations(
            len(calendar),
            percentile(calendar, 0.5),
            percentile(calendar, 0.9),
            _hours(percentile(working, 0.5)),
            _hours(percentile(working, 0.9)),
            inside,
        )
    return found


def _f(value) -> float | None:
    return None if value is None else float(value)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def working_histogram(
    session: Session, rows: Select, *, hours: tuple[int, int], bucket_seconds: float, last: int
) -> list[int]:
    """How many of `rows` (start, end, tz) took each span of working time: bucket i counts
    [i, i + 1) x bucket_seconds; the last bucket holds everything longer."""
    sub = rows.subquery()
    counts = [0] * (last + 1)
    if session.get_bind().dialect.name == "postgresql":
        working = working_sql(
            local_seconds(sub.c.start, sub.c.tz), local_seconds(sub.c.end, sub.c.tz), hours
        )
        bucket = func.least(func.floor(working / bucket_seconds), last)
        query: Select = Select(bucket, func.count()).select_from(sub).group_by(bucket)
        for index, count in session.execute(query):
            counts[int(index)] += count
        return counts
    streamed: Select = Select(sub.c.start, sub.c.end, sub.c.tz)
    for start, end, tz in session.execute(streamed, execution_options={"yield_per": 10_000}):
        counts[min(int(working_seconds(start, end, tz, hours) // bucket_seconds), last)] += 1
    return counts
