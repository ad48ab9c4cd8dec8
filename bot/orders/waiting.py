"""The `/deliver` list: a page of the seller's orders waiting for delivery and how many there
are, read within the ack on every list.

The statements are built once, with bound parameters: building an ORM query and loading
entities on each request cost several times what running it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlmodel import Session

from bot.orders.queries import sold_by
from storage.models import Order, Product
from storage.states import OrderStatus, SupervisionState, shown_status
from storage.types import UTCDateTime

Cursor = tuple[datetime, int]  # (placed_at, id) of the last order shown: the next page's start


@dataclass(frozen=True)
class WaitingOrder:
    """One line of the list."""

    id: int
    order_no: str
    product: str
    amount: Decimal
    currency: str
    status: OrderStatus
    placed_at: datetime


_ORDERS, _PRODUCTS = Order.__table__, Product.__table__  # type: ignore[attr-defined]
_STATE = SupervisionState.AWAITING_DELIVERY
_WAITING = _ORDERS.c.state == _STATE
_SOLD_BY = sold_by(bindparam("identities", expanding=True))
_PAGE = (
    select(
        _ORDERS.c.id,
        _ORDERS.c.order_no,
        _PRODUCTS.c.name,
        _ORDERS.c.amount,
        _ORDERS.c.currency,
        _ORDERS.c.imported_status,
        _ORDERS.c.placed_at,
    )
    .join(_PRODUCTS, _PRODUCTS.c.id == _ORDERS.c.product_id)
    .where(_WAITING, _SOLD_BY)
    .order_by(_ORDERS.c.placed_at.desc(), _ORDERS.c.id.desc())
    .limit(bindparam("limit"))
)
_PAGE_BEFORE = _PAGE.where(
    tuple_(_ORDERS.c.placed_at, _ORDERS.c.id)
    < tuple_(bindparam("placed_at", type_=UTCDateTime), bindparam("id"))
)
_COUNT: Select = select(func.count()).select_from(
    select(_ORDERS.c.id).where(_WAITING, _SOLD_BY).limit(bindparam("at_most")).subquery()
)


def waiting_page(
    session: Session, identities: set[str], *, limit: int, before: Cursor | None = None
) -> list[WaitingOrder]:
    """The seller's orders waiting for delivery, newest placement first, from `before`
    (exclusive)."""
    params: dict = {"identities": sorted(identities), "limit": limit}
    statement = _PAGE
    if before is not None:
        statement = _PAGE_BEFORE
        params.update(placed_at=before[0], id=before[1])
    rows = session.connection().execute(statement, params)
    return [
        WaitingOrder(id, no, product, amount, currency, shown_status(_STATE, imported), at)
        for id, no, product, amount, currency, imported, at in rows
    ]


def count_waiting(session: Session, identities: set[str], *, at_most: int) -> int:
    """How many of the seller's orders wait for delivery, counting stops at `at_most`."""
    params = {"identities": sorted(identities), "at_most": at_most}
    return session.connection().execute(_COUNT, params).scalar_one()
