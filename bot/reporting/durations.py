"""Durations per group: how many, median and 90th percentile in calendar hours and in working
hours, and how many took at most a limit of working time.

Working time is bot.core.working_hours' closed form (a working clock at each end, subtracted).
PostgreSQL computes it and the percentiles (percentile_cont) in SQL, so nothing but the figures
leaves the database. SQLite has neither time zones nor percentiles: there the (start, end, zone)
columns are streamed in group order and each group's figures are computed as it ends, so memory
holds one group's durations, never rows as objects."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Date, Time, case, cast, func, literal
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


def working_clock_sql(moment, tz, hours: tuple[int, int]) -> ColumnElement:
    """bot.core.working_hours.working_clock in PostgreSQL: the same weeks, days and hours."""
    local = func.timezone(tz, moment)  # the wall clock there (timestamp without time zone)
    days = cast(local, Date) - literal(WORKING_EPOCH, Date)
    weekday = days % 7
    span = (hours[1] - hours[0]) * 3600
    into_day = func.extract("epoch", cast(local, Time))
    today = case(
        (
            weekday < len(WORKING_DAYS),
            func.least(func.greatest(into_day - hours[0] * 3600, 0), span),
        ),
        else_=0,
    )
    working_days = len(WORKING_DAYS)
    return (
        (days - weekday) / 7 * (working_days * span)
        + func.least(weekday, working_days) * span
        + today
    )


def durations_by_group(
    session: Session,
    rows: Select,
    *,
    keys: int,
    hours: tuple[int, int],
    limit_seconds: float | None = None,
) -> dict[Key, Durations]:
    """`rows`' first `keys` columns name the group, then start, end and zone (named so)."""
    sub = rows.subquery()
    key_columns = list(sub.columns)[:keys]
    if session.get_bind().dialect.name == "postgresql":
        return _in_sql(session, sub, key_columns, hours, limit_seconds)
    return _streamed(session, sub, key_columns, hours, limit_seconds)


def _in_sql(session, sub, key_columns, hours, limit_seconds) -> dict[Key, Durations]:
    calendar = func.extract("epoch", sub.c.end - sub.c.start) / 3600.0
    working = func.greatest(
        working_clock_sql(sub.c.end, sub.c.tz, hours)
        - working_clock_sql(sub.c.start, sub.c.tz, hours),
        0,
    )
    within = (
        func.sum(case((working <= limit_seconds, 1), else_=0))
        if limit_seconds is not None
        else literal(0)
    )
    query: Select = (
        Select(
            *key_columns,
            func.count(),
            func.percentile_cont(0.5).within_group(calendar),
            func.percentile_cont(0.9).within_group(calendar),
            func.percentile_cont(0.5).within_group(working / 3600.0),
            func.percentile_cont(0.9).within_group(working / 3600.0),
            within,
        )
        .select_from(sub)
        .group_by(*key_columns)
    )
    found = {}
    for row in session.execute(query):
        n = len(key_columns)
        count, c50, c90, w50, w90, inside = row[n:]
        found[tuple(row[:n])] = Durations(
            count, _f(c50), _f(c90), _f(w50), _f(w90), int(inside or 0)
        )
    return found


def _streamed(session, sub, key_columns, hours, limit_seconds) -> dict[Key, Durations]:
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
        working = func.greatest(
            working_clock_sql(sub.c.end, sub.c.tz, hours)
            - working_clock_sql(sub.c.start, sub.c.tz, hours),
            0,
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
