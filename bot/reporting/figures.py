"""The report's figures, aggregated in SQL: per seller, product and month, and in total.

Definitions (the README repeats them):
- deliveries: orders whose first delivery was submitted in the period;
- first-round acceptance: accepted (by the customer, or automatically) on round 1, out of the
  deliveries whose first round has been answered (accepted, changes asked, or settled by
  operations);
- rounds per delivery: delivery rounds submitted per order;
- time to accept: from the submission of the round that was accepted to the acceptance, in
  calendar hours and in the customer's working hours (DELIVERYBOT_WORKING_HOURS, their zone);
- reminders per acceptance: reminders sent to the customers of these orders per acceptance;
- appeals decided within the deadline: decided by operations within DECISION_DAYS working days
  (weekdays, UTC, as the overdue flag counts them), out of the appeals decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, case, func, literal, null, or_, select, text, union_all
from sqlalchemy.sql import Select
from sqlmodel import Session

from bot.reporting.durations import (
    Durations,
    duration_columns,
    durations_of,
    local_seconds,
    streamed_durations,
    working_sql,
)
from bot.reporting.facts import APPEALS, COUNTED, DECIDED, counted_columns, order_facts
from bot.reporting.query import ORDERS, PEOPLE, PRODUCTS, SELLERS, ReportFilter
from storage.states import OPEN_STATES

ROUND_THE_CLOCK = (0, 24)
WAITING_SHOWN = 10


@dataclass
class Figures:
    seller: str
    product: str
    month: str
    deliveries: int = 0
    answered: int = 0
    first_round_accepted: int = 0
    rounds: int = 0
    accepted: int = 0
    automatic: int = 0
    completed_by_operations: int = 0
    reminders: int = 0
    escalations: int = 0
    appeals: int = 0
    appeals_decided: int = 0
    time_to_accept: Durations = field(default_factory=Durations)
    appeal_decisions: Durations = field(default_factory=Durations)

    @property
    def first_round_rate(self) -> float | None:
        return self.first_round_accepted / self.answered if self.answered else None

    @property
    def rounds_per_delivery(self) -> float | None:
        return self.rounds / self.deliveries if self.deliveries else None

    @property
    def reminders_per_acceptance(self) -> float | None:
        return self.reminders / self.accepted if self.accepted else None

    @property
    def appeals_in_time_rate(self) -> float | None:
        decided = self.appeal_decisions.count
        return self.appeal_decisions.within_limit / decided if decided else None


@dataclass
class Waiting:
    order_no: str
    product: str
    state: str
    since: datetime


@dataclass
class Report:
    filter: ReportFilter
    generated_at: datetime
    rows: list[Figures]
    total: Figures
    waiting: list[Waiting]
    names: dict[str, str]  # seller id -> display name, from the cache


def _found(found: dict[tuple, Figures], key: tuple) -> Figures:
    return found.setdefault(key, Figures(*key) if key else Figures("all", "all", "all"))


def _counts(figures: Figures, values) -> None:
    for name, number in zip(("deliveries", *COUNTED), values, strict=True):
        setattr(figures, name, int(number))


def _by_seller(query: Select, order_id, report: ReportFilter) -> Select:
    """`query` per seller of each order (only the chosen sellers when the report names some)."""
    query = query.join(SELLERS, SELLERS.c.order_id == order_id)
    return query.where(SELLERS.c.seller.in_(report.sellers)) if report.sellers else query


def _decisions(facts, dialect: str) -> Select:
    """Each decided appeal of the delivered orders, with its order's product and month."""
    start, end = APPEALS.c.created_at, APPEALS.c.decided_at
    if dialect == "postgresql":
        timing = [
            (func.date_part("epoch", end - start, type_=Float) / 3600.0).label("hours"),
            working_sql(
                local_seconds(start, "UTC"), local_seconds(end, "UTC"), ROUND_THE_CLOCK
            ).label("working"),
        ]
    else:
        timing = [start.label("start"), end.label("end"), literal("UTC").label("tz")]
    return (
        select(facts.c.order_id, facts.c.product, facts.c.month, *timing)
        .select_from(facts)
        .join(APPEALS, APPEALS.c.order_id == facts.c.order_id)
        .where(APPEALS.c.state.in_(DECIDED), APPEALS.c.decided_at.is_not(None))
    )


def _figures_in_sql(
    session: Session, report: ReportFilter, *, hours: tuple[int, int], decision_days: int
) -> dict[tuple, Figures]:
    """PostgreSQL, in one statement: the facts once (MATERIALIZED), then per seller, product
    and month and in total, the counts and times to accept, and the appeal decision times."""
    facts = order_facts(report, "postgresql", hours).cte("facts").prefix_with("MATERIALIZED")
    decisions = _decisions(facts, "postgresql").cte("decisions")
    working = case(  # only for the accepted orders
        (
            facts.c.accept_hours.is_not(None),
            working_sql(facts.c.accept_from, facts.c.accept_to, hours),
        )
    )
    accept = duration_columns(facts.c.accept_hours, working, None)
    counts = counted_columns(facts)
    decided = duration_columns(decisions.c.hours, decisions.c.working, decision_days * 86400)
    blanks = [null()] * len(counts)
    parts = []
    for part, source, columns in (
        ("orders", facts, [*counts, *accept]),
        ("appeals", decisions, [*blanks, *decided]),
    ):
        keys = [SELLERS.c.seller, source.c.product, source.c.month]
        grouped = select(literal(part), *keys, *columns).select_from(source)
        parts.append(_by_seller(grouped, source.c.order_id, report).group_by(*keys))
        parts.append(select(literal(part), null(), null(), null(), *columns).select_from(source))
    # compiling this one large statement (JIT) would cost more than it saves: seconds at 1M orders
    session.execute(text("SET LOCAL jit = off"))
    found: dict[tuple, Figures] = {}
    for part, *rest in session.execute(union_all(*parts)):
        key = tuple(name for name in rest[:3] if name is not None)
        figures = _found(found, key)
        if part == "orders":
            _counts(figures, rest[3 : 3 + len(counts)])
            figures.time_to_accept = durations_of(rest[3 + len(counts) :])
        else:
            figures.appeal_decisions = durations_of(rest[3 + len(counts) :])
    return found


