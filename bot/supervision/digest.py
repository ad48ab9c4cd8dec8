"""The sellers' daily digest of orders waiting for delivery longer than the product promises.

A job at the top of every hour sends the digest to each seller for whom it is a working-day
morning (08:00, or later that morning if the worker was down at 08:00) in their own Slack time
zone; the outbox key names the seller's local date, so each seller gets at most one a day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.core.dates import zone
from bot.core.working_hours import WORKING_DAYS
from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.orders.contacts import seller_channels
from bot.slack import directory, outbox
from bot.slack.services import Services
from bot.supervision.views.reminders import build_digest
from storage.models import Order, Product, ScheduledJob, SlackUser
from storage.states import SupervisionState

DIGEST = "seller_digest"
MORNING = (time(8), time(12))  # sent from 08:00, caught up until noon


def seed_digest(session: Session, now: datetime) -> None:
    due = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    scheduler.schedule(session, key=f"digest:{due:%Y-%m-%dT%H}", kind=DIGEST, due_at=due)


def overdue_orders(session: Session, now: datetime) -> list[tuple[Order, Product, int]]:
    query = (
        select(Order, Product)
        .join(Product, col(Product.id) == Order.product_id)
        .where(Order.state == SupervisionState.AWAITING_DELIVERY)
        .where(col(Product.delivery_days).is_not(None))
        .order_by(col(Order.placed_at))
    )
    late = []
    for order, product in session.exec(query):
        assert product.delivery_days is not None
        overdue_by = now - order.placed_at - timedelta(days=product.delivery_days)
        if overdue_by > timedelta(0):
            late.append((order, product, overdue_by.days))
    return late


def _late_by_seller(session: Session, now: datetime) -> dict[str, list[tuple[str, str, int]]]:
    by_seller: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for order, product, days_late in overdue_orders(session, now):
        for seller in seller_channels(session, order):
            by_seller[seller].append((order.order_no, product.name, days_late))
    return by_seller


def look_up_sellers(services: Services, job: ScheduledJob) -> None:
    """Their time zones decide who gets the digest now (asked before the job's transaction)."""
    with services.read_session_factory() as session:
        sellers = [s for s in _late_by_seller(session, services.clock.now()) if "@" not in s]
    for seller in sellers:
        directory.lookup(services, seller)


def _local_morning(session: Session, seller: str, now: datetime) -> str | None:
    """The seller's local date if it is a working-day morning for them now, else None.
    A seller known only by e-mail counts as being in UTC."""
    cached = session.get(SlackUser, seller) if "@" not in seller else None
    local = now.astimezone(zone(cached.tz if cached and cached.tz else "UTC"))
    in_morning = MORNING[0] <= local.time() < MORNING[1]
    return f"{local:%Y-%m-%d}" if in_morning and local.weekday() in WORKING_DAYS else None


def send_digest(run: JobRun) -> None:
    session = run.session
    for seller, rows in _late_by_seller(session, run.now).items():
        local_date = _local_morning(session, seller, run.now)
        if local_date is None:
            continue
        text, blocks = build_digest(rows, run.now)
        outbox.enqueue(
            session,
            key=f"digest:{local_date}:{seller}",
            method="chat.postMessage",
            payload={"channel": seller, "text": text, "blocks": blocks},
            now=run.now,
            meta={"purpose": "digest"},
        )
    seed_digest(session, run.now)
