"""The seller's delivery draft, from `/deliver 12345` to a submitted delivery.

Plain functions taking a Session and `now`. Each one authorises the seller, changes the
draft, audits the step and queues the DM updates it causes (bot.delivery.dm), all in the
caller's transaction: the draft is in the database after every step, so a restart, a new
`/deliver 12345` or a day's pause resumes exactly where the seller left off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from bot.core.errors import NotYourOrder
from bot.core.proof_kinds import DEFAULT_REQUIRED_KINDS
from bot.delivery import dm as delivery_dm
from bot.delivery.errors import DraftClosed, HeldByTeammate, MissingItems, NotDeliverable
from bot.delivery.proof import active_files
from bot.delivery.queries import missing_items, open_draft, previous_round, required_kinds
from bot.delivery.steps import audit_step, touch
from bot.home import page as home
from bot.orders import queries as orders
from bot.orders.queries import OrderCard
from bot.orders.states import Transition
from bot.orders.workflow import change_state
from bot.supervision import notices as notifications
from bot.supervision import reminders
from storage.bulk import insert_or_skip
from storage.models import Delivery, DeliveryState, Order, ProofFile
from storage.rows import get_row, saved_id, table_of
from storage.states import OrderStatus, SupervisionState


@dataclass(frozen=True)
class Started:
    delivery: Delivery
    card: OrderCard
    resumed: bool


def where_it_stands(order: Order) -> str:
    no = order.order_no
    match order.state:
        case SupervisionState.AWAITING_ACCEPTANCE:
            return (
                f"Order {no} is already delivered and with the customer for acceptance. "
                "Nothing to deliver unless they ask for changes."
            )
        case SupervisionState.COMPLETED:
            return f"Order {no} is completed: the customer accepted it. Nothing to deliver."
        case SupervisionState.NOT_SUPERVISED:
            return f"Supervision does not apply to order {no} (a renewal). Nothing to deliver."
        case _ if order.status is OrderStatus.CANCELED:
            return f"Order {no} was cancelled. Nothing to deliver."
        case _:
            return (
                f"Order {no} can't be delivered: its status is {order.status.value}. "
                "It becomes deliverable once it is paid."
            )


def start_or_resume(
    session: Session,
    *,
    order_no: str,
    user: str,
    identities: set[str],
    now: datetime,
    default_kinds: tuple[str, ...] = DEFAULT_REQUIRED_KINDS,
) -> Started:
    """Open the order's draft for `user` (new, or the one they already hold)."""
    card = orders.order_for_seller(session, order_no, identities, for_delivery=True)
    order = card.order
    if order.state is not SupervisionState.AWAITING_DELIVERY:
        raise NotDeliverable(where_it_stands(order), card)
    # a new draft is tried first: the one open draft an order may have decides, so a start
    # costs no look-up, and a resume (or a teammate's draft) one more
    kinds = tuple(required_kinds(card, default_kinds))
    messages = delivery_dm.first_messages(kinds)
    draft = _new_draft(session, order, user=user, now=now, messages=messages)
    if draft is None:
        draft = open_draft(session, saved_id(order))
        if draft is None:  # submitted or cancelled in between, on PostgreSQL
            raise DraftClosed(
                f"The draft of order {order.order_no} closed just now. "
                f"Type `/deliver {order.order_no}` again to see where it stands."
            )
        if draft.holder != user:
            raise HeldByTeammate(order.order_no, draft.holder, saved_id(draft))
        audit_step(session, draft, "delivery_resumed", user=user, now=now)
        delivery_dm.refresh(session, draft, card, now=now)
        return Started(draft, card, resumed=True)
    if session.get_bind().dialect.name == "postgresql":
        _check_still_deliverable(session, order, card)
    delivery_dm.post_first(session, draft, card, now=now)
    home.republish_for_order(session, order=order, now=now, sellers=card.sellers)
    return Started(draft, card, resumed=False)


