"""Sending what the outbox holds: claim a due row, call Slack outside any transaction,
record the outcome (see bot.outbox for the contract)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.core.clock import Clock
from bot.core.filestore import FileStore
from bot.core.retry import backoff
from bot.slack import rewrites
from bot.slack.calls import PACED_METHODS, SlackCaller, rate_scope, retry_after
from bot.slack.outbox import (
    PERMANENT_ERRORS,
    MessageKind,
    NotYetSent,
    PermanentFailure,
    resolve_refs,
)
from storage.engine import SessionFactory
from storage.models import OutboxMessage, OutboxStatus
from storage.rows import changed_rows, get_row

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=2)  # after a connection or server error
LONGEST_WAIT = timedelta(minutes=5)
CLAIM_SECONDS = 60
# Re-sharing proof uploads every file (up to 50 MB each, several per delivery): a lease that
# ran out mid-upload would let another dispatcher upload them all again.
CLAIM_SECONDS_BY_METHOD = {"files.share": 30 * 60}


def claimable(now: datetime) -> ColumnElement[bool]:
    """Not claimed, or its lease has run out."""
    claimed_until = col(OutboxMessage.claimed_until)
    return or_(claimed_until.is_(None), claimed_until < now)


class _Deferred(Exception):
    """The message was put back for later; nothing to record now."""


class _Superseded(Exception):
    """A newer rewrite of the same message was sent or queued: this one was marked done."""


class OutboxDispatcher:
    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        client: WebClient,
        clock: Clock,
        channel_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        files: FileStore | None = None,
        caller: SlackCaller | None = None,
        kinds: Mapping[str, MessageKind] | None = None,
    ):
        self.session_factory = session_factory
        self.client = client
        self.clock = clock
        self.channel_interval = channel_interval
        self.sleep = sleep
        self.caller = caller or SlackCaller(client, files)
        self.kinds = kinds or {}  # by purpose: the registry built in bot.bootstrap
        self.wake = threading.Event()
        self._last_post: dict[str, float] = {}
        self._held_until: dict[str, datetime] = {}  # rate-limit scope -> Retry-After end

    def _kind(self, meta: dict[str, Any]) -> MessageKind:
        return self.kinds.get(meta.get("purpose", ""), MessageKind())

    def dispatch_due(self, limit: int = 100) -> int:
        """Send what is due now. Returns how many messages were handled (sent or failed)."""
        return sum(self.send_one(message_id) for message_id in self._due(limit))

    def drain(self, rounds: int = 50) -> int:
        """Send until nothing is due (tests, the demo, `worker --once`)."""
        total = 0
        for _ in range(rounds):
            handled = self.dispatch_due()
            total += handled
            if not handled:
                break
        return total

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                if self.dispatch_due():
                    continue
            except Exception:
                log.exception("outbox dispatch failed; retrying shortly")
            self.wake.wait(idle_seconds)
            self.wake.clear()

    # -- claiming ----------------------------------------------------------------------------
    def _due(self, limit: int) -> list[int]:
        now = self.clock.now()
        with self.session_factory() as session:
            query = (
                select(col(OutboxMessage.id))
                .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
                .where(col(OutboxMessage.due_at) <= now)
                .where(claimable(now))
                .order_by(col(OutboxMessage.id))
                .limit(limit)
            )
            return [message_id for message_id in session.exec(query) if message_id is not None]

    def _claim(self, message_id: int) -> datetime | None:
        """Take the row for one send; whoever's UPDATE matches owns it until the lease ends
        (returned). Claiming one row at a time keeps the lease short whatever the batch size
        or pacing; a method that takes long (files.share) gets a longer one.
        """
        now = self.clock.now()
        with self.session_factory() as session:
            method = session.exec(
                select(OutboxMessage.method).where(col(OutboxMessage.id) == message_id)
            ).first()
            seconds = CLAIM_SECONDS_BY_METHOD.get(method or "", CLAIM_SECONDS)
            lease = now + timedelta(seconds=seconds)
            claimed = changed_rows(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.due_at) <= now,
                    claimable(now),
                )
                .values(claimed_until=lease)
                .execution_options(synchronize_session=False),
            )
            session.commit()
            return lease if claimed == 1 else None

    # -- sending -----------------------------------------------------------------------------
    def send_one(self, message_id: int) -> int:
        """Claim, send and record one message. Returns 1 when it was handled (sent, failed for
        good or superseded), 0 when it was left for later (or another dispatcher has it)."""
        lease = self._claim(message_id)
        if lease is None:
            return 0
        try:
            method, payload, meta = self._load(message_id)
        except _Deferred:
            return 0
        except _Superseded:
            return 1
        except PermanentFailure as failure:
            return self._fail(message_id, failure.code)
        scope = method
        try:
            prepare = self._kind(meta).prepare
            if prepare:
                payload = prepare(self.client, payload, meta)
            payload = self.caller.address(payload)
            scope = rate_scope(method, payload)
            held = self._held_until.get(scope)
            if held and held > self.clock.now():
                return self._defer(message_id, due_at=held, error="ratelimited")
            if method in PACED_METHODS:
                self._pace(payload.get("channel"))
            channel, ts = self.caller.call(method, payload)
        except PermanentFailure as failure:
            return self._fail(message_id, failure.code)
        except SlackApiError as error:
            return self._record_error(message_id, error, scope)
        except Exception as error:  # connection errors, timeouts, a missing file: transient
            log.warning("outbox %s: %s", message_id, error)
            return self._transient(message_id, str(error))
        self._record_sent(message_id, lease, channel=channel, ts=ts)
        log.debug("outbox %s sent (%s)", message_id, meta.get("purpose"))
        return 1

    def _record_sent(self, message_id: int, lease: datetime, *, channel: Any, ts: Any) -> None:
        """Sent, if the lease is still ours (else another dispatcher took the row over and
        records its own send); then, if a newer rewrite of the same message went out while
        this one was on its way, that one is sent again so the newest stays on screen."""
        with self.session_factory() as session:
            recorded = changed_rows(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.claimed_until) == lease,
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
                    "outbox %s: sent after its lease passed to another dispatcher", message_id
                )
            message = get_row(session, OutboxMessage, message_id)
            rewrites.resend_if_overtaken(session, message, now=self.clock.now())
            session.commit()

    def _load(self, message_id: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The message's method, payload with references resolved, and meta."""
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, message_id)
            newer = rewrites.supersede_if_outdated(session, message)
            if newer is not None:
                session.commit()
                log.debug("outbox %s superseded by %s", message_id, newer)
                raise _Superseded
            try:
                payload = resolve_refs(session, message.payload)
            except NotYetSent as waiting:
                if waiting.due_at is None:
                    raise PermanentFailure(f"earlier message {waiting.key} failed") from None
                self._reschedule(session, message, due_at=max(waiting.due_at, self.clock.now()))
                raise _Deferred from None
            return message.method, payload, dict(message.meta)

    def _defer(self, message_id: int, *, due_at: datetime, error: str) -> int:
        with self.session_factory() as session:
            self._reschedule(
                session, get_row(session, OutboxMessage, message_id), due_at=due_at, error=error
            )
        return 0

    # -- outcomes ----------------------------------------------------------------------------
    def _record_error(self, message_id: int, error: SlackApiError, scope: str) -> int:
        response = error.response
        code = response.get("error") if response is not None else None
        status = response.status_code if response is not None else None
        if status == 429 or code == "ratelimited":
            until = self.clock.now() + timedelta(seconds=retry_after(response))
            self._held_until[scope] = until
            return self._defer(message_id, due_at=until, error="ratelimited")
        if code in PERMANENT_ERRORS:
            return self._fail(message_id, code)
        return self._transient(message_id, code or str(error))

    def _transient(self, message_id: int, error: str) -> int:
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, message_id)
            give_up = message.attempts + 1 >= MAX_ATTEMPTS
            if not give_up:
                message.attempts += 1
                due_at = self.clock.now() + backoff(
                    message.attempts, first=FIRST_RETRY, cap=LONGEST_WAIT
                )
                self._reschedule(session, message, due_at=due_at, error=error)
        return self._fail(message_id, error) if give_up else 0

    def _fail(self, message_id: int, error: str) -> int:
        now = self.clock.now()
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, message_id)
            message.status = OutboxStatus.FAILED
            message.last_error = error
            message.attempts += 1
            message.claimed_until = None
            session.add(message)
            session.flush()
            handler = self._kind(message.meta).on_failure
            if handler:
                try:
                    with session.begin_nested():
                        handler(session, message, error, now)
                except Exception:  # the failure stays recorded even if telling someone fails
                    log.exception("outbox %s: failure handler raised", message_id)
            session.commit()
            retried = message.status is OutboxStatus.PENDING
        log.warning("outbox %s failed%s: %s", message_id, " (rerouted)" if retried else "", error)
        return 1  # handled: failed for good, or put back on another route (progress either way)

    def _reschedule(
        self,
        session: Session,
        message: OutboxMessage,
        *,
        due_at: datetime,
        error: str | None = None,
    ) -> None:
        message.due_at = due_at
        message.claimed_until = None
        if error:
            message.last_error = error
        session.add(message)
        session.commit()

    def _pace(self, channel: Any) -> None:
        """About one message per second per channel, as Slack asks."""
        if not isinstance(channel, str) or self.channel_interval <= 0:
            return
        last = self._last_post.get(channel)
        now = time.monotonic()
        if last is not None and now - last < self.channel_interval:
            self.sleep(self.channel_interval - (now - last))
        self._last_post[channel] = time.monotonic()
