"""The sellers' daily digest of orders waiting for delivery longer than the product promises.

A job at the top of every hour sends the digest to each seller for whom it is a working-day
morning (08:00, or later that morning if the worker was down at 08:00) in their own Slack time
zone; the outbox key names the seller's local date, so each seller gets at most one a day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_
from sqlmodel import Session, col, select

from bot.core.dates import zone
from bot.core.working_hours import WORKING_DAYS
from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.orders import queries as orders
from bot.slack import directory, outbox
from bot.slack.services import Services
from bot.supervision.views.reminders import build_digest
from storage.models import Order, OrderSeller, Product, ScheduledJob, SlackUser
from storage.states import SupervisionState

DIGEST = "seller_digest"
MORNING = (time(8), time(12))  # sent from 08:00, caught up until noon


def seed_digest(session: Session, now: datetime) -> None:
    due = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    scheduler.schedule(session, key=f"digest:{due:%Y-%m-%dT%H}", kind=DIGEST, due_at=due)


SHOWN = 15  # the longest-waiting orders listed in one digest; the rest are counted


def _overdue(session: Session, now: datetime) -> Any:
    """Awaiting delivery past its product's stated time: one range per product on the
    (state, placed_at) index, instead of reading every awaiting order."""
    promised = session.exec(
        select(Product.id, Product.delivery_days).where(col(Product.delivery_days).is_not(None))
    ).all()
    late = [
        and_(col(Order.product_id) == product_id, col(Order.placed_at) < now - timedelta(days=d))
        for product_id, d in promised
        if d is not None
    ]
    return and_(col(Order.state) == SupervisionState.AWAITING_DELIVERY, or_(false(), *late))


def _late_sellers(session: Session, now: datetime) -> dict[str, set[str]]:
    """Who to send a digest to (a user id, or an e-mail not matched to one yet) and the names
    they sell under, from one aggregate query (a row per seller name)."""
    query = (
        select(OrderSeller.seller)
        .join(Order, col(Order.id) == OrderSeller.order_id)
        .where(_overdue(session, now))
        .group_by(col(OrderSeller.seller))
    )
    by_channel: dict[str, set[str]] = defaultdict(set)
    for name in session.exec(query):
        cached = directory.cached_person(session, user_id=None, email=name) if "@" in name else None
        channel = cached.user_id if cached else name
        by_channel[channel].update({name, channel})
    return by_channel


def overdue_for(
    session: Session, names: set[str], now: datetime
) -> tuple[list[tuple[str, str, int]], int]:
    """The seller's longest-waiting late orders (order no., product, whole days late), at most
    SHOWN of them, and how many there are in all."""
    overdue = _overdue(session, now)
    query = (
        select(Order.order_no, Order.placed_at, Product.name, Product.delivery_days)
        .join(Product, col(Product.id) == Order.product_id)
        .where(overdue, orders.sold_by(names))
        .order_by(col(Order.placed_at), col(Order.id))
        .limit(SHOWN)
    )
    rows = [
        (no, product, (now - placed_at - timedelta(days=days or 0)).days)
        for no, placed_at, product, days in session.exec(query)
    ]
    total = session.exec(
        select(func.count()).select_from(Order).where(overdue, orders.sold_by(names))
    ).one()
    return rows, total


def look_up_sellers(services: Services, job: ScheduledJob) -> None:
    """Their time zones decide who gets the digest now (asked before the job's transaction)."""
    with services.read_session_factory() as session:
        sellers = [s for s in _late_sellers(session, services.clock.now()) if "@" not in s]
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
    for seller, names in _late_sellers(session, run.now).items():
        local_date = _local_morning(session, seller, run.now)
        if local_date is None:
            continue
        rows, total = overdue_for(session, names, run.now)
        text, blocks = build_digest(rows, run.now, total=total)
        outbox.enqueue(
            session,
            key=f"digest:{local_date}:{seller}",
            method="chat.postMessage",
            payload={"channel": seller, "text": text, "blocks": blocks},
            now=run.now,
            meta={"purpose": "digest"},
        )
    seed_digest(session, run.now)
