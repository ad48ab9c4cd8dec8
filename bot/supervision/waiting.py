"""The delivery an order waits on: which one it is, the outbox key of its message to the
customer, and whether the customer can be reached at all."""

from __future__ import annotations

from typing import Any, TypeGuard

from sqlmodel import Session, col, select

from bot.slack import outbox
from bot.slack.outbox import EMAIL
from storage.models import Delivery, DeliveryState, Order, OutboxMessage, OutboxStatus
from storage.states import SupervisionState


def customer_key(delivery: Delivery) -> str:
    """The outbox key of the customer's delivery message (others may `ref()` it)."""
    return f"customer-delivery:{delivery.id}"


def current_delivery(session: Session, order: Order) -> Delivery | None:
    query = (
        select(Delivery)
        .where(Delivery.order_id == order.id, Delivery.state != DeliveryState.DRAFT)
        .where(Delivery.state != DeliveryState.CANCELLED)
        .order_by(col(Delivery.round).desc(), col(Delivery.id).desc())
    )
    return session.exec(query).first()


def is_current(order: Order | None, job_round: int) -> TypeGuard[Order]:
    """Whether a job made for `job_round` still applies: the order still awaits acceptance
    of that very round."""
    return (
        order is not None
        and order.state is SupervisionState.AWAITING_ACCEPTANCE
        and order.round == job_round
    )


def customer_unreachable(session: Session, order: Order, delivery: Delivery | None) -> bool:
    """No way to reach the customer: the delivery message failed for good, or there is none
    and nothing on the order to send one to."""
    row = delivery_message_row(session, delivery)
    if row is not None:
        return row.status is OutboxStatus.FAILED
    return not (order.customer_user_id or order.customer_channel)


def delivery_message_row(session: Session, delivery: Delivery | None) -> OutboxMessage | None:
    """The outbox row of the customer's delivery message (None when there is no delivery)."""
    if delivery is None:
        return None
    key = customer_key(delivery)
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def emailed_to(session: Session, delivery: Delivery | None) -> str | None:
    """The address the delivery was e-mailed to (its customer is not on Slack), else None:
    reminders, notices and outcomes then go by e-mail too."""
    row = delivery_message_row(session, delivery)
    if row is None or row.method != EMAIL:
        return None
    return row.payload.get("to")


def seller_thread(delivery: Delivery) -> dict[str, Any]:
    """Where to reply to the seller: the thread of their delivery's DM messages, recorded in
    `Delivery.messages` as {"channel", "ts"} or as an outbox key; else their DM."""
    recorded = delivery.messages or {}
    for role in ("submitted", "review", "order", *recorded):
        where = recorded.get(role)
        if isinstance(where, dict) and where.get("channel") and where.get("ts"):
            return {"channel": where["channel"], "thread_ts": where["ts"]}
        if isinstance(where, str) and where:
            return {"channel": outbox.ref(where), "thread_ts": outbox.ref(where)}
    return {"channel": delivery.holder}
