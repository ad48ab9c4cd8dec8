"""The transactional outbox: Slack calls are written with the state change, sent afterwards.

`enqueue` runs inside the caller's transaction. `OutboxDispatcher.dispatch_due` claims due
rows, calls Slack outside any transaction, and records the outcome: sent (with the message's
channel and ts, so later updates can find it), retried later (429 honours Retry-After,
connection and 5xx errors back off), or failed for good (a permanent Slack error), in which
case the failure handler registered for the message's purpose runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.clock import Clock
from storage.engine import SessionFactory
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "users_not_found", "user_not_found", "channel_not_found", "not_in_channel",
        "is_archived", "account_inactive", "cannot_dm_bot", "invalid_auth", "invalid_blocks",
        "msg_too_long", "no_text", "message_not_found", "cant_update_message",
        "not_authed", "missing_scope", "restricted_action", "user_disabled", "expired_url",
    }
)  # fmt: skip
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 60

FailureHandler = Callable[[Session, OutboxMessage, str, datetime], None]
_failure_handlers: dict[str, FailureHandler] = {}


def on_failure(purpose: str) -> Callable[[FailureHandler], FailureHandler]:
    """Register what to do when a message of this purpose cannot be delivered for good."""

    def register(handler: FailureHandler) -> FailureHandler:
        _failure_handlers[purpose] = handler
        return handler

    return register


def ref(key: str) -> dict[str, str]:
    """Stands for the channel/ts of an earlier outbox message, resolved when sending."""
    return {"$outbox": key}


def enqueue(
    session: Session,
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    order_id: int | None = None,
    meta: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> None:
    """Add a Slack call to send after commit. A key already queued is left as it is."""
    channel = payload.get("channel")
    values = dict(
        key=key,
        method=method,
        payload=payload,
        meta=meta or {},
        channel_key=channel if isinstance(channel, str) else None,
        status=OutboxStatus.PENDING,
        attempts=0,
        due_at=due_at or now,
        created_at=now,
        order_id=order_id,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = OutboxMessage.__table__
    session.execute(
        insert(table)
        .values(**_column_values(values))
        .on_conflict_do_nothing(index_elements=["key"])
    )


def _column_values(values: dict[str, Any]) -> dict[str, Any]:
    values["status"] = values["status"].value
    return values


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """(channel, ts) of a message the outbox has sent, or None if it has not (yet)."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if row and row.status is OutboxStatus.SENT and row.result_ts:
        return row.result_channel, row.result_ts
    return None


class NotYetSent(Exception):
    """A message refers to an earlier one that has not gone out yet."""


class OutboxDispatcher:
    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        client: WebClient,
        clock: Clock,
        channel_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.session_factory = session_factory
        self.client = client
        self.clock = clock
        self.channel_interval = channel_interval
        self.sleep = sleep
        self.wake = threading.Event()
        self._last_post: dict[str, float] = {}

    def dispatch_due(self, limit: int = 100) -> int:
        """Send what is due now. Returns how many messages were handled (sent or failed)."""
        handled = 0
        for message_id in self._claim(limit):
            handled += self._send_one(message_id)
        return handled

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

    def _claim(self, limit: int) -> list[int]:
        now = self.clock.now()
        with self.session_factory() as session:
            query = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .where(OutboxMessage.due_at <= now)
                .where(
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.exec(query))
            if ids:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                )
            session.commit()
            return ids

    def _send_one(self, message_id: int) -> int:
        with self.session_factory() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.status is not OutboxStatus.PENDING:
                return 0
            try:
                payload = self._resolve(session, message.payload)
            except NotYetSent:
                self._retry_later(
                    session, message, seconds=1, error="waiting for an earlier message"
                )
                return 0
            method, meta = message.method, message.meta
        self._pace(payload.get("channel"))
        try:
            channel, ts = self._call(method, payload)
        except SlackApiError as error:
            return self._record_error(message_id, error)
        except Exception as error:  # connection errors, timeouts: transient
            log.warning("outbox %s: %s", message_id, error)
            with self.session_factory() as session:
                message = session.get(OutboxMessage, message_id)
                self._retry_later(
                    session, message, seconds=_backoff(message.attempts), error=str(error)
                )
            return 0
        with self.session_factory() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock.now(),
                    result_channel=channel,
                    result_ts=ts,
                    attempts=OutboxMessage.attempts + 1,
                    last_error=None,
                )
            )
            session.commit()
        log.debug("outbox %s sent (%s)", message_id, meta.get("purpose"))
        return 1

    def _call(self, method: str, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        if method == "response_url":
            response = WebhookClient(payload["url"]).send_dict(payload["body"])
            if response.status_code >= 500:
                raise ConnectionError(f"response_url answered {response.status_code}")
            return None, None
        response = self.client.api_call(method, json=payload)
        data = response.data if isinstance(response.data, dict) else {}
        channel = data.get("channel") or payload.get("channel")
        if isinstance(channel, dict):
            channel = channel.get("id")
        return channel, data.get("ts") or payload.get("ts")

    def _record_error(self, message_id: int, error: SlackApiError) -> int:
        code = error.response.get("error") if error.response is not None else None
        status = error.response.status_code if error.response is not None else None
        with self.session_factory() as session:
            message = session.get(OutboxMessage, message_id)
            if status == 429 or code == "ratelimited":
                retry_after = int(error.response.headers.get("Retry-After", "1") or 1)
                self._retry_later(
                    session, message, seconds=retry_after, error="ratelimited", count=False
                )
                return 0
            if code in PERMANENT_ERRORS or message.attempts + 1 >= MAX_ATTEMPTS:
                now = self.clock.now()
                message.status = OutboxStatus.FAILED
                message.last_error = code or str(error)
                message.attempts += 1
                session.add(message)
                handler = _failure_handlers.get(message.meta.get("purpose", ""))
                if handler:
                    handler(session, message, message.last_error, now)
                session.commit()
                log.warning("outbox %s failed for good: %s", message_id, message.last_error)
                return 1
            self._retry_later(
                session, message, seconds=_backoff(message.attempts), error=code or str(error)
            )
            return 0

    def _retry_later(
        self,
        session: Session,
        message: OutboxMessage,
        *,
        seconds: float,
        error: str,
        count: bool = True,
    ) -> None:
        message.due_at = self.clock.now() + timedelta(seconds=seconds)
        message.claimed_until = None
        message.last_error = error
        if count:
            message.attempts += 1
        session.add(message)
        session.commit()

    def _resolve(self, session: Session, payload: dict[str, Any]) -> dict[str, Any]:
        resolved = dict(payload)
        for field in ("channel", "ts"):
            value = payload.get(field)
            if isinstance(value, dict) and "$outbox" in value:
                found = sent_message(session, value["$outbox"])
                if found is None:
                    raise NotYetSent(value["$outbox"])
                resolved[field] = found[0] if field == "channel" else found[1]
        thread = payload.get("thread_ts")
        if isinstance(thread, dict) and "$outbox" in thread:
            found = sent_message(session, thread["$outbox"])
            if found is None:
                raise NotYetSent(thread["$outbox"])
            resolved["thread_ts"] = found[1]
        return resolved

    def _pace(self, channel: Any) -> None:
        """About one message per second per channel, as Slack asks."""
        if not isinstance(channel, str) or self.channel_interval <= 0:
            return
        last = self._last_post.get(channel)
        now = time.monotonic()
        if last is not None and now - last < self.channel_interval:
            self.sleep(self.channel_interval - (now - last))
        self._last_post[channel] = time.monotonic()


def _backoff(attempts: int) -> float:
    return min(2**attempts, 300)
