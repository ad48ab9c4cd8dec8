"""The customer's messages when they are e-mailed instead of DMed: the delivery, reminders, the
automatic-acceptance notice and the outcome. Each is an outbox row (method EMAIL) with the same
key and purpose as its Slack twin, so retries, "sent once", announcements and failure handling
work the same. The row names what to send; the e-mail itself (text, HTML, signed accept link)
is composed when it is sent (bot.email), from the order as it then is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.core.dates import format_local
from bot.slack import outbox
from bot.supervision.views.customer import CustomerDelivery
from storage.models import Delivery, Order, OutboxMessage, OutboxStatus


def payload(to: str, template: str, delivery: Delivery, key: str, **extra: Any) -> dict[str, Any]:
    """What an e-mail row holds: who, which template, which delivery, and a Message-ID (the
    outbox key: a resend after a crash carries the same one, so mail clients show it once)."""
    return {"to": to, "template": template, "delivery_id": delivery.id, "key": key, **extra}


def queue(
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
        payload=payload(to, template, delivery, key, **extra),
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
    message.payload = payload(to, "delivery", delivery, message.key)
    message.channel_key = to
    message.target = None
    files = session.exec(
        select(OutboxMessage).where(OutboxMessage.key == f"customer-files:{delivery_id}")
    ).first()
    if files is not None and files.status is OutboxStatus.PENDING:
        files.status = OutboxStatus.SUPERSEDED
        files.last_error = "the customer was e-mailed: the proof is on the accept page"
        session.add(files)


def queue_outcome(
    session: Session, item: CustomerDelivery, to: str, key: str, outcome: str, now: datetime
) -> None:
    """How the delivery ended, e-mailed (the page shows it too, to anyone with the link)."""
    order, delivery = item.order, item.delivery
    queue(
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
