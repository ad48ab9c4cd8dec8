"""Checked order rows written in bulk: an idempotent upsert by order_no that never undoes
supervision. Core statements in chunks (INSERT … ON CONFLICT DO UPDATE), one audit event per
created or changed order, all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from bot.core.dates import zone
from bot.orders.calendar import CustomerZones
from bot.orders.imports.validation import OrderRow
from bot.orders.validity import renewal_validity
from storage import bulk
from storage.bulk import chunks
from storage.models import AuditEvent, Order, OrderSeller
from storage.rows import table_of
from storage.states import OrderStatus, SupervisionState

CHUNK = 5000  # rows per upsert statement (and per progress step)
ACTOR = "cli"
DESCRIPTIVE = (
    "product_id",
    "amount",
    "currency",
    "imported_status",
    "placed_at",
    "duration",
    "customer_user_id",
    "customer_email",
    "customer_name",
    "customer_channel",
    "renewal_of",
    "contact",
)
SUPERVISION = ("state", "state_changed_at", "validity_start", "validity_end")
UPDATED = DESCRIPTIVE + SUPERVISION + ("updated_at",)  # what a re-import may overwrite
# a renewal of an order in one of these states is not supervised (nor a renewal of that renewal)
SUPERVISION_DONE = frozenset({SupervisionState.COMPLETED, SupervisionState.NOT_SUPERVISED})
# where the file still has the last word; elsewhere supervision has started and is kept
FILE_DECIDES = frozenset({SupervisionState.NOT_DELIVERABLE})
NOT_PAID = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELED})

Progress = Callable[[int], None]  # called with the number of rows just written


@dataclass(frozen=True)
class Known:
    """An order as the database holds it before the import."""

    id: int
    values: dict[str, Any]  # DESCRIPTIVE + SUPERVISION columns
    round: int
    sellers: tuple[str, ...]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (no, from, to)


def initial_state(status: OrderStatus, *, renews_supervised: bool) -> SupervisionState:
    if status in NOT_PAID:
        return SupervisionState.NOT_DELIVERABLE
    if renews_supervised:
        return SupervisionState.NOT_SUPERVISED
    if status is OrderStatus.COMPLETED:
        return SupervisionState.COMPLETED
    return SupervisionState.AWAITING_DELIVERY


def decide_state(
    status: OrderStatus, *, renews_supervised: bool, existing: SupervisionState | None, rounds: int
) -> SupervisionState | None:
    """The state a row puts the order in, or None to keep the one supervision reached.

    The file decides while supervision has not started (new, not deliverable, or awaiting a
    first delivery). Once a delivery was made only a cancellation still counts.
    """
    fresh = initial_state(status, renews_supervised=renews_supervised)
    if existing is None or existing in FILE_DECIDES:
        return fresh
    if existing is SupervisionState.AWAITING_DELIVERY and (rounds == 0 or status in NOT_PAID):
        return fresh
    return None


def import_orders(
    session: Session, rows: list[OrderRow], *, now: datetime, progress: Progress | None = None
) -> ImportReport:
    connection = session.connection()
    lock = connection.dialect.name == "postgresql"
    known = _load_known(connection, [row.order_no for row in rows], lock=lock)
    refs = {row.renewal_of for row in rows if row.renewal_of} - known.keys()
    states = {no: (k.values["state"], k.values["validity_end"]) for no, k in known.items()}
    states.update(_load_states(connection, refs))
    customer_zones = CustomerZones.load(connection, [row for row in rows if row.renewal_of])

    report, writes, events = ImportReport(), [], []
    seller_rows: list[tuple[str, str]] = []
    for row in rows:
        renewed = states.get(row.renewal_of) if row.renewal_of else None
        existing = known.get(row.order_no)
        values = _values(row, renewed, existing, now, customer_zones)
        states[row.order_no] = (values["state"], values["validity_end"])
        # every written row has the same keys; created_at and the counters only count on insert
        values |= {"created_at": now, "round": 0, "rejected_rounds": 0}
        if existing is None:
            report.created.append(row.order_no)
            writes.append(values)
            events.append((row.order_no, "imported", _created_detail(row, values)))
            seller_rows.extend((row.order_no, seller) for seller in row.sellers)
            continue
        changes = _changes(existing, values, row.sellers)
        if not changes:
            report.unchanged.append(row.order_no)
            continue
        report.updated.append(row.order_no)
        writes.append(values)
        detail: dict[str, Any] = {"changes": changes}
        if "state" in changes:
            before, after = changes["state"]
            detail |= {"from": before, "to": after}
            report.state_changes.append((row.order_no, before, after))
        events.append((row.order_no, "import_updated", detail))
        if "sellers" in changes:
            _replace_sellers(connection, existing, row.sellers)
            seller_rows.extend((row.order_no, s) for s in row.sellers if s not in existing.sellers)

    ids = {no: k.id for no, k in known.items()}
    for chunk in chunks(writes, CHUNK):
        ids.update(
            bulk.upsert(
                connection,
                table_of(Order),
                chunk,
                key="order_no",
                update=UPDATED,
                returning=("order_no", "id"),
            )
        )
        if progress:
            progress(len(chunk))
    sellers = [{"order_id": ids[no], "seller": seller} for no, seller in seller_rows]
    bulk.insert_rows(connection, table_of(OrderSeller), sellers)
    _insert_events(connection, ids, events, now)
    if progress:
        progress(len(rows) - len(writes))
    return report


def _values(
    row: OrderRow,
    renewed: tuple[SupervisionState, datetime | None] | None,
    existing: Known | None,
    now: datetime,
    customer_zones: CustomerZones,
) -> dict[str, Any]:
    renews_supervised = renewed is not None and renewed[0] in SUPERVISION_DONE
    state = decide_state(
        row.status,
        renews_supervised=renews_supervised,
        existing=existing.values["state"] if existing else None,
        rounds=existing.round if existing else 0,
    )
    values: dict[str, Any] = {
        "order_no": row.order_no,
        "product_id": row.product_id,
        "amount": row.amount,
        "currency": row.currency,
        "imported_status": row.status,
        "placed_at": row.placed_at,
        "duration": row.duration,
        "customer_user_id": row.customer_user_id,
        "customer_email": row.customer_email,
        "customer_name": row.customer_name,
        "customer_channel": row.customer_channel,
        "renewal_of": row.renewal_of,
        "contact": row.contact,
        "updated_at": now,
    }
    if state is None:  # supervision owns these now
        assert existing is not None
        return values | {key: existing.values[key] for key in SUPERVISION}
    start = end = None
    if state is SupervisionState.NOT_SUPERVISED and renewed and renewed[1] is not None:
        validity = renewal_validity(
            renewed_end=renewed[1], duration=row.duration, tz=zone(customer_zones.of(row))
        )
        start, end = validity.start, validity.end
    if existing is None or existing.values["state"] is not state:
        state_changed_at = now
    else:
        state_changed_at = existing.values["state_changed_at"]
    return values | {
        "state": state,
        "state_changed_at": state_changed_at,
        "validity_start": start,
        "validity_end": end,
    }


def _changes(existing: Known, values: dict[str, Any], sellers: tuple[str, ...]) -> dict:
    """{column: [before, after]} for what the row changes, as text for the audit trail."""
    changes = {
        key: [_plain(existing.values[key]), _plain(values[key])]
        for key in DESCRIPTIVE + ("state", "validity_start", "validity_end")
        if existing.values[key] != values[key]
    }
    if set(sellers) != set(existing.sellers):
        changes["sellers"] = [list(existing.sellers), list(sellers)]
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)


def _created_detail(row: OrderRow, values: dict[str, Any]) -> dict[str, Any]:
    detail = {"status": row.status.value, "state": values["state"].value}
    if row.renewal_of:
        detail["renewal_of"] = row.renewal_of
    return detail


def _load_known(connection, order_nos: list[str], *, lock: bool) -> dict[str, Known]:
    table = table_of(Order)
    names = DESCRIPTIVE + SUPERVISION
    columns = [table.c[name] for name in names]
    known: dict[str, Known] = {}
    for chunk in chunks(order_nos, CHUNK):
        query = select(table.c.id, table.c.order_no, table.c.round, *columns).where(
            bulk.any_of(connection, table.c.order_no, chunk)
        )
        for order_id, order_no, rounds, *values in connection.execute(
            query.with_for_update() if lock else query
        ).all():
            known[order_no] = Known(order_id, dict(zip(names, values, strict=True)), rounds, ())
    by_id = {k.id: no for no, k in known.items()}
    sellers: dict[int, list[str]] = {}
    for chunk in chunks(list(by_id), CHUNK):
        query = (
            select(col(OrderSeller.order_id), col(OrderSeller.seller))
            .where(bulk.any_of(connection, OrderSeller.order_id, chunk))
            .order_by(col(OrderSeller.id))
        )
        for order_id, seller in connection.execute(query).all():
            sellers.setdefault(order_id, []).append(seller)
    for order_id, order_sellers in sellers.items():
        no = by_id[order_id]
        known[no] = Known(known[no].id, known[no].values, known[no].round, tuple(order_sellers))
    return known


def _load_states(connection, order_nos: set[str]) -> dict[str, tuple]:
    table = table_of(Order)
    found = {}
    for chunk in chunks(sorted(order_nos), CHUNK):
        query = select(table.c.order_no, table.c.state, table.c.validity_end).where(
            bulk.any_of(connection, table.c.order_no, chunk)
        )
        for no, state, end in connection.execute(query).all():
            found[no] = (state, end)
    return found


def _replace_sellers(connection, existing: Known, sellers: tuple[str, ...]) -> None:
    removed = [s for s in existing.sellers if s not in sellers]
    if removed:
        connection.execute(
            delete(OrderSeller).where(
                col(OrderSeller.order_id) == existing.id, col(OrderSeller.seller).in_(removed)
            )
        )


def _insert_events(connection, ids: dict[str, int], events: list, now: datetime) -> None:
    rows = [
        {"order_id": ids[no], "at": now, "actor": ACTOR, "kind": kind, "detail": detail}
        for no, kind, detail in events
    ]
    bulk.insert_rows(connection, table_of(AuditEvent), rows)
