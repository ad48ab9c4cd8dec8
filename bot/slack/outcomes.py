"""Recording what became of one send: sent (with the message's channel and ts), put back for
later (a 429's Retry-After, a backoff after a transient error, an earlier message not sent
yet), or failed for good, in which case the message kind's failure handler runs. The channel
its claim held (bot.slack.claims) is then freed an interval after the send, or when a 429's
Retry-After ends, which `hold` also tells every other dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col

from bot.core.clock import Clock
from bot.core.retry import backoff
from bot.core.telemetry import metrics
from bot.slack import rewrites
from bot.slack.claims import Attempt, upsert_for
from bot.slack.outbox import MessageKind, kind_for
from storage.engine import SessionFactory
from storage.models import OutboxChannel, OutboxMessage, OutboxStatus
from storage.rows import get_row, table_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=2)  # after a connection or server error
LONGEST_WAIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Sent:
    """A send Slack answered, to record with the rest of its round (`Outcomes.sent`)."""

    attempt: Attempt
    channel: Any
    ts: Any


_SENT = (  # built once: a round's sends are recorded in one executemany
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == bindparam("m_id"),
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.claimed_until) == bindparam("m_lease"),
    )
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("m_now"),
        result_channel=bindparam("m_channel"),
        result_ts=bindparam("m_ts"),
        attempts=col(OutboxMessage.attempts) + 1,
        last_error=None,
    )
)


@dataclass(frozen=True)
class Slot:
    """A channel held by a claim until `held_until` (the claim's lease), to free at `free_at`."""

    key: str
    held_until: datetime
    free_at: datetime


_FREE = (
    update(OutboxChannel)
    .where(
        col(OutboxChannel.channel) == bindparam("key"),
        col(OutboxChannel.next_send_at) == bindparam("held_until"),
    )
    .values(next_send_at=bindparam("free_at"))
)


def _free_slots(session: Session, slots: list[Slot]) -> None:
    """Free channels whose sends are done, each at its `free_at`, unless the hold is no longer
    the claim's (its lease ran out and another dispatcher took the channel)."""
    if slots:
        session.connection().execute(
            _FREE, [{"key": s.key, "held_until": s.held_until, "free_at": s.free_at} for s in slots]
        )


def hold(session_factory: SessionFactory, key: str, until: datetime) -> None:
    """Nothing goes to `key` (a channel, or `method:NAME`) before `until` (a 429's
    Retry-After), whichever dispatcher asks."""
    with session_factory() as session:
        insert = upsert_for(session)(table_of(OutboxChannel)).values(
            channel=key, next_send_at=until
        )
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["channel"],
                set_={"next_send_at": until},
                where=col(OutboxChannel.next_send_at) < until,
            )
        )
        session.commit()


class Outcomes:
    def __init__(
        self, session_factory: SessionFactory, clock: Clock, kinds: Mapping[str, MessageKind]
    ):
        self.session_factory = session_factory
        self.clock = clock
        self.kinds = kinds

    def sent(self, sent: list[Sent], slots: list[Slot]) -> None:
        """Record a round of sends in one transaction and free their channels (`slots`).
        A send is recorded if its lease is still ours (else another dispatcher took the row
        over and records its own send); then, if a newer rewrite of the same message went out
        while this one was on its way, that one is sent again so the newest stays on screen."""
        if not sent and not slots:
            return
        now = self.clock.now()
        with self.session_factory() as session:
            if sent:
                metrics.SENDS.labels("sent").inc(len(sent))
                rows = [
                    {
                        "m_id": one.attempt.message_id,
                        "m_lease": one.attempt.lease,
                        "m_now": now,
                        "m_channel": one.channel,
                        "m_ts": one.ts,
                    }
                    for one in sent
                ]
                # on the connection: an ORM session takes a list of rows as a bulk update by key
                recorded = session.connection().execute(_SENT, rows).rowcount
                if recorded != len(sent):
                    log.warning(
                        "outbox %s: %d sent after their lease passed to another dispatcher",
                        [one.attempt.message_id for one in sent],
                        len(sent) - recorded,
                    )
            for one in sent:
                if one.attempt.rewrites:  # only a rewrite can have been overtaken
                    message = get_row(session, OutboxMessage, one.attempt.message_id)
                    rewrites.resend_if_overtaken(session, message, now=now)
            _free_slots(session, slots)
            session.commit()

    def defer(self, attempt: Attempt, *, due_at: datetime, error: str) -> int:
        metrics.SENDS.labels("rate_limited" if error == "ratelimited" else "retried").inc()
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, attempt.message_id)
            self.reschedule(session, message, attempt, due_at=due_at, error=error)
        return 0

    def transient(self, attempt: Attempt, error: str) -> int:
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, attempt.message_id)
            give_up = message.attempts + 1 >= MAX_ATTEMPTS
            if not give_up:
                message.attempts += 1
                due_at = self.clock.now() + backoff(
                    message.attempts, first=FIRST_RETRY, cap=LONGEST_WAIT
                )
                self.reschedule(session, message, attempt, due_at=due_at, error=error)
        if not give_up:
            metrics.SENDS.labels("retried").inc()
        return self.fail(attempt, error) if give_up else 0

    def fail(self, attempt: Attempt, error: str) -> int:
        metrics.SENDS.labels("failed").inc()
        now = self.clock.now()
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, attempt.message_id)
            message.status = OutboxStatus.FAILED
            message.last_error = error
            message.attempts += 1
            message.claimed_until = None
            session.add(message)
            session.flush()
            handler = kind_for(self.kinds, message.meta).on_failure
            if handler:
                try:
                    with session.begin_nested():
                        handler(session, message, error, now)
                except Exception:  # the failure stays recorded even if telling someone fails
                    log.exception("outbox %s: failure handler raised", attempt.message_id)
            session.commit()
            retried = message.status is OutboxStatus.PENDING
        log.warning(
            "outbox %s failed%s: %s",
            attempt.message_id,
            " (rerouted)" if retried else "",
            error,
            extra={"outbox_id": attempt.message_id},
        )
        return 1  # handled: failed for good, or put back on another route (progress either way)

    def reschedule(
        self,
        session: Session,
        message: OutboxMessage,
        attempt: Attempt,
        *,
        due_at: datetime,
        error: str | None = None,
    ) -> None:
        """Put back for later. A send whose outcome is unknown keeps an expired lease: the
        next claim then looks for the post before sending it again (bot.slack.claims)."""
        message.due_at = due_at
        message.claimed_until = self.clock.now() if attempt.in_doubt else None
        if error:
            message.last_error = error
        session.add(message)
        session.commit()
