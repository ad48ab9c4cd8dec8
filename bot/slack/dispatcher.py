"""Sending what the outbox holds: claim a due row (bot.slack.claims), call Slack outside any
transaction, record the outcome (see bot.slack.outbox for the contract). A post that may
already be in Slack is looked for there first (bot.slack.recovery)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.clock import Clock
from bot.core.filestore import FileStore
from bot.slack import recovery, rewrites
from bot.slack.calls import PACED_METHODS, SlackCaller, rate_scope, retry_after
from bot.slack.claims import CLAIM_SECONDS, Attempt, Pacing, claim, claim_due
from bot.slack.loops import FailureLog
from bot.slack.outbox import (
    PERMANENT_ERRORS,
    MessageKind,
    NotYetSent,
    PermanentFailure,
    Sender,
    has_refs,
    kind_for,
    resolve_refs,
)
from bot.slack.outcomes import MAX_ATTEMPTS, Outcomes, Sent, Slot, hold
from storage.engine import SessionFactory
from storage.models import OutboxMessage
from storage.rows import get_row

__all__ = ["CLAIM_SECONDS", "MAX_ATTEMPTS", "OutboxDispatcher"]

log = logging.getLogger(__name__)


class _Deferred(Exception):
    """The message was put back for later; nothing to record now."""


class _Superseded(Exception):
    """A newer rewrite of the same message was sent or queued: this one was marked done."""


class _Held(Exception):
    """A 429's Retry-After holds this call back until `until`."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__(until)


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
        senders: dict[str, Sender] | None = None,
        read_session_factory: SessionFactory | None = None,
        workers: int = 1,
        workspace_rate: float = 0,
    ):
        self.session_factory = session_factory
        self.read_session_factory = read_session_factory or session_factory
        self.client = client
        self.clock = clock
        self.channel_interval = channel_interval
        self.sleep = sleep
        self.caller = caller or SlackCaller(client, files, senders)
        self.kinds = kinds or {}  # by purpose: the registry built in bot.bootstrap
        self.outcomes = Outcomes(session_factory, clock, self.kinds)
        self.wake = threading.Event()
        self.pacing = Pacing(interval=channel_interval, rate=workspace_rate)
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._held_until: dict[str, datetime] = {}  # rate-limit scope -> Retry-After end

    def dispatch_due(self, limit: int = 100) -> int:
        """Claim what is due now (the first message of each free channel, within the
        workspace rate), one per worker, and send it, concurrently across channels. Returns
        how many messages were handled (sent or failed)."""
        handled = claimed = 0
        while claimed < limit:
            # only as many as go out at once: a claimed row waits out its lease if we die,
            # and is then in doubt (looked for in Slack before it is sent again)
            attempts = claim_due(
                self.session_factory,
                self.clock.now(),
                min(limit - claimed, self.workers),
                self.pacing,
            )
            if not attempts:
                break
            claimed += len(attempts)
            handled += self._record(attempts, self._send_all(attempts))
        return handled

    def _send_all(self, attempts: list[Attempt]) -> list[Sent | int]:
        if self.workers == 1 or len(attempts) < 2:
            return [self._send(attempt) for attempt in attempts]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="outbox")
        return list(self._pool.map(self._send, attempts))

    def _record(self, attempts: list[Attempt], outcomes: list[Sent | int]) -> int:
        """Record a round's sends in one transaction (other outcomes are recorded as they
        happen), freeing each channel an interval after now (or at a 429's Retry-After)."""
        free_at = self.clock.now() + timedelta(seconds=self.pacing.interval)
        slots = [
            Slot(attempt.pace_key, attempt.lease, max(free_at, attempt.held_until or free_at))
            for attempt in attempts
            if attempt.pace_key
        ]
        sent = [outcome for outcome in outcomes if isinstance(outcome, Sent)]
        self.outcomes.sent(sent, slots)
        return len(sent) + sum(outcome for outcome in outcomes if isinstance(outcome, int))

    def drain(self, rounds: int = 10_000) -> int:
        """Send until nothing is due (tests, the demo, `worker --once`)."""
        total = 0
        for _ in range(rounds):
            handled = self.dispatch_due()
            total += handled
            if not handled:
                break
        return total

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        failures = FailureLog("outbox", log, retry_seconds=idle_seconds)
        while not stop.is_set():
            try:
                handled = self.dispatch_due()
            except Exception as error:
                failures.failed(error)
            else:
                failures.passed()
                if handled:
                    continue
            # a paced channel frees up within the interval: look again soon
            self.wake.wait(min(idle_seconds, self.channel_interval or idle_seconds) / 4)
            self.wake.clear()

    # -- sending -----------------------------------------------------------------------------
    def send_one(self, message_id: int) -> int:
        """Claim, send and record one message. Returns 1 when it was handled (sent, failed for
        good or superseded), 0 when it was left for later (or another dispatcher has it)."""
        attempt = claim(self.session_factory, message_id, self.clock.now())
        if attempt is None:
            return 0
        return self._record([attempt], [self._send(attempt)])

    def _send(self, attempt: Attempt) -> Sent | int:
        """Send one claimed message. Slack's answer is returned to be recorded with the
        round's (`_record`); any other outcome is recorded here (see `send_one`)."""
        message_id = attempt.message_id
        try:
            method, payload, meta = self._load(attempt)
        except _Deferred:
            return 0
        except _Superseded:
            return 1
        except PermanentFailure as failure:
            return self.outcomes.fail(attempt, failure.code)
        scope = method
        try:
            kind = kind_for(self.kinds, meta)
            if kind.look_up:
                kind.look_up(self, meta)
            if kind.render:
                with self.read_session_factory() as session:
                    payload = kind.render(session, payload, meta, self.clock.now())
            prepare = kind.prepare
            if prepare:
                payload = prepare(self.client, payload, meta)
            payload = self.caller.address(payload)
            if method == "chat.postMessage":
                payload = recovery.tag(payload, message_id)
                found = self._find_posted(attempt, payload) if attempt.in_doubt else None
                if found:
                    return Sent(attempt, channel=found[0], ts=found[1])
            scope = rate_scope(method, payload)
            self._check_held(scope)
            channel, ts = self._call(attempt, method, payload)
        except _Held as held:
            attempt.held_until = held.until
            return self.outcomes.defer(attempt, due_at=held.until, error="ratelimited")
        except PermanentFailure as failure:
            return self.outcomes.fail(attempt, failure.code)
        except SlackApiError as error:
            return self._record_error(attempt, error, scope)
        except Exception as error:  # connection errors, timeouts, a missing file: transient
            log.warning("outbox %s: %s", message_id, error)
            return self.outcomes.transient(attempt, str(error))
        log.debug("outbox %s sent (%s)", message_id, meta.get("purpose"))
        return Sent(attempt, channel=channel, ts=ts)

    def _find_posted(self, attempt: Attempt, payload: dict[str, Any]) -> tuple[str, str] | None:
        """The message an earlier attempt may have posted, looked for in the conversation.
        When the conversation cannot be read the post is sent again (it may then show twice)."""
        scope = recovery.lookup_method(payload)
        self._check_held(scope)
        try:
            found = recovery.find_posted(self.client, payload, attempt.message_id)
        except SlackApiError as error:
            code, status = _answer(error)
            if status == 429 or code == "ratelimited":
                raise _Held(self._hold(scope, error.response)) from None
            if code not in PERMANENT_ERRORS:
                raise
            log.warning(
                "outbox %s: cannot read the conversation to see if it was posted (%s); "
                "posting it again",
                attempt.message_id,
                code,
            )
            return None
        if found:
            log.info("outbox %s: already posted (%s %s); recorded", attempt.message_id, *found)
        attempt.in_doubt = False
        return found

    def _call(
        self, attempt: Attempt, method: str, payload: dict[str, Any]
    ) -> tuple[str | None, str | None]:
        attempt.in_doubt = True  # from here Slack may have it, whatever comes back
        try:
            return self.caller.call(method, payload)
        except SlackApiError as error:  # Slack answered: a 5xx may still have posted it
            status = _answer(error)[1]
            attempt.in_doubt = status is None or status >= 500
            raise
        except PermanentFailure:
            attempt.in_doubt = False
            raise

    def _check_held(self, scope: str) -> None:
        """Inside a 429's Retry-After for this scope: wait."""
        held = self._held_until.get(scope)
        if held and held > self.clock.now():
            raise _Held(held)

    def _hold(self, scope: str, response: Any) -> datetime:
        """Hold `scope` back for the 429's Retry-After, here and (through the database) in
        every other dispatcher: a post's channel, or the method."""
        until = self.clock.now() + timedelta(seconds=retry_after(response))
        self._held_until[scope] = until
        method, _, channel = scope.partition(":")
        hold(self.session_factory, channel if method in PACED_METHODS else f"method:{scope}", until)
        return until

    def _load(self, attempt: Attempt) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The message's method, payload with references resolved, and meta (as claimed, for
        a message that rewrites nothing and refers to no other)."""
        if attempt.loaded and not attempt.rewrites and not has_refs(attempt.loaded[1]):
            method, payload, meta = attempt.loaded
            return method, payload, dict(meta)
        with self.session_factory() as session:
            message = get_row(session, OutboxMessage, attempt.message_id)
            newer = rewrites.supersede_if_outdated(session, message)
            if newer is not None:
                session.commit()
                log.debug("outbox %s superseded by %s", attempt.message_id, newer)
                raise _Superseded
            try:
                payload = resolve_refs(session, message.payload)
            except NotYetSent as waiting:
                if waiting.due_at is None:
                    raise PermanentFailure(f"earlier message {waiting.key} failed") from None
                due_at = max(waiting.due_at, self.clock.now())
                self.outcomes.reschedule(session, message, attempt, due_at=due_at)
                raise _Deferred from None
            return message.method, payload, dict(message.meta)

    def _record_error(self, attempt: Attempt, error: SlackApiError, scope: str) -> int:
        code, status = _answer(error)
        if status == 429 or code == "ratelimited":
            until = attempt.held_until = self._hold(scope, error.response)
            return self.outcomes.defer(attempt, due_at=until, error="ratelimited")
        if code in PERMANENT_ERRORS:
            return self.outcomes.fail(attempt, code)
        return self.outcomes.transient(attempt, code or str(error))


def _answer(error: SlackApiError) -> tuple[str | None, int | None]:
    """Slack's error code and HTTP status (None when there was no response)."""
    response = error.response
    if response is None:
        return None, None
    return response.get("error"), response.status_code
