"""Messages to the customer and the seller caused by state changes (queued in the outbox).

Every function here runs inside the transaction of the change that causes the message, and
each message has a key naming its cause, so a repeat of the cause never sends it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.dates import slack_date
from bot.core.ids import ActionId
from bot.orders.calendar import customer_time_zone
from bot.orders.customers import CUSTOMER_DELIVERY, contact_details, customer_label, routes
from bot.orders.validity import Validity, validity_for
from bot.slack import outbox
from bot.slack.blocks import actions, button, context, section
from bot.supervision import reminders, waiting
from bot.supervision.appeal_terms import CUSTOMER_MAY_APPEAL_AFTER_ROUNDS
from bot.supervision.views.customer import (
    CustomerDelivery,
    accepted_outcome,
    build_customer_delivery,
    changes_outcome,
    granted_validity,
    period,
    returned_outcome,
)
from bot.supervision.waiting import customer_key, emailed_to, is_current, seller_thread
from storage.models import Delivery, Order, OutboxMessage, OutboxStatus, Product, ProofFile
from storage.rows import get_row

SELLER_NOTICE = "seller_notice"
CUSTOMER_FILES = "customer_files"


def delivery_submitted(
    session: Session, *, order: Order, delivery: Delivery, now: datetime
) -> None:
    """Queue the customer's DM: the delivery, its proof and the Accept / Request changes buttons
    (or the e-mail with its accept link, when the order's customer is reached by e-mail)."""
    item = customer_delivery(session, order, delivery, now=now)
    ways = routes(order, item.product.contact)
    meta: dict[str, Any] = {
        "purpose": CUSTOMER_DELIVERY,
        "delivery_id": delivery.id,
        "order_no": order.order_no,  # the "Open in browser" link is signed for them
        "round": delivery.round,
        "routes": ways,
        "route": 0,
    }
    if ways and "mail" in ways[0]:
        common: dict[str, Any] = dict(
            template="delivery", delivery=delivery, order=order, now=now, meta=meta
        )
        waiting.queue_email(session, key=customer_key(delivery), to=ways[0]["mail"], **common)
        return
    outbox.enqueue(
        session,
        key=customer_key(delivery),
        method="chat.postMessage",
        payload={
            "text": f"Order {order.order_no} was delivered: please accept it or ask for changes.",
            "blocks": build_customer_delivery(item),
            "unfurl_links": False,
        },
        meta=meta,
        order_id=order.id,
        now=now,
    )
    if item.files:
        outbox.enqueue(
            session,
            key=f"customer-files:{delivery.id}",
            method="files.share",
            payload={
                "channel": outbox.ref(customer_key(delivery)),
                "initial_comment": f"Proof for order {order.order_no} (delivery round {delivery.round})",
                "files": [{"sha256": f.sha256, "name": f.name} for f in item.files],
            },
            meta={"purpose": CUSTOMER_FILES, "delivery_id": delivery.id},
            order_id=order.id,
            now=now,
        )


def customer_delivery(
    session: Session, order: Order, delivery: Delivery, *, now: datetime
) -> CustomerDelivery:
    """The delivery as the customer sees it; the validity is what accepting at `now` gives."""
    tz = customer_time_zone(session, order)
    validity = (
        Validity(order.validity_start, order.validity_end)
        if order.validity_start and order.validity_end
        else validity_for(
            session, order, delivery=delivery, accepted_at=now, enabling_time=delivery.enabling_time
        )
    )
    files = session.exec(
        select(ProofFile)
        .where(ProofFile.delivery_id == delivery.id, col(ProofFile.removed).is_(False))
        .where(col(ProofFile.sha256).is_not(None))
        .order_by(col(ProofFile.id))
    ).all()
    product = get_row(session, Product, order.product_id)
    return CustomerDelivery(order, product, delivery, list(files), validity, tz)


def delivery_accepted(session: Session, *, order: Order, delivery: Delivery, now: datetime) -> None:
    """Update the customer's message in place and tell the seller in their delivery thread."""
    item = customer_delivery(session, order, delivery, now=now)
    _update_customer_message(
        session, item, now=now, outcome="accepted", blocks=accepted_outcome(order, now, item.tz)
    )
    validity = period(granted_validity(order), None)
    _tell_seller(
        session,
        order,
        delivery,
        now=now,
        key=f"seller-accepted:{delivery.id}",
        text=f":white_check_mark: {customer_label(order)} accepted your delivery of order "
        f"*{order.order_no}* ({item.product.name}) on {slack_date(now)}. "
        f"The order is *Completed*; the licence is valid {validity}.",
    )


def changes_requested(session: Session, *, order: Order, delivery: Delivery, now: datetime) -> None:
    """Update the customer's message; DM the seller the reason with a Deliver again button."""
    item = customer_delivery(session, order, delivery, now=now)
    _update_customer_message(
        session,
        item,
        now=now,
        outcome="changes",
        blocks=changes_outcome(order, delivery, now, item.tz),
    )
    rejected = order.rejected_rounds
    appeal = (
        f" After {CUSTOMER_MAY_APPEAL_AFTER_ROUNDS} rejected rounds the customer may appeal to operations."
        if rejected < CUSTOMER_MAY_APPEAL_AFTER_ROUNDS
        else " The customer may now appeal to operations."
    )
    text = (
        f"{customer_label(order)} asked for changes to your delivery of order "
        f"*{order.order_no}* (round {delivery.round}; changes asked {rejected} "
        f"time{'s' if rejected != 1 else ''}):\n>{delivery.changes_reason}"
    )
    blocks = [
        section(f":leftwards_arrow_with_hook: {text}"),
        context(f"Your next delivery starts from this one, with the reason at the top.{appeal}"),
        actions(button("Deliver again", ActionId.DELIVER, order.order_no, style="primary")),
    ]
    outbox.enqueue(
        session,
        key=f"seller-changes:{delivery.id}",
        method="chat.postMessage",
        payload={"channel": delivery.holder, "text": text, "blocks": blocks},
        meta={"purpose": SELLER_NOTICE, "delivery_id": delivery.id},
        order_id=order.id,
        now=now,
    )


def accepted_automatically(
    session: Session, *, order: Order, delivery: Delivery, now: datetime, days: int | None
) -> None:
    """The customer's delivery message shows the system acceptance in place of its buttons."""
    item = customer_delivery(session, order, delivery, now=now)
    how = f"Accepted automatically after {days} days without an answer"
    _update_customer_message(
        session,
        item,
        now=now,
        outcome="accepted",
        blocks=accepted_outcome(order, now, item.tz, how=how),
        emailed="automatic",
    )


def decided_by_operations(
    session: Session,
    *,
    order: Order,
    delivery: Delivery,
    now: datetime,
    returned_because: str | None = None,
) -> None:
    """Operations completed the order, or returned it to the seller, while this delivery
    waited for the customer: the decision replaces the Accept / Request changes buttons."""
    item = customer_delivery(session, order, delivery, now=now)
    blocks = (
        returned_outcome(delivery, now, returned_because, item.tz)
        if returned_because is not None
        else accepted_outcome(order, now, item.tz, how="Completed by operations")
    )
    emailed = "returned" if returned_because is not None else "operations"
    _update_customer_message(
        session, item, now=now, outcome="operations", blocks=blocks, emailed=emailed
    )


def _update_customer_message(
    session: Session,
    item: CustomerDelivery,
    *,
    now: datetime,
    outcome: str,
    blocks: list[dict[str, Any]],
    emailed: str | None = None,
) -> None:
    """The delivery message shows how it ended; an e-mailed customer gets a short e-mail."""
    key = customer_key(item.delivery)
    to = emailed_to(session, item.delivery)
    if to:
        waiting.queue_outcome_email(session, item, to, f"{key}:{outcome}", emailed or outcome, now)
        return
    outbox.enqueue_update(
        session,
        key=f"{key}:{outcome}",
        of=key,
        text=f"Order {item.order.order_no}: {outcome}",
        blocks=build_customer_delivery(item, outcome=blocks),
        meta={"purpose": "customer_update", "delivery_id": item.delivery.id},
        order_id=item.order.id,
        now=now,
    )


def _tell_seller(
    session: Session, order: Order, delivery: Delivery, *, now: datetime, key: str, text: str
) -> None:
    """A reply in the seller's delivery thread if we know it, else a DM to the seller."""
    outbox.enqueue(
        session,
        key=key,
        method="chat.postMessage",
        payload={**seller_thread(delivery), "text": text},
        meta={"purpose": SELLER_NOTICE, "delivery_id": delivery.id},
        order_id=order.id,
        now=now,
    )


def customer_unreachable(
    session: Session, message: OutboxMessage, error: str, now: datetime
) -> None:
    """Try the customer's next route; when none is left, tell the seller at once."""
    meta = dict(message.meta)
    tried = [*meta.get("tried", []), {"route": meta.get("route", 0), "error": error}]
    following = meta.get("route", 0) + 1
    if following < len(meta.get("routes", [])):
        message.meta = {**meta, "route": following, "tried": tried}
        if "mail" in meta["routes"][following]:
            waiting.switch_to_email(
                session, message, meta["routes"][following]["mail"], meta["delivery_id"]
            )
        message.status = OutboxStatus.PENDING
        message.due_at = now
        session.add(message)
        return
    _alert_seller(
        session,
        meta["delivery_id"],
        now=now,
        kind="customer_unreachable",
        errors=", ".join(sorted({attempt["error"] for attempt in tried})),
        text=":warning: I couldn't reach the customer of order *{order_no}* on Slack "
        "({errors}), so they have not seen your delivery. Please contact them directly: "
        "{contact}. The order stays awaiting acceptance.",
    )
    delivery = get_row(session, Delivery, meta["delivery_id"])
    order = session.get(Order, delivery.order_id)
    if is_current(order, delivery.round):  # no reminder can reach them either
        reminders.escalate(session, order=order, now=now, reason="unreachable")


def proof_not_shared(session: Session, message: OutboxMessage, error: str, now: datetime) -> None:
    """The delivery reached the customer but its proof did not: the seller should know."""
    if error.startswith("earlier message"):  # the delivery itself failed: already told
        return
    _alert_seller(
        session,
        message.meta["delivery_id"],
        now=now,
        kind="proof_not_shared",
        error=error,
        text=":warning: The customer of order *{order_no}* got your delivery, but I couldn't "
        "share its proof files with them ({error}). Please send them directly: {contact}.",
    )


def _alert_seller(
    session: Session, delivery_id: int, *, now: datetime, kind: str, text: str, **detail: str
) -> None:
    """Audit what went wrong (`kind`) and tell the seller, with the customer's contact details.
    `text` is a template for {order_no}, {contact} and the `detail` fields."""
    delivery = get_row(session, Delivery, delivery_id)
    order = get_row(session, Order, delivery.order_id)
    audit.record(
        session,
        kind=kind,
        actor="system",
        at=now,
        order_id=order.id,
        delivery_id=delivery.id,
        **detail,
    )
    message = text.format(order_no=order.order_no, contact=contact_details(order), **detail)
    _tell_seller(session, order, delivery, now=now, key=f"{kind}:{delivery.id}", text=message)
