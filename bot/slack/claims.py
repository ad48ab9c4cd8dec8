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
from typing import Any

from sqlalchemy import literal, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

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


# -- claiming in batches, paced per channel through the database ------------------------------
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
    paced_methods: frozenset[str] = frozenset({"chat.postMessage", "files.share"})


def pace_key(method: str, channel_key: str | None, target: str | None) -> str | None:
    """What one send of `method` holds for `Pacing.interval`: the channel for posts, the
    person's Home for publishes, nothing for other calls."""
    if method == "views.publish":
        return target
    if method in Pacing.paced_methods and channel_key:
        return channel_key
    return None


def _heads(now: datetime, paced: frozenset[str]) -> Any:
    """Due, claimable messages that are first in their channel's queue, whose channel is free
    (a post) and whose method is not held back by a 429. Read in ix_outbox_due's order
    (status, due_at, id), so sent rows are never scanned; each check is an index probe."""
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
    query = (
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
    return query


def _upsert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def take_slot(session: Session, key: str, *, now: datetime, until: datetime) -> bool:
    """Hold `key` until `until` if it is free now: whoever's write matches sends next."""
    insert = _upsert(session)(table_of(OutboxChannel)).values(channel=key, next_send_at=until)
    statement = insert.on_conflict_do_update(
        index_elements=["channel"],
        set_={"next_send_at": until},
        where=col(OutboxChannel.next_send_at) <= now,
    )
    # RETURNING says whether the row was written (rowcount is not reliable for upserts)
    return session.execute(statement.returning(col(OutboxChannel.channel))).first() is not None


def take_slots(session: Session, keys: set[str], *, now: datetime, until: datetime) -> set[str]:
    """`take_slot` for several keys in one statement: the ones taken."""
    if not keys:
        return set()
    insert = _upsert(session)(table_of(OutboxChannel)).values(
        [{"channel": key, "next_send_at": until} for key in sorted(keys)]
    )
    statement = insert.on_conflict_do_update(
        index_elements=["channel"],
        set_={"next_send_at": insert.excluded.next_send_at},
        where=col(OutboxChannel.next_send_at) <= now,
    )
    return set(session.execute(statement.returning(col(OutboxChannel.channel))).scalars())


def hold(session_factory: SessionFactory, key: str, until: datetime) -> None:
    """Nothing goes to `key` (a channel, or `method:NAME`) before `until` (a 429's
    Retry-After), whichever dispatcher asks."""
    with session_factory() as session:
        insert = _upsert(session)(table_of(OutboxChannel)).values(channel=key, next_send_at=until)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["channel"],
                set_={"next_send_at": until},
                where=col(OutboxChannel.next_send_at) < until,
            )
        )
        session.commit()


def _budget(session: Session, now: datetime, limit: int, pacing: Pacing) -> tuple[int, datetime]:
    """How many sends the workspace rate allows now, and where its budget stands."""
    if pacing.rate <= 0:
        return limit, now
    query = select(OutboxChannel).where(col(OutboxChannel.channel) == WORKSPACE)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # replicas take from the one budget in turn
    row = session.exec(query).first()
    spent_until = max(row.next_send_at, now) if row else now
    allowed = int(
        (now + timedelta(seconds=pacing.burst) - spent_until).total_seconds() * pacing.rate
    )
    return max(0, min(limit, allowed)), spent_until


def claim_due(
    session_factory: SessionFactory, now: datetime, limit: int, pacing: Pacing
) -> list[Attempt]:
    """Claim up to `limit` due messages in one short transaction of three statements: the
    first of each free channel, within the workspace rate, each holding its channel for
    `pacing.interval`. Rows another dispatcher is claiming are skipped (FOR UPDATE SKIP
    LOCKED on PostgreSQL; SQLite has one writer at a time)."""
    with session_factory() as session:
        budget, spent_until = _budget(session, now, limit, pacing)
        if budget == 0:
            session.commit()
            return []
        query = _heads(now, pacing.paced_methods).limit(budget)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=OutboxMessage)
        candidates = list(session.exec(query))
        keys = {
            row[0]: key
            for row in candidates
            if pacing.interval > 0 and (key := pace_key(row[1], row[2], row[3]))
        }
        until = now + timedelta(seconds=pacing.interval)
        taken = take_slots(session, set(keys.values()), now=now, until=until)
        leases: dict[datetime, list[int]] = {}
        attempts: list[Attempt] = []
        for message_id, method, _, target, claimed_until, payload, meta in candidates:
            key = keys.get(message_id)
            if key is not None:
                if key not in taken:
                    continue
                taken.discard(key)  # one message per slot
            lease = now + timedelta(seconds=CLAIM_SECONDS_BY_METHOD.get(method, CLAIM_SECONDS))
            leases.setdefault(lease, []).append(message_id)
            attempts.append(
                Attempt(
                    message_id,
                    lease,
                    claimed_until is not None,
                    rewrites=target is not None,
                    loaded=(method, payload, meta),
                )
            )
        for lease, ids in leases.items():
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(claimed_until=lease)
                .execution_options(synchronize_session=False)
            )
        if attempts and pacing.rate > 0:  # the budget spent, for every dispatcher
            spent = spent_until + timedelta(seconds=len(attempts) / pacing.rate)
            take_slot(session, WORKSPACE, now=spent_until, until=spent)
        session.commit()
        return attempts
