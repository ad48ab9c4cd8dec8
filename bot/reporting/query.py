"""What a report covers: the delivered orders (first delivery submitted in the period), one
row per order, or per order and seller when grouped by seller, with the facts the figures
are made of. Filters: period, sellers (Slack ids or e-mails), products (codes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, func, literal, select
from sqlalchemy.sql import ColumnElement

from storage.models import Delivery, DeliveryState, Order, OrderSeller, Product, SlackUser
from storage.rows import table_of

ORDERS = table_of(Order)
DELIVERIES = table_of(Delivery)
SELLERS = table_of(OrderSeller)
PRODUCTS = table_of(Product)
PEOPLE = table_of(SlackUser)


@dataclass(frozen=True)
class ReportFilter:
    since: datetime | None = None  # first delivery at or after
    until: datetime | None = None  # first delivery before
    sellers: Sequence[str] = ()
    products: Sequence[str] = ()


GROUPS = ("seller", "product", "month")


def month_of(moment, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM")
    return func.strftime("%Y-%m", moment)


def week_of(moment, dialect: str) -> ColumnElement:
    """The Monday (UTC) of the week, as YYYY-MM-DD."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("week", func.timezone("UTC", moment)), "YYYY-MM-DD")
    return func.date(moment, "weekday 0", "-6 days")


def delivered(report: ReportFilter, dialect: str, *, by_seller: bool) -> Subquery:
    """One row per delivered order (per order and seller when `by_seller`).

    The delivery rounds are read once, grouped by order: the first submission, and the round
    that was accepted (an order is accepted once, so at most one round is)."""
    is_accepted = DELIVERIES.c.state == DeliveryState.ACCEPTED.value
    first_at = func.min(DELIVERIES.c.submitted_at)
    rounds = (
        select(
            DELIVERIES.c.order_id,
            first_at.label("first_at"),
            func.max(DELIVERIES.c.round).filter(is_accepted).label("acc_round"),
            func.max(DELIVERIES.c.submitted_at).filter(is_accepted).label("acc_at"),
            func.max(DELIVERIES.c.customer_tz).filter(is_accepted).label("acc_tz"),
        )
        .group_by(DELIVERIES.c.order_id)
        .having(first_at.is_not(None))
    )
    if report.since:
        rounds = rounds.having(first_at >= report.since)
    if report.until:
        rounds = rounds.having(first_at < report.until)
    firsts = rounds.subquery("rounds")
    seller = SELLERS.c.seller if by_seller else literal("all")
    query = (
        select(
            ORDERS.c.id.label("order_id"),
            seller.label("seller"),
            PRODUCTS.c.code.label("product"),
            month_of(firsts.c.first_at, dialect).label("month"),
            week_of(firsts.c.first_at, dialect).label("week"),
            firsts.c.first_at,
            ORDERS.c.round,
            ORDERS.c.rejected_rounds,
            ORDERS.c.state,
            ORDERS.c.accepted_at,
            ORDERS.c.accepted_by,
            firsts.c.acc_round,
            firsts.c.acc_at,
            func.coalesce(firsts.c.acc_tz, PEOPLE.c.tz, "UTC").label("tz"),
        )
        .select_from(firsts)
        .join(ORDERS, ORDERS.c.id == firsts.c.order_id)
        .join(PRODUCTS, PRODUCTS.c.id == ORDERS.c.product_id)
        .outerjoin(PEOPLE, PEOPLE.c.user_id == ORDERS.c.customer_user_id)
    )
    if by_seller:
        query = query.join(SELLERS, SELLERS.c.order_id == ORDERS.c.id)
        if report.sellers:
            query = query.where(SELLERS.c.seller.in_(report.sellers))
    elif report.sellers:
        mine = select(SELLERS.c.order_id).where(SELLERS.c.seller.in_(report.sellers))
        query = query.where(ORDERS.c.id.in_(mine))
    if report.products:
        query = query.where(PRODUCTS.c.code.in_(report.products))
    return query.subquery("delivered")
