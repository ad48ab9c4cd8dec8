"""Announcing an automatic acceptance to the customer, and whether it was: a notice with the
delivery when no reminder comes early enough (bot.supervision.cadence), the announcements sent,
and the earliest the acceptance may then come."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.dates import utc
from bot.core.settings import AUTO_ACCEPT_NOTICE
from bot.orders.contacts import customer_channel
from bot.slack import outbox
from bot.supervision.cadence import NOTICE, REMINDER, step_name
from bot.supervision.views.reminders import build_auto_accept_notice
from bot.supervision.waiting import (
    current_delivery,
    customer_key,
    delivery_message_row,
    email_of,
    queue_email,
)
from storage.models import (
    Delivery,
    JobStatus,
    Order,
    OutboxMessage,
    OutboxStatus,
    ScheduledJob,
)


def announce_with_delivery(
    session: Session,
    *,
    order: Order,
    delivery: Delivery | None,
    at: datetime,
    now: datetime,
    series: str | None = None,
) -> None:
    """No reminder comes early enough to announce the automatic acceptance: a notice follows
    the delivery message, where it went (once it has gone). A reminder's kin: if it cannot be
    delivered, nothing is accepted automatically (reminder_failed)."""
    row = delivery_message_row(session, delivery)
    channel: str | dict[str, str] | None = customer_channel(session, order)
    if row is not None:
        sent = outbox.result_of(row)
        channel = sent[0] if sent else outbox.ref(row.key)
    key = f"{REMINDER}:{order.id}:{order.round}:{step_name(NOTICE, series)}"
    meta = {"purpose": REMINDER, "order_id": order.id, "announces_auto_accept": at.isoformat()}
    to = email_of(row)
    if to and delivery is not None:
        common: dict[str, Any] = dict(delivery=delivery, order=order, now=now, meta=meta)
        queue_email(session, key=key, to=to, template="notice", at=at.isoformat(), **common)
    else:
        text, blocks = build_auto_accept_notice(
            order_no=order.order_no, delivery_id=delivery.id if delivery else None, at=at
        )
        outbox.enqueue(
            session,
            key=key,
            method="chat.postMessage",
            payload={"channel": channel, "text": text, "blocks": blocks},
            now=now,
            order_id=order.id,
            meta=meta,
        )
    audit.record(
        session,
        kind="auto_accept_announced",
        actor="system",
        at=now,
        order_id=order.id,
        on=at.isoformat(),
    )


def customer_was_told(session: Session, order: Order, since: datetime | None = None) -> bool | None:
    """Whether the customer got the delivery message and the reminder or notice announcing the
    automatic acceptance planned at `since` (True), never will (False), or not yet (None: one is
    pending). Announcements of a cadence planned earlier (before a rejected appeal) do not count."""
    delivery = current_delivery(session, order)
    if delivery is None:
        return False
    keys = (customer_key(delivery), f"{REMINDER}:{order.id}:{order.round}:")
    rows = session.exec(
        select(OutboxMessage).where(
            or_(col(OutboxMessage.key) == keys[0], col(OutboxMessage.key).startswith(keys[1]))
        )
    ).all()
    message = [row.status for row in rows if row.key == keys[0]]
    announced = [row.status for row in _announcements(rows, since)]
    if message != [OutboxStatus.SENT]:
        return None if message == [OutboxStatus.PENDING] else False
    if OutboxStatus.SENT in announced:
        return True
    return None if OutboxStatus.PENDING in announced or _announcement_due(session, order) else False


def announced_date(
    session: Session, order: Order, since: datetime | None = None
) -> datetime | None:
    """The earliest the automatic acceptance may come, from the announcements sent (reminders,
    or the notice with the delivery): the latest date they named, and never sooner than
    AUTO_ACCEPT_NOTICE after the first of them reached the customer."""
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.key.startswith(f"{REMINDER}:{order.id}:{order.round}:"),
            OutboxMessage.status == OutboxStatus.SENT,
        )
    ).all()
    told = _announcements(rows, since)
    if not told:
        return None
    named = max(datetime.fromisoformat(row.meta["announces_auto_accept"]) for row in told)
    first = min(utc(row.sent_at or row.created_at) for row in told)
    return max(named, first + AUTO_ACCEPT_NOTICE)


def _announcements(rows: Sequence[OutboxMessage], since: datetime | None) -> list[OutboxMessage]:
    return [
        row
        for row in rows
        if isinstance(row.meta.get("announces_auto_accept"), str)
        and (since is None or utc(row.created_at) >= since)
    ]


def _announcement_due(session: Session, order: Order) -> bool:
    pending = session.exec(
        select(ScheduledJob).where(
            ScheduledJob.order_id == order.id,
            ScheduledJob.kind == REMINDER,
            ScheduledJob.status == JobStatus.PENDING,
        )
    ).all()
    return any(
        job.data.get("round") == order.round and job.data.get("auto_accept_at") for job in pending
    )
