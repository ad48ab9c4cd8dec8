"""The seller's App Home ("Service Supervision"), republished when one of their orders changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.home.views import DraftLine, HomePage, build_home
from bot.orders import queries as orders
from bot.orders.queries import OrderCard
from bot.reporting.summary import summary
from bot.slack import outbox
from storage.models import Delivery, DeliveryState, Order, OrderSeller, OutboxMessage, SlackUser
from storage.rows import saved_id
from storage.states import SupervisionState

SHOWN = 10
COMPLETED_SHOWN = 5


def identities_of(session: Session, user: str) -> set[str]:
    """The names a user may be a seller under, from the cached profile (no Slack call)."""
    profile = session.get(SlackUser, user)
    return {user} | ({profile.email} if profile and profile.email else set())


def page_for(session: Session, user: str, *, now: datetime, ops: bool = False) -> HomePage:
    """`ops`: the user is operations staff, who also see the marketplace's totals."""
    names = identities_of(session, user)
    mine = select(OrderSeller.order_id).where(col(OrderSeller.seller).in_(names))
    open_drafts = (
        select(Delivery, Order)
        .join(Order, col(Order.id) == Delivery.order_id)
        .where(Delivery.state == DeliveryState.DRAFT, col(Order.id).in_(mine))
    )
    drafts = session.exec(open_drafts.order_by(col(Delivery.updated_at).desc()).limit(SHOWN)).all()
    draft_count = session.exec(select(func.count()).select_from(open_drafts.subquery())).one()
    completed = session.exec(
        select(Order)
        .where(Order.state == SupervisionState.COMPLETED, col(Order.id).in_(mine))
        .order_by(col(Order.accepted_at).desc(), col(Order.state_changed_at).desc())
        .limit(COMPLETED_SHOWN)
    ).all()
    profile = session.get(SlackUser, user)

    def listed(state: SupervisionState, *, without_draft: bool = False) -> list[OrderCard]:
        return orders.orders_for_seller(
            session, names, states=(state,), limit=SHOWN, without_draft=without_draft
        )

    counts = {s: orders.count_for_seller(session, names, s) for s in SupervisionState}
    # an order with an open draft is listed and counted once: under the drafts
    counts[SupervisionState.AWAITING_DELIVERY] = orders.count_for_seller(
        session, names, SupervisionState.AWAITING_DELIVERY, without_draft=True
    )
    return HomePage(
        user=user,
        awaiting_delivery=listed(SupervisionState.AWAITING_DELIVERY, without_draft=True),
        drafts=[DraftLine(orders.card(session, order), d) for d, order in drafts],
        awaiting_acceptance=listed(SupervisionState.AWAITING_ACCEPTANCE),
        completed=[orders.card(session, order) for order in completed],
        counts=counts,
        draft_count=draft_count,
        now=now,
        tz=(profile.tz if profile else None) or "UTC",
        numbers=summary(session, sellers=sorted(names), now=now),
        totals=summary(session, sellers=None, now=now) if ops else None,
    )


@dataclass(frozen=True)
class Rendered:
    view: dict
    outbox_seen: int  # the newest outbox row when it was rendered


def render(session: Session, *, user: str, now: datetime, ops: bool = False) -> Rendered:
    """The Home tab of `user` as it is now, from a read-only session."""
    seen = session.exec(select(func.max(OutboxMessage.id))).one() or 0
    return Rendered(build_home(page_for(session, user, now=now, ops=ops)), seen)


def queue_rendered(session: Session, *, user: str, rendered: Rendered, now: datetime) -> bool:
    """Queue a view rendered earlier, unless a Home of `user` was queued since (that one is
    at least as new: queued after ours, ours would show the older state last)."""
    newer = select(OutboxMessage.id).where(
        col(OutboxMessage.id) > rendered.outbox_seen, OutboxMessage.key.startswith(f"home:{user}:")
    )
    if session.exec(newer.limit(1)).first() is not None:
        return False
    queue_view(session, user=user, view=rendered.view, now=now)
    return True


def publish_for_user(session: Session, *, user: str, now: datetime) -> None:
    """Queue the Home tab of `user` as it is now (the newest queued one wins)."""
    queue_view(session, user=user, view=build_home(page_for(session, user, now=now)), now=now)


def queue_view(session: Session, *, user: str, view: dict, now: datetime) -> None:
    outbox.enqueue(
        session,
        key=f"home:{user}:{uuid.uuid4().hex}",
        method="views.publish",
        payload={"user_id": user, "view": view},
        now=now,
        meta={"purpose": "home", "user": user},
    )


def republish_for_order(session: Session, *, order: Order, now: datetime) -> None:
    """Queue a views.publish of the Home tab for each seller of `order` (a Slack user id)."""
    users = set()
    for seller in orders.sellers_of(session, saved_id(order)):
        if "@" not in seller:
            users.add(seller)
            continue
        known = session.exec(select(SlackUser.user_id).where(SlackUser.email == seller)).first()
        if known:
            users.add(known)
    for user in sorted(users):
        publish_for_user(session, user=user, now=now)
