"""Claiming outbox rows: which are due, and taking one for a send (a lease).

A lease is taken with a compare-and-set, so two dispatchers never send the same row at once.
Every outcome the dispatcher records clears the lease (or marks the row sent). A pending row
whose lease ran out without being cleared was being sent by a dispatcher that died, or that
lost Slack's answer: whether Slack posted it is unknown, and the next claim says so
(`Attempt.in_doubt`) so the post is looked for before it is sent again (bot.slack.recovery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from storage.engine import SessionFactory
from storage.models import OutboxMessage, OutboxStatus
from storage.rows import changed_rows

CLAIM_SECONDS = 60
# Re-sharing proof uploads every file (up to 50 MB each, several per delivery): a lease that
# ran out mid-upload would let another dispatcher upload them all again.
CLAIM_SECONDS_BY_METHOD = {"files.share": 30 * 60}


@dataclass
class Attempt:
    """One claim of one row, for one send."""

    message_id: int
    lease: datetime  # the claim's end; recording "sent" checks it is still ours
    # Slack may already have this post: an earlier claim ended without an outcome, or (set
    # while sending) this attempt's call went out and no clear answer came back
    in_doubt: bool


def claimable(now: datetime) -> ColumnElement[bool]:
    """Not claimed, or its lease has run out."""
    claimed_until = col(OutboxMessage.claimed_until)
    return or_(claimed_until.is_(None), claimed_until <= now)


def due_ids(session_factory: SessionFactory, now: datetime, limit: int) -> list[int]:
    with session_factory() as session:
        query = (
            select(col(OutboxMessage.id))
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            .where(col(OutboxMessage.due_at) <= now)
            .where(claimable(now))
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return [message_id for message_id in session.exec(query) if message_id is not None]


def claim(session_factory: SessionFactory, message_id: int, now: datetime) -> Attempt | None:
    """Take the row for one send; whoever's UPDATE matches owns it until the lease ends.
    Claiming one row at a time keeps the lease short whatever the batch size or pacing; a
    method that takes long (files.share) gets a longer one. A free row is tried first, then
    one whose lease ran out: which of the two matched says whether the send is in doubt.
    """
    with session_factory() as session:
        method = session.exec(
            select(OutboxMessage.method).where(col(OutboxMessage.id) == message_id)
        ).first()
        lease = now + timedelta(seconds=CLAIM_SECONDS_BY_METHOD.get(method or "", CLAIM_SECONDS))
        claimed_until = col(OutboxMessage.claimed_until)
        for in_doubt, free in ((False, claimed_until.is_(None)), (True, claimed_until <= now)):
            taken = changed_rows(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.due_at) <= now,
                    free,
                )
                .values(claimed_until=lease)
                .execution_options(synchronize_session=False),
            )
            if taken == 1:
                session.commit()
                return Attempt(message_id, lease, in_doubt)
        session.commit()
        return None
