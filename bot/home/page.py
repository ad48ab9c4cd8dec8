"""The seller's App Home ("Service Supervision"), republished when one of their orders changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from bot.home.views import DraftLine, HomePage, build_home
from bot.orders import queries as orders
from bot.orders.queries import OrderCard
from bot.reporting.summary import summary
from bot.slack import outbox
from storage.models import (
    Delivery,
    DeliveryState,
    Order,
    OutboxMessage,
    OutboxStatus,
    SlackUser,
)
from storage.rows import changed_rows, saved_id, table_of
from storage.states import SupervisionState

SHOWN = 10
REFRESH = "home_refresh"  # a queued request to publish a seller's Home, rendered when sent
COMPLETED_SHOWN = 5


def identities_of(session: Session, user: str) -> set[str]:
    """The names a user may be a seller under, from the cached profile (no Slack call)."""
    profile = session.get(SlackUser, user)
    return {user} | ({profile.email} if profile and profile.email else set())


def page_for(session: Session, user: str, *, now: datetime, ops: bool = False) -> HomePage:
    """`ops`: the user is operations staff, who also see the marketplace's totals."""
    names = identities_of(session, user)
    open_drafts = (
        select(Delivery, Order)
        .join(Order, col(Order.id) == Delivery.order_id)
        .where(Delivery.state == DeliveryState.DRAFT, orders.sold_by(names))
    )
    drafts = session.exec(open_drafts.order_by(col(Delivery.updated_at).desc()).limit(SHOWN)).all()
    draft_count = session.exec(select(func.count()).select_from(open_drafts.subquery())).one()
    completed = session.exec(
        select(Order)
        .where(Order.state == SupervisionState.COMPLETED, orders.sold_by(names))
        .order_by(col(Order.accepted_at).desc(), col(Order.state_changed_at).desc())
        .limit(COMPLETED_SHOWN)
    ).all()
    profile = session.get(SlackUser, user)

    def listed(state: SupervisionState, *, without_draft: bool = False) -> list[OrderCard]:
        return orders.orders_for_seller(
            session, names, states=(state,), limit=SHOWN, without_draft=without_draft
        )

    counts = orders.counts_by_state(session, names)
    # an order with an open draft is listed and counted once: under the drafts
    counts[SupervisionState.AWAITING_DELIVERY] -= _drafts_awaiting(session, names)
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


def _drafts_awaiting(session: Session, names: set[str]) -> int:
    query = (
        select(func.count())
        .select_from(Delivery)
        .join(Order, col(Order.id) == Delivery.order_id)
        .where(
            Delivery.state == DeliveryState.DRAFT,
            Order.state == SupervisionState.AWAITING_DELIVERY,
            orders.sold_by(names),
        )
    )
    return session.exec(query).one()


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
        col(OutboxMessage.id) > rendered.outbox_seen, col(OutboxMessage.target) == f"home:{user}"
    )
    if session.exec(newer.limit(1)).first() is not None:
        return False
    queue_view(session, user=user, view=rendered.view, now=now)
    return True


def publish_for_user(session: Session, *, user: str, now: datetime, ops: bool = False) -> None:
    """Ask for the Home tab of `user` to be republished: rendered as it is when the outbox
    sends it (bot.slack.dispatcher, `render_queued`). Requests made while one is queued and
    not yet taken are that one: many changes in a row make one publish, and the ack of the
    change that asked pays for one short write, not for rendering the page. `ops`: they are
    operations staff (they also see the totals; their request is not merged into another)."""
    queued = not ops and changed_rows(
        session,
        _MERGE_REQUEST,
        {"home_target": f"home:{user}", "key_prefix": f"{REFRESH}:{user}:%"},
    )
    if queued:
        return
    outbox.enqueue(
        session,
        key=f"{REFRESH}:{user}:{uuid.uuid4().hex}",
        method="views.publish",
        payload={"user_id": user},
        now=now,
        meta={"purpose": REFRESH, "user": user, "ops": ops},
    )


def render_queued(session: Session, payload: dict, meta: dict, now: datetime) -> dict:
    """The payload of a queued Home request, with the page as it is now."""
    user = payload["user_id"]
    page = page_for(session, user, now=now, ops=bool(meta.get("ops")))
    return {**payload, "view": build_home(page)}


def queue_view(session: Session, *, user: str, view: dict, now: datetime) -> None:
    outbox.enqueue(
        session,
        key=f"home:{user}:{uuid.uuid4().hex}",
        method="views.publish",
        payload={"user_id": user, "view": view},
        now=now,
        meta={"purpose": "home", "user": user},
    )


# a no-op write to a queued, unclaimed request: it locks it (PostgreSQL), so a dispatcher taking
# it waits for this transaction and renders what it committed. One row, the oldest: two starts
# at once may each queue a request, and updates locking both in whichever order they met them
# deadlocked. Built once: every change runs it.
_OUTBOX = table_of(OutboxMessage)  # Core: an ORM-enabled UPDATE costs twice the statement
_QUEUED = _OUTBOX.alias("queued")
_MERGE_REQUEST = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id
        == select(_QUEUED.c.id)
        .where(
            _QUEUED.c.target == bindparam("home_target"),
            _QUEUED.c.status == OutboxStatus.PENDING,
            _QUEUED.c.claimed_until.is_(None),
            _QUEUED.c.key.like(bindparam("key_prefix")),
        )
        .order_by(_QUEUED.c.id)
        .limit(1)
        .with_for_update()
        .scalar_subquery()
    )
    .values(due_at=_OUTBOX.c.due_at)
)


def republish_for_order(
    session: Session, *, order: Order, now: datetime, sellers: list[str] | None = None
) -> None:
    """Queue a views.publish of the Home tab for each seller of `order` (a Slack user id);
    `sellers`: the order's, when the caller has them already."""
    users = set()
    if sellers is None:
        sellers = orders.sellers_of(session, saved_id(order))
    for seller in sellers:
        if "@" not in seller:
            users.add(seller)
            continue
        known = session.exec(select(SlackUser.user_id).where(SlackUser.email == seller)).first()
        if known:
            users.add(known)
    for user in sorted(users):
        publish_for_user(session, user=user, now=now)