def _figures_streamed(
    session: Session, report: ReportFilter, *, hours: tuple[int, int], decision_days: int
) -> dict[tuple, Figures]:
    """SQLite: the counts in SQL, the durations streamed one group at a time."""
    facts = order_facts(report, "sqlite", hours).cte("facts")
    decisions = _decisions(facts, "sqlite").cte("decisions")
    found: dict[tuple, Figures] = {}
    for grouped in (True, False):
        keys = [SELLERS.c.seller, facts.c.product, facts.c.month] if grouped else []
        query = select(*keys, *counted_columns(facts)).select_from(facts)
        if grouped:
            query = _by_seller(query, facts.c.order_id, report).group_by(*keys)
        for row in session.execute(query):
            _counts(_found(found, tuple(row[: len(keys)])), row[len(keys) :])
        for source, limit in ((facts, None), (decisions, decision_days * 86400)):
            keys = [SELLERS.c.seller, source.c.product, source.c.month] if grouped else []
            rows = select(*keys, source.c.start, source.c.end, source.c.tz).where(
                source.c.start.is_not(None)
            )
            if grouped:
                rows = _by_seller(rows, source.c.order_id, report)
            clock = hours if source is facts else ROUND_THE_CLOCK
            timed = streamed_durations(
                session, rows, keys=len(keys), hours=clock, limit_seconds=limit
            )
            for key, durations in timed.items():
                if source is facts:
                    _found(found, key).time_to_accept = durations
                else:
                    _found(found, key).appeal_decisions = durations
    return found


def totals(session: Session, report: ReportFilter) -> Figures:
    """The counts (no durations) over all the report's orders, in one aggregate query."""
    facts = order_facts(report, session.get_bind().dialect.name).subquery("facts")
    row = session.execute(select(*counted_columns(facts))).one()
    figures = Figures("all", "all", "all")
    _counts(figures, row)
    return figures


def identities(session: Session, names: Sequence[str]) -> list[str]:
    """Each seller as given plus what the cache pairs it with (Slack id <-> e-mail)."""
    if not names:
        return []
    found = set(names)
    query = select(PEOPLE.c.user_id, PEOPLE.c.email).where(
        or_(PEOPLE.c.user_id.in_(names), PEOPLE.c.email.in_(names))
    )
    for user_id, email in session.execute(query):
        found |= {user_id} | ({email} if email else set())
    return sorted(found)


def build_report(
    session: Session,
    report: ReportFilter,
    *,
    now: datetime,
    hours: tuple[int, int],
    decision_days: int,
) -> Report:
    report = ReportFilter(
        report.since, report.until, identities(session, report.sellers), report.products
    )
    in_sql = session.get_bind().dialect.name == "postgresql"
    figures = _figures_in_sql if in_sql else _figures_streamed
    rows = figures(session, report, hours=hours, decision_days=decision_days)
    total = rows.pop((), Figures("all", "all", "all"))
    people = {r.seller for r in rows.values()}
    names = {
        user_id: real_name or name or user_id
        for user_id, name, real_name in session.execute(
            select(PEOPLE.c.user_id, PEOPLE.c.name, PEOPLE.c.real_name).where(
                PEOPLE.c.user_id.in_(people)
            )
        )
    }
    return Report(
        filter=report,
        generated_at=now,
        rows=[rows[key] for key in sorted(rows)],
        total=total,
        waiting=longest_waiting(session, report),
        names=names,
    )


def longest_waiting(session: Session, report: ReportFilter) -> list[Waiting]:
    """The open orders that have waited longest in their current state (not limited to the
    period: an order waiting since before it matters most)."""
    query = (
        select(ORDERS.c.order_no, PRODUCTS.c.code, ORDERS.c.state, ORDERS.c.state_changed_at)
        .join(PRODUCTS, PRODUCTS.c.id == ORDERS.c.product_id)
        .where(ORDERS.c.state.in_([s.value for s in OPEN_STATES]))
        .order_by(ORDERS.c.state_changed_at, ORDERS.c.id)
        .limit(WAITING_SHOWN)
    )
    if report.sellers:
        mine = select(SELLERS.c.order_id).where(SELLERS.c.seller.in_(report.sellers))
        query = query.where(ORDERS.c.id.in_(mine))
    if report.products:
        query = query.where(PRODUCTS.c.code.in_(report.products))
    return [
        Waiting(no, product, str(state), since)
        for no, product, state, since in session.execute(query)
    ]
