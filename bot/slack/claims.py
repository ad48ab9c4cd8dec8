"""Claiming outbox rows for a send (a lease), paced per channel through the database.

A lease is taken with a compare-and-set, so two dispatchers never send the same row at once.
Every outcome the dispatcher records clears the lease (or marks the row sent). A pending row
whose lease ran out without being cleared was being sent by a dispatcher that died, or that
lost Slack's answer: whether Slack posted it is unknown, and the next claim says so
(`Attempt.in_doubt`) so the post is looked for before it is sent again (bot.slack.recovery).

Pacing is shared through `outbox_channel`: when the next send may go to each channel (each
person's Home, each method a 429 held back), and the workspace budget (`WORKSPACE`). A claim
holds its channel until its lease ends; the outcome frees it an interval after the send was
done, so posts to a channel are an interval apart at Slack however late a send left.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, literal, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.slack.calls import PACED_METHODS
from storage.engine import SessionFactory
from storage.models import OutboxChannel, OutboxMessage, OutboxStatus
from storage.rows import changed_rows, table_of

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
    rewrites: bool = True  # it rewrites a message in place (False: known to be a new post)
    # (method, payload, meta) as read when claimed, so a plain post is not read again
    loaded: tuple[str, dict[str, Any], dict[str, Any]] | None = None
    pace_key: str | None = None  # the channel (or Home) this claim holds (`Pacing`)
    held_until: datetime | None = None  # a 429 on that channel: not before its Retry-After


def claimable(now: Any) -> ColumnElement[bool]:
    """Not claimed, or its lease has run out."""
    claimed_until = col(OutboxMessage.claimed_until)
    return or_(claimed_until.is_(None), claimed_until <= now)


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


# -- pacing: outbox_channel rows ------------------------------------------------------------
WORKSPACE = "*workspace*"  # the outbox_channel row holding the workspace-wide send budget


@dataclass(frozen=True)
class Pacing:
    """How fast the outbox may send. `interval`: seconds between two posts to one channel
    (and between two publishes of one person's Home); `rate`: sends per second across the
    workspace, shared by every dispatcher (0: no limit); `burst`: seconds of that rate that
    may go at once."""

    interval: float = 1.0
    rate: float = 50.0
    burst: float = 1.0
    paced_methods: frozenset[str] = PACED_METHODS


def pace_key(method: str, channel_key: str | None, target: str | None) -> str | None:
    """What one send of `method` holds for `Pacing.interval`: the channel for posts, the
    person's Home for publishes, nothing for other calls."""
    if method == "views.publish":
        return target
    if method in Pacing.paced_methods and channel_key:
        return channel_key
    return None


def upsert_for(session: Session) -> Any:
    """INSERT … ON CONFLICT, in the session's dialect."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def take_slots(session: Session, until: dict[str, datetime], *, now: datetime) -> set[str]:
    """Hold each key until its time if it is free now, in one statement: the keys taken
    (whoever's write matches sends next)."""
    if not until:
        return set()
    insert = upsert_for(session)(table_of(OutboxChannel)).values(
        [{"channel": key, "next_send_at": until[key]} for key in sorted(until)]
    )
    statement = insert.on_conflict_do_update(
        index_elements=["channel"],
        set_={"next_send_at": insert.excluded.next_send_at},
        where=col(OutboxChannel.next_send_at) <= now,
    )
    # RETURNING says which rows were written (rowcount is not reliable for upserts)
    return set(session.execute(statement.returning(col(OutboxChannel.channel))).scalars())


def _budget(session: Session, now: datetime, limit: int, pacing: Pacing) -> tuple[int, datetime]:
    """How many sends the workspace rate allows now, and where its budget stands. Read without
    a lock: `_spend` is a compare-and-set, so the hot row is locked from that write to the
    commit only, not for the whole claim."""
    if pacing.rate <= 0:
        return limit, now
    stored = session.exec(
        select(OutboxChannel.next_send_at).where(col(OutboxChannel.channel) == WORKSPACE)
    ).first()
    spent_until = max(stored, now) if stored else now
    allowed = int(
        (now + timedelta(seconds=pacing.burst) - spent_until).total_seconds() * pacing.rate
    )
    return max(0, min(limit, allowed)), spent_until


def _spend(session: Session, spent_until: datetime, sends: int, pacing: Pacing) -> bool:
    """Take `sends` from the budget read as `spent_until`; False when another dispatcher has
    spent from it since (the caller rolls back and reads it again)."""
    if pacing.rate <= 0 or not sends:
        return True
    until = spent_until + timedelta(seconds=sends / pacing.rate)
    return bool(take_slots(session, {WORKSPACE: until}, now=spent_until))


# -- claiming in batches -----------------------------------------------------------------------
@functools.cache
def _heads(paced: frozenset[str]) -> Any:
    """Due, claimable messages that are first in their channel's queue, whose channel is free
    (a post) and whose method is not held back by a 429, at `:now`. Read in ix_outbox_due's
    order (status, due_at, id), so sent rows are never scanned; each check is an index probe.
    Built once: only `now` and the limit change between claims."""
    now = bindparam("now", type_=DateTime(timezone=True))
    earlier = aliased(OutboxMessage)
    m = OutboxMessage
    busy_channel = (
        select(col(OutboxChannel.channel))
        .where(
            col(OutboxChannel.channel) == col(m.channel_key),
            col(OutboxChannel.next_send_at) > now,
        )
        .exists()
    )
    held_method = (  # a 429's Retry-After on the method (`hold`)
        select(col(OutboxChannel.channel))
        .where(
            col(OutboxChannel.channel) == literal("method:").concat(col(m.method)),
            col(OutboxChannel.next_send_at) > now,
        )
        .exists()
    )
    return (
        core_select(  # seven columns: more than sqlmodel's select is typed for
            col(m.id),
            col(m.method),
            col(m.channel_key),
            col(m.target),
            col(m.claimed_until),
            col(m.payload),
            col(m.meta),
        )
        .where(col(m.status) == OutboxStatus.PENDING, col(m.due_at) <= now, claimable(now))
        .where(or_(col(m.method).not_in(paced), ~busy_channel), ~held_method)
        .where(
            or_(
                col(m.channel_key).is_(None),
                ~select(col(earlier.id))
                .where(
                    col(earlier.channel_key) == col(m.channel_key),
                    col(earlier.status) == OutboxStatus.PENDING,
                    col(earlier.due_at) <= now,
                    col(earlier.id) < col(m.id),
                )
                .exists(),
            )
        )
        .order_by(col(m.due_at), col(m.id))
    )


SPEND_TRIES = 3  # another dispatcher spent from the workspace budget meanwhile: read it again


def claim_due(
    session_factory: SessionFactory, now: datetime, limit: int, pacing: Pacing
) -> list[Attempt]:
    """Claim up to `limit` due messages in one short transaction: the first of each free
    channel, within the workspace rate, each holding its channel until its lease ends (its
    outcome frees it earlier). Rows another dispatcher is claiming are skipped (FOR UPDATE
    SKIP LOCKED on PostgreSQL; SQLite has one writer at a time)."""
    with session_factory() as session:
        for _ in range(SPEND_TRIES):
            allowed, spent_until = _budget(session, now, limit, pacing)
            if allowed == 0:
                break
            attempts = _claim_heads(session, now, allowed, pacing)
            if _spend(session, spent_until, len(attempts), pacing):
                session.commit()
                return attempts
            session.rollback()
        session.commit()
        return []


def _claim_heads(session: Session, now: datetime, limit: int, pacing: Pacing) -> list[Attempt]:
    query = _heads(pacing.paced_methods).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    attempts: list[Attempt] = []
    held: dict[str, datetime] = {}  # each channel until its message's lease
    for message_id, method, channel_key, target, claimed_until, payload, meta in session.execute(
        query, {"now": now}
    ):
        lease = now + timedelta(seconds=CLAIM_SECONDS_BY_METHOD.get(method, CLAIM_SECONDS))
        key = pace_key(method, channel_key, target) if pacing.interval > 0 else None
        if key is not None:
            if key in held:  # one message per channel (two Home publishes for one person)
                continue
            held[key] = lease
        attempts.append(
            Attempt(
                message_id,
                lease,
                claimed_until is not None,
                rewrites=target is not None,
                loaded=(method, payload, meta),
                pace_key=key,
            )
        )
    taken = take_slots(session, held, now=now)
    attempts = [a for a in attempts if a.pace_key is None or a.pace_key in taken]
    by_lease: dict[datetime, list[int]] = {}
    for attempt in attempts:
        by_lease.setdefault(attempt.lease, []).append(attempt.message_id)
    for lease, ids in by_lease.items():
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(claimed_until=lease)
            .execution_options(synchronize_session=False)
        )
    return attempts