def _check_still_deliverable(session: Session, order: Order, card: OrderCard) -> None:
    """PostgreSQL: a new draft's insert that met the order's draft being submitted waited for
    that commit, then went ahead (the submitted draft no longer holds the one draft's place),
    on an order it had read before. A new statement reads the order as committed; if it moved
    on, the caller's transaction is rolled back with where it stands."""
    state, round_ = session.execute(_STATE_AND_ROUND, {"order_id": saved_id(order)}).one()
    if (state, round_) != (order.state, order.round):
        session.refresh(order)
        raise NotDeliverable(where_it_stands(order), card)


_STATE_AND_ROUND = select(table_of(Order).c.state, table_of(Order).c.round).where(
    table_of(Order).c.id == bindparam("order_id")
)
_DELIVERIES = table_of(Delivery)


# one open draft per order: the partial unique index decides a race, with no savepoint
_DRAFT_INSERT = insert_or_skip(
    _DELIVERIES, ["order_id"], where=text("state = 'draft'"), returning=[_DELIVERIES.c.id]
)


def _new_draft(
    session: Session, order: Order, *, user: str, now: datetime, messages: dict[str, Any]
) -> Delivery | None:
    """The order's new draft, held by `user`; None when it has an open draft already."""
    # only an order delivered before has a round the customer asked changes to
    previous = previous_round(session, saved_id(order)) if order.round else None
    draft = Delivery(
        order_id=saved_id(order),
        round=order.round + 1,
        state=DeliveryState.DRAFT,
        holder=user,
        dm_channel=user,
        messages=messages,
        created_at=now,
        updated_at=now,
    )
    if previous:  # a new round after changes were requested starts from the last one
        draft.enabling_time = previous.enabling_time
        draft.enabling_decided = previous.enabling_decided
        draft.template_answers = dict(previous.template_answers or {})
    values = {c.name: getattr(draft, c.name) for c in _DELIVERIES.columns if c.name != "id"}
    draft.id = session.execute(_DRAFT_INSERT[session.get_bind().dialect.name], values).scalar()
    if draft.id is None:
        return None
    make_transient_to_detached(draft)  # it is the row just inserted: no SELECT to load it
    session.add(draft)
    if previous:
        for old in active_files(session, saved_id(previous)):
            session.add(
                ProofFile(
                    delivery_id=saved_id(draft),
                    slack_file_id=old.slack_file_id,
                    name=old.name,
                    size=old.size,
                    mimetype=old.mimetype,
                    sha256=old.sha256,
                    kind=old.kind,
                    added_by=old.added_by,
                    added_at=old.added_at,
                )
            )
    audit_step(
        session,
        draft,
        "delivery_started",
        user=user,
        now=now,
        round=draft.round,
        prefilled_from=previous.id if previous else None,
    )
    return draft


def held_draft(
    session: Session, delivery_id: int | str, *, user: str, identities: set[str]
) -> tuple[Delivery, OrderCard]:
    """The draft a click refers to, if `user` may act on it now; else a where-it-stands error."""
    delivery, card = _sellers_draft(session, delivery_id, identities)
    if delivery.holder != user:
        raise DraftClosed(
            f"<@{delivery.holder}> took over the delivery of order "
            f"{card.order.order_no}, so this message is out of date."
        )
    return delivery, card


def _sellers_draft(
    session: Session, delivery_id: int | str, identities: set[str]
) -> tuple[Delivery, OrderCard]:
    """The open draft `delivery_id`, if one of `identities` sells its order (whoever holds it)."""
    delivery = session.get(Delivery, int(delivery_id), with_for_update=True)  # see open_draft
    if delivery is None:
        raise DraftClosed("That delivery no longer exists. Type `/deliver` to start again.")
    order = get_row(session, Order, delivery.order_id)
    if not orders.is_seller(session, order, identities):
        raise NotYourOrder(order.order_no)
    if delivery.state is not DeliveryState.DRAFT:
        raise DraftClosed(_closed_text(delivery, order))
    return delivery, orders.card(session, order)


