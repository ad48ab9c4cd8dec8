"""The sellers' daily digest of orders waiting for delivery longer than the product promises."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, select

from bot import outbox, scheduler
from bot.contacts import seller_channels
from bot.scheduler import JobRun
from bot.states import SupervisionState
from bot.views.reminders import build_digest
from bot.working_hours import WORKING_DAYS
from storage.models import Order, Product

DIGEST = "seller_digest"
DIGEST_HOUR_UTC = 8


def _next_digest_day(now: datetime) -> datetime:
    day = now.astimezone(UTC).date()
    if now.astimezone(UTC).time() >= time(DIGEST_HOUR_UTC):
        day += timedelta(days=1)
    while day.weekday() not in WORKING_DAYS:
        day += timedelta(days=1)
    return datetime.combine(day, time(DIGEST_HOUR_UTC), tzinfo=UTC)


@scheduler.recurring
def seed_digest(session: Session, now: datetime) -> None:
    due = _next_digest_day(now)
    scheduler.schedule(session, key=f"digest:{due:%Y-%m-%d}", kind=DIGEST, due_at=due)


def overdue_orders(session: Session, now: datetime) -> list[tuple[Order, Product, int]]:
    query = (
        select(Order, Product)
        .join(Product, Product.id == Order.product_id)
        .where(Order.state == SupervisionState.AWAITING_DELIVERY)
        .where(Product.delivery_days.is_not(None))
        .order_by(Order.placed_at)
    )
    late = []
    for order, product in session.exec(query):
        overdue_by = now - order.placed_at - timedelta(days=product.delivery_days)
        if overdue_by > timedelta(0):
            late.append((order, product, overdue_by.days))
    return late


@scheduler.handles(DIGEST)
def send_digest(run: JobRun) -> None:
    session = run.session
    by_seller: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for order, product, days_late in overdue_orders(session, run.now):
        for seller in seller_channels(session, order):
            by_seller[seller].append((order.order_no, product.name, days_late))
    for seller, rows in by_seller.items():
        text, blocks = build_digest(rows, run.now)
        outbox.enqueue(session, key=f"digest:{run.now:%Y-%m-%d}:{seller}",
                       method="chat.postMessage",
                       payload={"channel": seller, "text": text, "blocks": blocks}, now=run.now,
                       meta={"purpose": "digest"})  # fmt: skip
    seed_digest(session, run.now)
