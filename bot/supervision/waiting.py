"""The delivery an order waits on: which one it is, the outbox key of its message to the
customer, whether the customer can be reached at all, and where to reply to the seller.

A customer who is not on Slack is e-mailed instead of DMed: the delivery, reminders, the
automatic-acceptance notice and the outcome. Each e-mail is an outbox row (method EMAIL) with
the same key and purpose as its Slack twin, so retries, "sent once", announcements and failure
handling work the same. The row names what to send; the e-mail itself (text, HTML, signed
accept link) is composed when it is sent (bot.email), from the order as it then is."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeGuard

from sqlmodel import Session, col, select

from bot.core.dates import format_local
from bot.slack import outbox
from bot.slack.outbox import EMAIL
from bot.supervision.views.customer import CustomerDelivery
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
    return unreachable(order, delivery_message_row(session, delivery))


def unreachable(order: Order, row: OutboxMessage | None) -> bool:
    """`customer_unreachable`, given the delivery message's row already read."""
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
    return email_of(delivery_message_row(session, delivery))


def email_of(row: OutboxMessage | None) -> str | None:
    """`emailed_to`, given the delivery message's row already read."""
    if row is None or row.method != EMAIL:
        return None
    return row.payload.get("to")


def seller_thread(delivery: Delivery) -> dict[str, Any]:
    """Where to reply to the seller: the thread of their delivery's DM message, recorded in
    `Delivery.messages` as an outbox key (or, in older rows, {"channel", "ts"} or a key per
    step); else their DM."""
    recorded = delivery.messages or {}
    for role in ("message", "submitted", "review", "order", *recorded):
        where = recorded.get(role)
        if isinstance(where, dict) and where.get("channel") and where.get("ts"):
            return {"channel": where["channel"], "thread_ts": where["ts"]}
        if isinstance(where, str) and where:
            return {"channel": outbox.ref(where), "thread_ts": outbox.ref(where)}
    return {"channel": delivery.holder}


# -- the customer reached by e-mail ----------------------------------------------------------
def email_payload(
    to: str, template: str, delivery: Delivery, key: str, **extra: Any
) -> dict[str, Any]:
    """What an e-mail row holds: who, which template, which delivery, and a Message-ID (the
    outbox key: a resend after a crash carries the same one, so mail clients show it once)."""
    return {"to": to, "template": template, "delivery_id": delivery.id, "key": key, **extra}


def queue_email(
    session: Session,
    *,
    key: str,
    to: str,
    template: str,
    delivery: Delivery,
    order: Order,
    now: datetime,
    meta: dict[str, Any],
    **extra: Any,
) -> None:
    outbox.enqueue(
        session,
        key=key,
        method=outbox.EMAIL,
        payload=email_payload(to, template, delivery, key, **extra),
        meta=meta,
        order_id=order.id,
        now=now,
    )


def switch_to_email(session: Session, message: OutboxMessage, to: str, delivery_id: int) -> None:
    """Slack could not reach the customer: the delivery message becomes an e-mail (same row, so
    everything that waits on it sees it sent). Its proof re-share is not needed any more: the
    proof is on the accept page."""
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    message.method = outbox.EMAIL
    message.payload = email_payload(to, "delivery", delivery, message.key)
    message.channel_key = to
    message.target = None
    files = session.exec(
        select(OutboxMessage).where(OutboxMessage.key == f"customer-files:{delivery_id}")
    ).first()
    if files is not None and files.status is OutboxStatus.PENDING:
        files.status = OutboxStatus.SUPERSEDED
        files.last_error = "the customer was e-mailed: the proof is on the accept page"
        session.add(files)


def queue_outcome_email(
    session: Session, item: CustomerDelivery, to: str, key: str, outcome: str, now: datetime
) -> None:
    """How the delivery ended, e-mailed (the page shows it too, to anyone with the link)."""
    order, delivery = item.order, item.delivery
    queue_email(
        session,
        key=key,
        to=to,
        template="outcome",
        delivery=delivery,
        order=order,
        now=now,
        meta={"purpose": "customer_update", "delivery_id": delivery.id},
        text=outcome_text(order, delivery, outcome, now, item.tz),
    )


def outcome_text(
    order: Order, delivery: Delivery, outcome: str, at: datetime, tz: str | None
) -> str:
    """One sentence on how the delivery ended, for the outcome e-mail."""
    when = format_local(at, tz)
    if outcome == "changes":
        return (
            f"You asked for changes on {when}: “{delivery.changes_reason}”. "
            "The seller will send a new delivery."
        )
    if outcome == "returned":
        return (
            f"Operations returned this delivery to the seller on {when}. "
            "The seller will send a new delivery."
        )
    how = {
        "accepted": "You accepted the delivery",
        "automatic": "The delivery was accepted automatically",
        "operations": "Operations completed the order",
    }.get(outcome, "The delivery was accepted")
    valid = ""
    if order.validity_start and order.validity_end:
        start = format_local(order.validity_start, tz, with_time=False)
        valid = f"; the licence is valid {start} – {format_local(order.validity_end, tz, with_time=False)}"
    return f"{how} on {when}. Order {order.order_no} is completed{valid}."