def _closed_text(delivery: Delivery, order: Order) -> str:
    if delivery.state is DeliveryState.CANCELLED:
        return (
            f"This draft of order {order.order_no} was cancelled. "
            f"Type `/deliver {order.order_no}` to start again."
        )
    return f"This delivery was already submitted. {where_it_stands(order)}"


def take_over(
    session: Session, *, delivery_id: int | str, user: str, identities: set[str], now: datetime
) -> Started:
    """A teammate takes the open draft (and its DM messages) over; the holder is told."""
    delivery, card = _sellers_draft(session, delivery_id, identities)
    if delivery.holder == user:  # a repeated click
        return Started(delivery, card, resumed=True)
    previous = delivery.holder
    delivery_dm.close(session, delivery, card, now=now, reason="taken_over", by=user)
    delivery.holder = user
    delivery.dm_channel = user
    touch(session, delivery, now)
    audit_step(
        session, delivery, "delivery_taken_over", user=user, now=now, previous_holder=previous
    )
    delivery_dm.post(session, delivery, card, now=now)
    home.republish_for_order(session, order=card.order, now=now)
    return Started(delivery, card, resumed=True)


def cancel(
    session: Session, *, order_no: str, user: str, identities: set[str], now: datetime
) -> Delivery:
    card = orders.order_for_seller(session, order_no, identities, for_delivery=True)
    draft = open_draft(session, saved_id(card.order))
    if draft is None:
        raise NotDeliverable(
            f"There is no delivery draft of order {card.order.order_no} to "
            f"cancel. {where_it_stands(card.order)}"
        )
    draft.state = DeliveryState.CANCELLED
    touch(session, draft, now)
    audit_step(session, draft, "delivery_cancelled", user=user, now=now, holder=draft.holder)
    delivery_dm.close(session, draft, card, now=now, reason="cancelled", by=user)
    home.republish_for_order(session, order=card.order, now=now)
    return draft


def submit_delivery(
    session: Session,
    *,
    delivery_id: int | str,
    user: str,
    identities: set[str],
    now: datetime,
    default_kinds: tuple[str, ...] = DEFAULT_REQUIRED_KINDS,
) -> tuple[Delivery, Order]:
    """OK on Deliver: the order moves to awaiting acceptance with its delivery record, the
    audit events and the messages it causes, in the caller's one transaction."""
    delivery, card = held_draft(session, delivery_id, user=user, identities=identities)
    draft_id = delivery.id
    assert draft_id is not None
    order = card.order
    kinds = tuple(delivery.messages.get("required_kinds", default_kinds))
    missing = missing_items(session, delivery, card, default_kinds=kinds)
    fetching = [f.name for f in active_files(session, draft_id) if f.sha256 is None]
    if missing or fetching:
        raise MissingItems(order.order_no, missing, fetching)
    change_state(
        session,
        order,
        Transition.SUBMIT,
        now=now,
        actor=user,
        values={"round": order.round + 1, "enabling_time": delivery.enabling_time},
        delivery_id=delivery.id,
    )
    delivery = get_row(session, Delivery, draft_id)
    delivery.state = DeliveryState.SUBMITTED
    delivery.submitted_at = now
    delivery.round = order.round
    delivery.customer_tz = card.calendar  # its validity is counted in this zone from now on
    touch(session, delivery, now, step="submitted")
    audit_step(
        session,
        delivery,
        "delivery_submitted",
        user=user,
        now=now,
        round=order.round,
        files=[f.sha256 for f in active_files(session, draft_id)],
    )
    delivery_dm.close(
        session, delivery, orders.card(session, order), now=now, reason="submitted", by=user
    )
    notifications.delivery_submitted(session, order=order, delivery=delivery, now=now)
    reminders.schedule_for_acceptance(session, order=order, now=now)
    home.republish_for_order(session, order=order, now=now)
    return delivery, order
