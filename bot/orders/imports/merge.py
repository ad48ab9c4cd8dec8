"""Staged rows (bot.orders.imports.staging) written into the orders, in the caller's
transaction, a range of rows at a time.

First the renewals of finished orders are decided (`renewals`) and the rows that change a
stored order flagged (`existing`). Then, per range, those are written with their
"import_updated" events, and the new orders, their sellers and their "imported" events are
each one INSERT … SELECT from the staging tables, in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlmodel import Session

from bot.orders.imports import renewals, staging
from bot.orders.imports.existing import mark_changed, update_changed
from bot.orders.imports.rules import ACTOR, DESCRIPTIVE
from bot.orders.imports.staging import ROWS, SELLERS
from storage.models import AuditEvent, Order, OrderSeller
from storage.rows import table_of

CHUNK = 50_000  # staged rows per range (and per progress step)
STATE_CHANGES_KEPT = 1000  # listed in the totals; the rest are counted

_orders, _sellers, _events = table_of(Order), table_of(OrderSeller), table_of(AuditEvent)


@dataclass
class Merged:
    """One range of rows written: how many, how many created, which updated."""

    rows: int
    created: int = 0
    updated: list[str] = field(default_factory=list)
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (no, from, to)


@dataclass
class Totals:
    """An import's outcome, counted (the order numbers are not kept: there may be millions)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)
    more_state_changes: int = 0

    def add(self, merged: Merged) -> None:
        self.created += merged.created
        self.updated += len(merged.updated)
        self.unchanged += merged.rows - merged.created - len(merged.updated)
        room = STATE_CHANGES_KEPT - len(self.state_changes)
        self.state_changes.extend(merged.state_changes[:room])
        self.more_state_changes += max(0, len(merged.state_changes) - room)


def merge(connection: Connection, *, now: datetime) -> Iterator[Merged]:
    """Every staged row written, a range at a time (consume it whole; the caller commits)."""
    renewals.decide(connection)
    mark_changed(connection)
    after = 0
    while bounds := _next_range(connection, after):
        upper, count = bounds
        in_range = and_(ROWS.c.row_no > after, ROWS.c.row_no <= upper)
        merged = Merged(count)
        merged.updated, merged.state_changes = update_changed(connection, in_range, now=now)
        merged.created = _insert_new(connection, in_range, now)
        yield merged
        after = upper
    staging.drop(connection)


def _next_range(connection: Connection, after: int) -> tuple[int, int] | None:
    """The last row number of the next CHUNK staged rows, and how many there are."""
    later = select(ROWS.c.row_no).where(ROWS.c.row_no > after)
    upper = connection.execute(later.order_by(ROWS.c.row_no).offset(CHUNK - 1).limit(1)).scalar()
    if upper is not None:
        return upper, CHUNK
    upper, count = connection.execute(
        select(func.max(ROWS.c.row_no), func.count()).where(ROWS.c.row_no > after)
    ).one()
    return (upper, count) if count else None


def _insert_new(connection: Connection, in_range: ColumnElement[bool], now: datetime) -> int:
    """The range's new orders, in file order, then their sellers and "imported" events."""
    moment = literal(now, _orders.c.created_at.type)
    rows = (
        select(
            ROWS.c.order_no,
            *(ROWS.c[name] for name in DESCRIPTIVE),
            ROWS.c.state,
            ROWS.c.validity_start,
            ROWS.c.validity_end,
            moment,
            moment,
            moment,
            literal(0),
            literal(0),
        )
        .where(in_range, ~exists().where(_orders.c.order_no == ROWS.c.order_no))
        .order_by(ROWS.c.row_no)
    )
    columns = (
        *("order_no", *DESCRIPTIVE, "state", "validity_start", "validity_end"),
        *("state_changed_at", "created_at", "updated_at", "round", "rejected_rounds"),
    )
    before = connection.execute(select(func.max(_orders.c.id))).scalar() or 0
    statement = insert(_orders).from_select(columns, rows)
    created = connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    if not created:
        return 0
    ours = and_(in_range, _orders.c.id > before)  # the range's orders this statement created
    sellers = (
        select(_orders.c.id, SELLERS.c.seller)
        .select_from(
            SELLERS.join(ROWS, ROWS.c.row_no == SELLERS.c.row_no).join(
                _orders, _orders.c.order_no == ROWS.c.order_no
            )
        )
        .where(ours)
        .order_by(SELLERS.c.row_no, SELLERS.c.position)
    )
    connection.execute(insert(_sellers).from_select(("order_id", "seller"), sellers))
    events = (
        select(
            _orders.c.id, moment, literal(ACTOR), literal("imported"), _created_detail(connection)
        )
        .select_from(ROWS.join(_orders, _orders.c.order_no == ROWS.c.order_no))
        .where(ours)
        .order_by(ROWS.c.row_no)
    )
    connection.execute(
        insert(_events).from_select(("order_id", "at", "actor", "kind", "detail"), events)
    )
    return created


def _created_detail(connection: Connection) -> Any:
    """{"status", "state"[, "renewal_of"]}, built by the database."""
    build = func.json_build_object if connection.dialect.name == "postgresql" else func.json_object
    status = (literal("status"), _orders.c.imported_status, literal("state"), _orders.c.state)
    return case(
        (ROWS.c.renewal_of.is_(None), build(*status)),
        else_=build(*status, literal("renewal_of"), ROWS.c.renewal_of),
    )


def analyze(session: Session) -> None:
    """PostgreSQL, once committed: fresh planner statistics for the tables a large import grew."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE orders, orderseller, auditevent"))
        session.commit()
