"""Orders for `deliverybot orders list/show`: filtered, newest first, loaded in bulk."""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.orders.imports.files import FORMULA_STARTS
from bot.orders.queries import order_json
from storage.bulk import chunks
from storage.models import AuditEvent, Order, OrderSeller, Product
from storage.rows import saved_id
from storage.states import SupervisionState

CSV_COLUMNS = (
    "order_no",
    "product_code",
    "product_name",
    "amount",
    "currency",
    "placed_at",
    "duration",
    "status",
    "state",
    "sellers",
    "customer_user_id",
    "customer_email",
    "customer_name",
    "customer_channel",
    "renewal_of",
    "round",
    "enabling_time",
    "accepted_at",
    "accepted_by",
    "validity_start",
    "validity_end",
)
_IN = 500


def find_orders(
    session: Session, *, states: list[SupervisionState] | None = None, seller: str | None = None
) -> list[dict[str, Any]]:
    """`order_json` of each matching order, newest placement first."""
    query = select(Order, Product).join(Product, col(Product.id) == Order.product_id)
    if states:
        query = query.where(col(Order.state).in_(states))
    if seller:
        name = seller.strip().lower() if "@" in seller else seller.strip()
        query = query.where(
            col(Order.id).in_(select(OrderSeller.order_id).where(OrderSeller.seller == name))
        )
    rows = list(session.exec(query.order_by(col(Order.placed_at).desc(), col(Order.id).desc())))
    ids = [saved_id(order) for order, _ in rows]
    sellers, events = _sellers(session, ids), _events(session, ids)
    return [
        order_json(
            session,
            order,
            product=product,
            sellers=sellers[saved_id(order)],
            events=events[saved_id(order)],
        )
        for order, product in rows
    ]


def _sellers(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(ids, _IN):
        query = (
            select(OrderSeller.order_id, OrderSeller.seller)
            .where(col(OrderSeller.order_id).in_(chunk))
            .order_by(col(OrderSeller.id))
        )
        for order_id, seller in session.exec(query):
            found[order_id].append(seller)
    return found


def _events(session: Session, ids: list[int]) -> dict[int, list[AuditEvent]]:
    found: dict[int, list[AuditEvent]] = defaultdict(list)
    for chunk in chunks(ids, _IN):
        query = (
            select(AuditEvent)
            .where(col(AuditEvent.order_id).in_(chunk))
            .order_by(col(AuditEvent.id))
        )
        for event in session.exec(query):
            assert event.order_id is not None
            found[event.order_id].append(event)
    return found


def csv_row(order: dict[str, Any]) -> dict[str, Any]:
    """One flat line per order; the import reads these columns back."""
    flat = {key: order[key] for key in CSV_COLUMNS if key in order}
    flat["sellers"] = ";".join(order["sellers"])
    for key, value in order["customer"].items():
        flat[f"customer_{key}"] = value
    return {key: _cell(flat.get(key)) for key in CSV_COLUMNS}


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell starting with = + - @ (or a tab or CR) as a formula: such text
    gets a leading single quote, as spreadsheets expect (the import takes it off again)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def close_match(session: Session, order_no: str) -> str | None:
    typed = order_no.strip()
    lengths = range(max(1, len(typed) - 2), len(typed) + 3)
    query = select(Order.order_no).where(func.length(Order.order_no).in_(list(lengths)))
    matches = difflib.get_close_matches(typed, list(session.exec(query)), n=1, cutoff=0.6)
    return matches[0] if matches else None
