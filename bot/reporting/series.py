"""The data behind the charts, aggregated in SQL over the same delivered orders as the
figures: time to accept by day, deliveries by week and outcome, appeal decision times."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from bot.reporting.durations import working_histogram
from bot.reporting.figures import APPEALS, DECIDED, ROUND_THE_CLOCK
from bot.reporting.query import ReportFilter, delivered
from storage.states import SupervisionState

ACCEPT_DAYS_SHOWN = 14  # the last bar: 14 days or more
APPEAL_HALF_DAYS_SHOWN = 12  # half working days; the last bar: 6 working days or more
OUTCOMES = (
    "accepted on round 1",
    "accepted after changes",
    "accepted automatically",
    "completed by operations",
    "still open",
)


@dataclass
class Series:
    accept_days: list[int]  # deliveries accepted after 0, 1, 2 … calendar days
    weeks: dict[str, dict[str, int]]  # Monday (YYYY-MM-DD) -> outcome -> deliveries
    appeal_half_days: list[int]  # appeals decided after 0, ½, 1 … working days


def build_series(session: Session, report: ReportFilter) -> Series:
    dialect = session.get_bind().dialect.name
    facts = delivered(report, dialect, by_seller=False)
    days: ColumnElement
    if dialect == "postgresql":
        days = func.floor(func.extract("epoch", facts.c.accepted_at - facts.c.acc_at) / 86400)
    else:
        days = cast(func.julianday(facts.c.accepted_at) - func.julianday(facts.c.acc_at), Integer)
    bucket = (
        func.min(days, ACCEPT_DAYS_SHOWN)
        if dialect == "sqlite"
        else func.least(days, ACCEPT_DAYS_SHOWN)
    )
    accept_days = [0] * (ACCEPT_DAYS_SHOWN + 1)
    query = (
        select(bucket, func.count())
        .where(facts.c.acc_at.is_not(None), facts.c.accepted_at.is_not(None))
        .group_by(bucket)
    )
    for index, count in session.execute(query):
        accept_days[max(int(index), 0)] += count
    outcome = case(
        (
            and_(facts.c.acc_round.is_not(None), facts.c.accepted_by == "system"),
            literal(OUTCOMES[2]),
        ),
        (facts.c.acc_round == 1, literal(OUTCOMES[0])),
        (facts.c.acc_round > 1, literal(OUTCOMES[1])),
        (facts.c.state == SupervisionState.COMPLETED.value, literal(OUTCOMES[3])),
        else_=literal(OUTCOMES[4]),
    )
    weeks: dict[str, dict[str, int]] = {}
    query = select(facts.c.week, outcome, func.count()).group_by(facts.c.week, outcome)
    for week, name, count in session.execute(query):
        weeks.setdefault(str(week), {})[name] = count
    decisions = (
        select(
            APPEALS.c.created_at.label("start"),
            APPEALS.c.decided_at.label("end"),
            literal("UTC").label("tz"),
        )
        .select_from(facts)
        .join(APPEALS, APPEALS.c.order_id == facts.c.order_id)
        .where(APPEALS.c.state.in_(DECIDED), APPEALS.c.decided_at.is_not(None))
    )
    appeal_half_days = working_histogram(
        session,
        decisions,
        hours=ROUND_THE_CLOCK,
        bucket_seconds=43_200,
        last=APPEAL_HALF_DAYS_SHOWN,
    )
    return Series(accept_days, dict(sorted(weeks.items())), appeal_half_days)
