"""One row per delivered order with every number the figures add up: computed once per report,
then summed per seller, product and month and in total (bot.reporting.figures).

The audit events and appeals are counted per order here, in one pass over each table, so no
grouping reads them again. On PostgreSQL each row also carries its time to accept, calendar
hours and working seconds, ready for percentile_cont; SQLite gets (start, end, zone) to stream.
"""

from __future__ import annotations

from sqlalchemy import Float, and_, case, func, or_, select, text
from sqlalchemy.sql import ColumnElement, Select

from bot.reporting.durations import local_seconds
from bot.reporting.query import ReportFilter, delivered
from storage.models import REPORT_COUNTED_KINDS, Appeal, AppealState, AuditEvent
from storage.rows import table_of
from storage.states import SupervisionState

APPEALS = table_of(Appeal)
EVENTS = table_of(AuditEvent)
DECIDED = [AppealState.COMPLETED.value, AppealState.RETURNED.value, AppealState.REJECTED.value]
COUNTED = (  # per order 0, 1 or a count; summed per group in this order, after "deliveries"
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


def flag(condition) -> ColumnElement:
    return case((condition, 1), else_=0)


def order_facts(report: ReportFilter, dialect: str, hours: tuple[int, int] | None = None) -> Select:
    """Columns: order_id, product, month, COUNTED, then with working `hours` the time to
    accept — on PostgreSQL accept_hours, accept_from and accept_to (`local_seconds`), NULL
    when not accepted; elsewhere start, end and tz, NULL likewise."""
    orders = delivered(report, dialect, by_seller=False)
    events = (
        select(
            EVENTS.c.order_id,
            func.count().filter(EVENTS.c.kind == "reminder_sent").label("reminders"),
            func.count().filter(EVENTS.c.kind == "escalated").label("escalations"),
        )
        .where(text(REPORT_COUNTED_KINDS))  # as ix_auditevent_report_counts, word for word
        .group_by(EVENTS.c.order_id)
        .subquery("event_counts")
    )
    appeals = (
        select(
            APPEALS.c.order_id,
            func.count().label("appeals"),
            func.count().filter(APPEALS.c.state.in_(DECIDED)).label("decided"),
        )
        .group_by(APPEALS.c.order_id)
        .subquery("appeal_counts")
    )
    completed = orders.c.state == SupervisionState.COMPLETED.value
    accepted = orders.c.acc_round.is_not(None)
    timed = and_(orders.c.acc_at.is_not(None), orders.c.accepted_at.is_not(None))
    start, end = case((timed, orders.c.acc_at)), case((timed, orders.c.accepted_at))
    timing: list = []
    if hours and dialect == "postgresql":  # local times: bot.reporting.figures adds them up
        timing = [
            (func.date_part("epoch", end - start, type_=Float) / 3600.0).label("accept_hours"),
            local_seconds(start, orders.c.tz).label("accept_from"),
            local_seconds(end, orders.c.tz).label("accept_to"),
        ]
    elif hours:
        timing = [start.label("start"), end.label("end"), orders.c.tz]
    return (
        select(
            orders.c.order_id,
            orders.c.product,
            orders.c.month,
            flag(or_(orders.c.round > 1, orders.c.rejected_rounds > 0, completed)).label(
                "answered"
            ),
            flag(orders.c.acc_round == 1).label("first_round_accepted"),
            orders.c.round.label("rounds"),
            flag(accepted).label("accepted"),
            flag(and_(accepted, orders.c.accepted_by == "system")).label("automatic"),
            flag(and_(completed, orders.c.acc_round.is_(None))).label("completed_by_operations"),
            func.coalesce(events.c.reminders, 0).label("reminders"),
            func.coalesce(events.c.escalations, 0).label("escalations"),
            func.coalesce(appeals.c.appeals, 0).label("appeals"),
            func.coalesce(appeals.c.decided, 0).label("appeals_decided"),
            *timing,
        )
        .select_from(orders)
        .outerjoin(events, events.c.order_id == orders.c.order_id)
        .outerjoin(appeals, appeals.c.order_id == orders.c.order_id)
    )


def counted_columns(facts) -> list:
    """deliveries, then the sum of each COUNTED column."""
    return [func.count(), *(func.coalesce(func.sum(facts.c[name]), 0) for name in COUNTED)]
