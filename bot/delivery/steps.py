"""The steps of a draft: the enabling time, the template answers, and which step the
delivery message shows in full.

Each step authorised by the caller (bot.delivery.held_draft) is saved, audited and shown
(the delivery message updated) in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core import audit
from bot.core.dates import format_local, utc, zone
from bot.core.errors import InvalidInput
from bot.core.ids import DeliveryStep
from bot.delivery import dm as delivery_dm
from bot.orders.queries import OrderCard
from storage.models import Delivery, Order


def audit_step(
    session: Session, delivery: Delivery, kind: str, *, user: str, now: datetime, **detail: Any
) -> None:
    """An audit event of this delivery: who did what, when, in the caller's transaction."""
    audit.record(
        session,
        kind=kind,
        actor=user,
        at=now,
        order_id=delivery.order_id,
        delivery_id=delivery.id,
        **detail,
    )


def show_step(
    session: Session, delivery: Delivery, card: OrderCard, *, step: DeliveryStep, now: datetime
) -> None:
    """The seller asked to change a step already done: the message shows its inputs again
    (until they answer a step)."""
    if delivery.step == step:
        return  # a repeated click
    delivery.step = step
    session.add(delivery)
    delivery_dm.refresh(session, delivery, card, now=now)


def touch(session: Session, delivery: Delivery, now: datetime, step: str | None = None) -> None:
    delivery.updated_at = now
    if step:
        delivery.step = step
    session.add(delivery)


def check_enabling_time(value: datetime, *, order: Order, now: datetime, tz: str) -> datetime:
    """The enabling time to keep, or InvalidInput saying why it cannot be.

    A bare date on the day the order was placed means "that day": it becomes the placement
    moment instead of midnight, which would precede the order.
    """
    placed = utc(order.placed_at)
    local = zone(tz)
    if value > now:
        raise InvalidInput(
            f"{format_local(value, tz)} is in the future. The enabling time is when the "
            "customer's service was actually switched on, so it can't be later than now."
        )
    if value < placed:
        if value.astimezone(local).date() == placed.astimezone(local).date():
            return placed
        raise InvalidInput(
            f"{format_local(value, tz)} is before the order was placed "
            f"({format_local(placed, tz)}). The service can't have been enabled before the order."
        )
    return value


def set_enabling_time(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    value: datetime | None,
    user: str,
    tz: str,
    now: datetime,
    typed: str | None = None,
) -> datetime | None:
    """Record the enabling time (None: not stated, validity starts at acceptance)."""
    if value is not None:
        value = check_enabling_time(value, order=card.order, now=now, tz=tz)
    if delivery.enabling_decided and _same_moment(delivery.enabling_time, value):
        return value  # a repeated click or answer: nothing changes twice
    delivery.enabling_time = value
    delivery.enabling_decided = True
    touch(session, delivery, now, step="review")  # answered: the message shows what is left
    audit_step(
        session,
        delivery,
        "enabling_time_set",
        user=user,
        now=now,
        enabling_time=value.isoformat() if value else None,
        typed=typed,
    )
    delivery_dm.refresh(session, delivery, card, now=now)
    return value


def _same_moment(stored: datetime | None, value: datetime | None) -> bool:
    if stored is None or value is None:
        return stored is value
    return utc(stored) == value


def save_template_answers(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    answers: dict[str, Any],
    user: str,
    now: datetime,
) -> None:
    if delivery.template_answers == answers:
        return
    delivery.template_answers = answers
    touch(session, delivery, now, step="review")
    audit_step(session, delivery, "template_answered", user=user, now=now, answers=answers)
    delivery_dm.refresh(session, delivery, card, now=now)
