"""The working clock in PostgreSQL (what the report's percentiles are made of) agrees with
bot.core.working_hours, minute for minute, around weekends and changes of daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, String, column, select, values

from bot.core.working_hours import working_clock
from bot.reporting.durations import local_seconds, working_clock_sql

ZONES = ("America/New_York", "Europe/Paris", "Asia/Tokyo", "UTC")
STARTS = (
    datetime(2026, 3, 6, 0, 0, tzinfo=UTC),  # New York springs forward on Sunday 8 March
    datetime(2026, 10, 23, 0, 0, tzinfo=UTC),  # Paris falls back on Sunday 25 October
)


@pytest.mark.parametrize("hours", [(9, 18), (0, 24), (8, 17)])
def test_the_sql_working_clock_matches_python(session, hours):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the working clock is computed in SQL on PostgreSQL only")
    moments = [
        (start + timedelta(minutes=47 * i, seconds=13), tz)
        for start in STARTS
        for i in range(4 * 24 * 60 // 47)
        for tz in ZONES
    ]
    rows = values(
        column("moment", DateTime(timezone=True)), column("tz", String), name="moments"
    ).data(moments)
    clock = working_clock_sql(local_seconds(rows.c.moment, rows.c.tz), hours)
    found = session.execute(select(rows.c.moment, rows.c.tz, clock)).all()
    assert len(found) == len(moments)
    for moment, tz, seconds in found:
        assert seconds == pytest.approx(working_clock(moment, tz, hours), abs=1e-3), (moment, tz)
