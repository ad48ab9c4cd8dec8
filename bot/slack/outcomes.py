"""Recording what became of one send: sent (with the message's channel and ts), put back for
later (a 429's Retry-After, a backoff after a transient error, an earlier message not sent
yet), or failed for good, in which case the message kind's failure handler runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.clock import Clock
from bot.core.retry import backoff
from bot.core.telemetry import metrics
from bot.slack import rewrites
from bot.slack.claims import Attempt
from bot.slack.outbox import MessageKind, kind_for
from storage.engine import SessionFactory
from storage.models import OutboxMessage, OutboxStatus
from storage.rows import changed_rows, get_row

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=2)  # after a connection or server error
LONGEST_WAIT = timedelta(minutes=5)


class Outcomes:
    def __init__(
        self, session_factory: SessionFactory, clock: Clock, kinds: Mapping[str, MessageKind]
    ):
        self.session_factory = session_factory
        self.clock = clock
        self.kinds = kinds

    def sent(self, attempt: Attempt, *, channel: Any, ts: Any) -> None:
        """Sent, if the lease is still ours (else another dispatcher took the row over and
        records its own send); then, if a newer rewrite of the same message went out while
        this one was on its way, that one is sent again so the newest stays on screen."""
        metrics.SENDS.labels("sent").inc()
        with self.session_factory() as session:
            recorded = changed_rows(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == attempt.message_id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.claimed_until) == attempt.lease,
                )
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock.now(),
                    result_channel=channel,
                    result_ts=ts,
                    attempts=OutboxMessage.attempts + 1,
                    last_error=None,
                ),
            )
            if recorded != 1:
                log.warning(
                    "outbox %s: sent after its lease passed to another dispatcher",
                    attempt.message_id,
                )
            if attempt.rewrites:  # only a rewrite can have been overtaken (a post never is)
                message = get_row(session, OutboxMessage, attempt.message_id)
                rewrites.resend_if_overtaken(session, message, now=self.clock.now())
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
