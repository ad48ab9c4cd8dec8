"""Finding orders and deciding who may see them. Plain functions taking a Session."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam, func
from sqlmodel import Session, col, select

from bot.core.audit import events_for
from bot.core.errors import NotSupervised, NotYourOrder, OrderNotFound
from bot.orders.calendar import customer_time_zone
from storage.bulk import chunks
from storage.models import Delivery, DeliveryState, Order, OrderSeller, Product
from storage.rows import get_row, saved_id
from storage.states import SupervisionState

CLOSE_MATCH_CANDIDATES = 5000
_drafted = select(Delivery.order_id).where(Delivery.state == DeliveryState.DRAFT)


@dataclass(frozen=True)
class OrderCard:
    """An order with what views need beside it."""

    order: Order
    product: Product
    sellers: list[str]
    calendar: str = "UTC"  # the customer's time zone, that the validity is counted in


def get_order(session: Session, order_no: str) -> Order | None:
    return session.exec(_BY_NUMBER, params={"order_no": order_no.strip()}).first()


# a look-up by number behind customer clicks, the accept page and file drops: built once
_BY_NUMBER = select(Order).where(Order.order_no == bindparam("order_no"))


def stored_order_nos(session: Session, order_nos: set[str]) -> set[str]:
    """Which of `order_nos` the database holds."""
    found: set[str] = set()
    for chunk in chunks(sorted(order_nos), 500):
        found.update(session.exec(select(Order.order_no).where(col(Order.order_no).in_(chunk))))
    return found


def sellers_of(session: Session, order_id: int) -> list[str]:
    return list(session.exec(_SELLERS, params={"order_id": order_id}))


_SELLERS = (
    select(OrderSeller.seller)
    .where(OrderSeller.order_id == bindparam("order_id"))
    .order_by(col(OrderSeller.id))
)


def card(
    session: Session,
    order: Order,
    sellers: list[str] | None = None,
    product: Product | None = None,
) -> OrderCard:
    """`sellers`, `product`: the order's, when the caller has read them already."""
    return OrderCard(
        order,
        get_row(session, Product, order.product_id) if product is None else product,
        sellers_of(session, saved_id(order)) if sellers is None else sellers,
        customer_time_zone(session, order),
    )


def is_seller(session: Session, order: Order, identities: set[str]) -> bool:
    query = select(func.count()).where(
        OrderSeller.order_id == order.id, col(OrderSeller.seller).in_(identities)
    )
    return session.exec(query).one() > 0


def order_for_seller(
    session: Session, order_no: str, identities: set[str], *, for_delivery: bool = False
) -> OrderCard:
    """The order if one of `identities` sells it; the errors say nothing else about it."""
    rows = session.exec(_WITH_PRODUCT_AND_SELLERS, params={"order_no": order_no.strip()}).all()
    if not rows:
        raise OrderNotFound(
            order_no.strip(), suggestion=_close_match(session, order_no, identities)
        )
    order, product, _ = rows[0]
    sellers = [seller for _, _, seller in rows if seller is not None]
    if identities.isdisjoint(sellers):
        raise NotYourOrder(order.order_no)
    if for_delivery and order.state is SupervisionState.NOT_SUPERVISED:
        raise NotSupervised(order.order_no, order.renewal_of)
    return card(session, order, sellers, product)


# every start and click on an order reads it: one round trip, a row per seller, built once
_WITH_PRODUCT_AND_SELLERS = (
    select(Order, Product, OrderSeller.seller)
    .join(Product, col(Product.id) == Order.product_id)
    .outerjoin(OrderSeller, col(OrderSeller.order_id) == Order.id)
    .where(Order.order_no == bindparam("order_no"))
    .order_by(col(OrderSeller.id))
)


def _close_match(session: Session, order_no: str, identities: set[str]) -> str | None:
    """The caller's own order whose number looks most like the one typed (never another's)."""
    typed = order_no.strip()
    lengths = list(range(max(1, len(typed) - 2), len(typed) + 3))
    query = (
        select(Order.order_no)
        .join(OrderSeller, col(OrderSeller.order_id) == Order.id)
        .where(col(OrderSeller.seller).in_(identities))
        .where(func.length(Order.order_no).in_(lengths))
        .limit(CLOSE_MATCH_CANDIDATES)  # a typo's answer within the ack, whatever the total
    )
    numbers = list(session.exec(query))
    matches = difflib.get_close_matches(order_no.strip(), numbers, n=1, cutoff=0.6)
    return matches[0] if matches else None


def sold_by(identities: set[str] | BindParameter) -> Any:
    """The order is sold by one of `identities` (or an expanding parameter that holds them):
    a probe of the (order_id, seller) index per order, so a list read in index order stops
    after its page whatever the seller's total."""
    return (
        select(OrderSeller.id)
        .where(col(OrderSeller.order_id) == Order.id, col(OrderSeller.seller).in_(identities))
        .exists()
    )


def orders_for_seller(
    session: Session,
    identities: set[str],
    *,
    states: tuple[SupervisionState, ...] = (SupervisionState.AWAITING_DELIVERY,),
    limit: int | None = None,
    without_draft: bool = False,
) -> list[OrderCard]:
    """The seller's orders in `states`, newest placement first; `without_draft`: only those
    nobody has started delivering."""
    query = (
        select(Order, Product)
        .join(Product, col(Product.id) == Order.product_id)
        .where(col(Order.state).in_(states), sold_by(identities))
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    )
    if without_draft:
        query = query.where(col(Order.id).not_in(_drafted))
    if limit:
        query = query.limit(limit)
    rows = list(session.exec(query))
    return [OrderCard(order, product, []) for order, product in rows]


def counts_by_state(session: Session, identities: set[str]) -> dict[SupervisionState, int]:
    """The seller's orders per state, in one aggregate query (the Home's figures)."""
    query = select(Order.state, func.count()).where(sold_by(identities)).group_by(col(Order.state))
    found = {state: 0 for state in SupervisionState}
    found.update({SupervisionState(state): n for state, n in session.exec(query)})
    return found


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def order_json(
    session: Session,
    order: Order,
    *,
    product: Product | None = None,
    sellers: list[str] | None = None,
    events: list | None = None,
) -> dict[str, Any]:
    """The stable JSON interface of `deliverybot orders show --json` and `list --json`.

    `product`, `sellers` and `events` may be passed in when loaded in bulk for many orders.
    """
    product = product or get_row(session, Product, order.product_id)
    return {
        "order_no": order.order_no,
        "product_code": product.code,
        "product_name": product.name,
        "amount": f"{order.amount:.2f}",
        "currency": order.currency,
        "placed_at": _iso(order.placed_at),
        "duration": order.duration,
        "status": order.status.value,
        "state": order.state.value,
        "sellers": sellers if sellers is not None else sellers_of(session, saved_id(order)),
        "customer": {
            "user_id": order.customer_user_id,
            "email": order.customer_email,
            "name": order.customer_name,
            "channel": order.customer_channel,
        },
        "renewal_of": order.renewal_of,
        "round": order.round,
        "enabling_time": _iso(order.enabling_time),
        "accepted_at": _iso(order.accepted_at),
        "accepted_by": order.accepted_by,
        "validity_start": _iso(order.validity_start),
        "validity_end": _iso(order.validity_end),
        "events": [
            {"at": _iso(e.at), "actor": e.actor, "kind": e.kind, "detail": e.detail}
            for e in (events if events is not None else events_for(session, saved_id(order)))
        ],
    }
