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
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session

from bot.reporting.durations import Durations, durations_by_group
from bot.reporting.query import ORDERS, PEOPLE, PRODUCTS, SELLERS, ReportFilter, delivered
from storage.models import Appeal, AppealState, AuditEvent
from storage.rows import table_of
from storage.states import OPEN_STATES, SupervisionState

APPEALS = table_of(Appeal)
EVENTS = table_of(AuditEvent)
DECIDED = [AppealState.COMPLETED.value, AppealState.RETURNED.value, AppealState.REJECTED.value]
ROUND_THE_CLOCK = (0, 24)
WAITING_SHOWN = 10
COUNTED = (  # the columns counts_by_group selects after the group's names, in order
    "deliveries",
    "answered",
    "first_round_accepted",
    "rounds",
    "accepted",
    "automatic",
    "completed_by_operations",
    "reminders",
    "escalations",
    "appeals",
    "appeals_decided",
)


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


def counts_by_group(session: Session, facts, keys: Sequence[Any]) -> dict[tuple, Figures]:
    events = (
        select(
            EVENTS.c.order_id,
            func.sum(case((EVENTS.c.kind == "reminder_sent", 1), else_=0)).label("reminders"),
            func.sum(case((EVENTS.c.kind == "escalated", 1), else_=0)).label("escalations"),
        )
        .where(EVENTS.c.kind.in_(["reminder_sent", "escalated"]))
        .group_by(EVENTS.c.order_id)
        .subquery("event_counts")
    )
    appeals = (
        select(
            APPEALS.c.order_id,
            func.count().label("appeals"),
            func.sum(case((APPEALS.c.state.in_(DECIDED), 1), else_=0)).label("decided"),
        )
        .group_by(APPEALS.c.order_id)
        .subquery("appeal_counts")
    )
    completed = facts.c.state == SupervisionState.COMPLETED.value
    answered = or_(facts.c.round > 1, facts.c.rejected_rounds > 0, completed)
    accepted = facts.c.acc_round.is_not(None)

    def count_if(condition) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            *keys,
            func.count(),
            count_if(answered),
            count_if(facts.c.acc_round == 1),
            func.sum(facts.c.round),
            count_if(accepted),
            count_if(and_(accepted, facts.c.accepted_by == "system")),
            count_if(and_(completed, facts.c.acc_round.is_(None))),
            func.sum(func.coalesce(events.c.reminders, 0)),
            func.sum(func.coalesce(events.c.escalations, 0)),
            func.sum(func.coalesce(appeals.c.appeals, 0)),
            func.sum(func.coalesce(appeals.c.decided, 0)),
        )
        .select_from(facts)
        .outerjoin(events, events.c.order_id == facts.c.order_id)
        .outerjoin(appeals, appeals.c.order_id == facts.c.order_id)
        .group_by(*keys)
    )
    found = {}
    for row in session.execute(query):
        key = tuple(row[: len(keys)])
        names = dict(zip(("seller", "product", "month"), key, strict=False))
        numbers = [int(value or 0) for value in row[len(keys) :]]
        figures = Figures(
            names.get("seller", "all"), names.get("product", "all"), names.get("month", "all")
        )
        for name, number in zip(COUNTED, numbers, strict=True):
            setattr(figures, name, number)
        found[key] = figures
    return found


def _figures(
    session: Session,
    report: ReportFilter,
    *,
    grouped: bool,
    hours: tuple[int, int],
    decision_days: int,
) -> dict[tuple, Figures]:
    dialect = session.get_bind().dialect.name
    facts = delivered(report, dialect, by_seller=grouped)
    keys = [facts.c.seller, facts.c.product, facts.c.month] if grouped else []
    found = counts_by_group(session, facts, keys)
    acceptance = select(
        *keys, facts.c.acc_at.label("start"), facts.c.accepted_at.label("end"), facts.c.tz
    ).where(facts.c.acc_at.is_not(None), facts.c.accepted_at.is_not(None))
    for key, durations in durations_by_group(
        session, acceptance, keys=len(keys), hours=hours
    ).items():
        found[key].time_to_accept = durations
    decisions = (
        select(
            *keys,
            APPEALS.c.created_at.label("start"),
            APPEALS.c.decided_at.label("end"),
            literal("UTC").label("tz"),
        )
        .select_from(facts)
        .join(APPEALS, APPEALS.c.order_id == facts.c.order_id)
        .where(APPEALS.c.state.in_(DECIDED), APPEALS.c.decided_at.is_not(None))
    )
    for key, durations in durations_by_group(
        session,
        decisions,
        keys=len(keys),
        hours=ROUND_THE_CLOCK,
        limit_seconds=decision_days * 86400,
    ).items():
        found[key].appeal_decisions = durations
    return found


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
    rows = _figures(session, report, grouped=True, hours=hours, decision_days=decision_days)
    total = _figures(session, report, grouped=False, hours=hours, decision_days=decision_days)
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
        total=total.get((), Figures("all", "all", "all")),
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
