"""Staged rows of orders already stored: those a re-import changes are found in SQL, so only
they come back to Python, to be written with an "import_updated" event listing the changes.

`mark_changed` compares every staged row with its order at once (a join, not a query per
row) and flags the ones that differ. `update_changed` then reads a range's flagged rows with
their orders, locked on PostgreSQL (so the state a concurrent delivery moved an order to is
the one decided on; on SQLite the import holds the write lock anyway), decides in Python
(`decide_state`, `changes`) and writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    or_,
    select,
    true,
    union,
    update,
)

from bot.orders.imports.rules import (
    ACTOR,
    DESCRIPTIVE,
    SUPERVISION,
    UPDATED,
    changes,
    decide_state,
)
from bot.orders.imports.staging import DECISIONS, ROWS, SELLERS
from storage import bulk
from storage.models import AuditEvent, Order, OrderSeller
from storage.rows import table_of

_orders, _sellers, _events = table_of(Order), table_of(OrderSeller), table_of(AuditEvent)


def mark_changed(connection: Connection) -> None:
    """Flag the staged rows whose order is stored and differs: a descriptive column, the
    state or validity the row decides (`import_decision`), or the set of sellers."""
    staged = ROWS.alias("staged")
    decision = and_(
        DECISIONS.c.status == staged.c.imported_status,
        DECISIONS.c.renews_supervised == staged.c.renews_supervised,
        DECISIONS.c.existing == _orders.c.state,
        DECISIONS.c.first_round == (_orders.c.round == 0),
    )
    decided = DECISIONS.c.state
    differs = or_(
        *(staged.c[name].is_distinct_from(_orders.c[name]) for name in DESCRIPTIVE),
        and_(
            decided.is_not(None),
            or_(
                decided != _orders.c.state,
                staged.c.validity_start.is_distinct_from(_orders.c.validity_start),
                staged.c.validity_end.is_distinct_from(_orders.c.validity_end),
            ),
        ),
    )
    columns = (
        select(staged.c.row_no)
        .select_from(
            staged.join(_orders, _orders.c.order_no == staged.c.order_no).join(DECISIONS, decision)
        )
        .where(differs)
    )
    for changed in (columns, _sellers_changed()):
        connection.execute(update(ROWS).where(ROWS.c.row_no.in_(changed)).values(changed=True))


def _sellers_changed() -> Any:
    """Staged rows with a seller their stored order lacks, or whose stored order has one they
    lack (two anti-joins, each over all the rows at once)."""
    staged, given, stored = ROWS.alias("staged"), SELLERS.alias("given"), _sellers.alias("stored")
    of_order = _orders.c.order_no == staged.c.order_no
    not_stored = (
        select(staged.c.row_no)
        .select_from(
            given.join(staged, staged.c.row_no == given.c.row_no)
            .join(_orders, of_order)
            .outerjoin(
                stored, and_(stored.c.order_id == _orders.c.id, stored.c.seller == given.c.seller)
            )
        )
        .where(stored.c.id.is_(None))
    )
    not_given = (
        select(staged.c.row_no)
        .select_from(
            stored.join(_orders, _orders.c.id == stored.c.order_id)
            .join(staged, of_order)
            .outerjoin(
                given, and_(given.c.row_no == staged.c.row_no, given.c.seller == stored.c.seller)
            )
        )
        .where(given.c.row_no.is_(None))
    )
    return union(not_stored, not_given)


def update_changed(
    connection: Connection, in_range: ColumnElement[bool], *, now: datetime
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The range's flagged rows written: (their order numbers, their state changes as
    (order no., from, to))."""
    query = (
        select(
            ROWS,
            _orders.c.id,
            _orders.c.round,
            *(_orders.c[name].label(f"stored_{name}") for name in DESCRIPTIVE + SUPERVISION),
        )
        .join(_orders, _orders.c.order_no == ROWS.c.order_no)
        .where(in_range, ROWS.c.changed == true())
        .order_by(ROWS.c.row_no)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(of=_orders)
    found = connection.execute(query).all()
    if not found:
        return [], []
    sellers_before = _stored_sellers(connection, [row.id for row in found])
    sellers_after = _staged_sellers(connection, [row.row_no for row in found])
    updated, state_changes, writes, events = [], [], [], []
    gone: list[int] = []  # orderseller ids
    added: list[dict[str, Any]] = []
    for row in found:
        before = {name: getattr(row, f"stored_{name}") for name in DESCRIPTIVE + SUPERVISION}
        after = _after(row, before, now)
        stored = sellers_before.get(row.id, [])
        given = sellers_after[row.row_no]
        found_changes = changes(before, after, [seller for _, seller in stored], given)
        if not found_changes:  # changed back since it was flagged
            continue
        updated.append(row.order_no)
        # every order exists, so only the upsert's update applies; its insert needs these
        writes.append(
            after | {"order_no": row.order_no, "created_at": now, "round": 0, "rejected_rounds": 0}
        )
        detail: dict[str, Any] = {"changes": found_changes}
        if "state" in found_changes:
            was, becomes = found_changes["state"]
            detail |= {"from": was, "to": becomes}
            state_changes.append((row.order_no, was, becomes))
        event = {"order_id": row.id, "at": now, "actor": ACTOR, "kind": "import_updated"}
        events.append(event | {"detail": detail})
        gone.extend(key for key, seller in stored if seller not in given)
        names = {seller for _, seller in stored}
        added.extend({"order_id": row.id, "seller": s} for s in given if s not in names)
    bulk.upsert(connection, _orders, writes, key="order_no", update=UPDATED)
    for chunk in bulk.chunks(gone, bulk.SQLITE_IN):
        connection.execute(delete(_sellers).where(_sellers.c.id.in_(chunk)))
    bulk.insert_rows(connection, _sellers, added)
    bulk.insert_rows(connection, _events, events)
    return updated, state_changes


def _after(row: Any, before: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The order's columns once the row is written (supervision's own are kept once it has
    started, bot.orders.imports.rules)."""
    after = {name: getattr(row, name) for name in DESCRIPTIVE} | {"updated_at": now}
    state = decide_state(
        row.imported_status,
        renews_supervised=row.renews_supervised,
        existing=before["state"],
        rounds=row.round,
    )
    if state is None:
        return after | {name: before[name] for name in SUPERVISION}
    return after | {
        "state": state,
        "state_changed_at": before["state_changed_at"] if state is before["state"] else now,
        "validity_start": row.validity_start,
        "validity_end": row.validity_end,
    }


def _staged_sellers(connection: Connection, numbers: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for chunk in bulk.chunks(numbers, bulk.PG_CHUNK):
        query = (
            select(SELLERS.c.row_no, SELLERS.c.seller)
            .where(bulk.any_of(connection, SELLERS.c.row_no, chunk))
            .order_by(SELLERS.c.row_no, SELLERS.c.position)
        )
        for row_no, seller in connection.execute(query):
            found.setdefault(row_no, []).append(seller)
    return found


def _stored_sellers(
    connection: Connection, order_ids: list[int]
) -> dict[int, list[tuple[int, str]]]:
    """(orderseller id, seller) of each order, in the order they were added."""
    found: dict[int, list[tuple[int, str]]] = {}
    for chunk in bulk.chunks(order_ids, bulk.PG_CHUNK):
        query = (
            select(_sellers.c.id, _sellers.c.order_id, _sellers.c.seller)
            .where(bulk.any_of(connection, _sellers.c.order_id, chunk))
            .order_by(_sellers.c.id)
        )
        for key, order_id, seller in connection.execute(query):
            found.setdefault(order_id, []).append((key, seller))
    return found
