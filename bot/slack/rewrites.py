"""Outbox calls that rewrite one message in place (chat.update, views.publish): the newest wins.

Each rewrite is queued under its own key and records what it rewrites (`target`). One with a
newer rewrite of the same target already sent or queued is superseded: marked done without
sending, so an older update retried after a transient failure never overwrites a newer one.
If an older one still went out after a newer one (two dispatchers, a slow call), the newer
one is sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxStatus

GONE_ERRORS = frozenset({"message_not_found", "cant_update_message"})


def rewrite_target(method: str, payload: dict[str, Any]) -> str | None:
    """What a call rewrites in place, or None for calls that add something new."""
    if method == "chat.update":
        ts = payload.get("ts")
        if isinstance(ts, dict) and "$outbox" in ts:
            return ts["$outbox"]
        return f"{payload.get('channel')}:{ts}"
    if method == "views.publish":
        return f"home:{payload.get('user_id')}"
    if method == "views.update":
        return f"view:{payload.get('view_id') or payload.get('external_id')}"
    return None


def newer_rewrite(
    session: Session, message: OutboxMessage, statuses: tuple[OutboxStatus, ...]
) -> int | None:
    """The newest later call rewriting the same message as `message`, in `statuses`."""
    if message.target is None or message.id is None:
        return None
    query = (
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.target) == message.target,
            col(OutboxMessage.id) > message.id,
            col(OutboxMessage.status).in_(statuses),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def supersede_if_outdated(session: Session, message: OutboxMessage) -> int | None:
    """Mark `message` superseded if a newer rewrite was sent or is queued; returns its id."""
    newer = newer_rewrite(session, message, (OutboxStatus.PENDING, OutboxStatus.SENT))
    if newer is not None:
        message.status = OutboxStatus.SUPERSEDED
        message.last_error = f"superseded by outbox {newer}"
        message.claimed_until = None
        session.add(message)
    return newer


def resend_if_overtaken(session: Session, message: OutboxMessage, *, now: datetime) -> None:
    """`message` was just sent: a newer rewrite sent before it goes out again."""
    newer = newer_rewrite(session, message, (OutboxStatus.SENT,))
    if newer is None:
        return
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == newer, col(OutboxMessage.status) == OutboxStatus.SENT)
        .values(
            status=OutboxStatus.PENDING,
            due_at=now,
            claimed_until=None,
            last_error=f"outbox {message.id} (older) went out after it: sending it again",
        )
    )


def lost(session: Session, key: str) -> bool:
    """The message sent under `key` cannot be updated: it failed for good, or it was deleted
    in Slack since (its newest update found no message). Post it afresh instead."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if row is None or row.status is OutboxStatus.PENDING:
        return False
    if row.status is OutboxStatus.FAILED:
        return True
    query = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.target) == key,
            col(OutboxMessage.status) != OutboxStatus.SUPERSEDED,
        )
        .order_by(col(OutboxMessage.id).desc())
    )
    newest = session.exec(query).first()
    return (
        newest is not None
        and newest.status is OutboxStatus.FAILED
        and newest.last_error in GONE_ERRORS
    )
