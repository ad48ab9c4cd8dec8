"""The transactional outbox: Slack calls are written with the state change, sent afterwards.

`enqueue` runs inside the caller's transaction. `OutboxDispatcher` (bot.slack.dispatcher)
finds due rows, claims each one just before sending it (a compare-and-set on its lease, so
two dispatchers never send the same row: bot.slack.claims), calls Slack outside any
transaction, and records the outcome (bot.slack.outcomes): sent (with the message's channel
and ts, so later updates can find it), retried later (429 honours Retry-After and holds back
everything else bound by the same limit; connection and 5xx errors back off), or failed for
good (a permanent Slack error, or too many attempts), in which case the message kind's
failure handler runs (MessageKind).

A call that rewrites a message in place (chat.update, views.publish) records what it rewrites;
only the newest rewrite of a message is sent (bot.slack.rewrites).

Delivery is at least once, and posts are effectively once: a dispatcher that dies after Slack
accepted a post but before its `ts` was recorded leaves the lease to run out; the next claim
knows the outcome is unknown and looks for the post (tagged with the outbox id in Slack's
message metadata) in the conversation before sending it again (bot.slack.recovery).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.core.clock import Clock
from bot.slack.rewrites import rewrite_target
from storage.bulk import insert_or_skip
from storage.engine import SessionFactory
from storage.models import OutboxMessage, OutboxStatus
from storage.rows import table_of

PERMANENT_ERRORS = frozenset(
    {
        "users_not_found",
        "user_not_found",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "cannot_dm_bot",
        "invalid_auth",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "message_not_found",
        "cant_update_message",
        "not_authed",
        "missing_scope",
        "restricted_action",
        "user_disabled",
        "expired_url",
        "file_not_found",
        "invalid_arguments",
    }
)

# An e-mail, sent by the sender registered for this method (bot.email): payload
# {"to": address, "template": ..., "delivery_id": ..., ...}; composed when it is sent.
EMAIL = "email.send"

FailureHandler = Callable[[Session, OutboxMessage, str, datetime], None]
Renderer = Callable[[Session, dict[str, Any], dict[str, Any], datetime], dict[str, Any]]
Preparer = Callable[[WebClient, dict[str, Any], dict[str, Any]], dict[str, Any]]


class SlackAccess(Protocol):
    """What asking Slack about someone and caching the answer takes: the handlers' Services,
    and the dispatcher (which looks up what a message it renders needs)."""

    @property
    def client(self) -> WebClient: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def session_factory(self) -> SessionFactory: ...
    @property
    def read_session_factory(self) -> SessionFactory: ...


LookUp = Callable[[SlackAccess, dict[str, Any]], None]
# a call that is not Slack's (an e-mail): payload -> (channel, ts) to record as sent
Sender = Callable[[dict[str, Any]], tuple[str | None, str | None]]


class PermanentFailure(Exception):
    """Raised by a preparer when the message can never be sent (e.g. nobody to send it to)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class MessageKind:
    """What the dispatcher does for the messages of one purpose (`meta["purpose"]`).

    `prepare` is a last step before sending (e.g. finding the recipient): payload -> payload.
    `on_failure` runs in the transaction that marks a message failed for good; it may queue
    other messages, or put this one back to PENDING (with new `meta`) to try another route.
    `render` builds the payload from the database when the message is sent (a read-only
    session): for requests like "publish this Home" queued cheaply and rendered once.
    `look_up` asks Slack what `render` needs (no transaction open), before it; so a request's
    ack never waits on Slack for it.
    """

    prepare: Preparer | None = None
    on_failure: FailureHandler | None = None
    render: Renderer | None = None
    look_up: LookUp | None = None


def kind_for(kinds: Mapping[str, MessageKind], meta: dict[str, Any]) -> MessageKind:
    """The kind of a message, by its purpose (none registered: nothing special)."""
    return kinds.get(meta.get("purpose", ""), MessageKind())


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
    enqueue_many(
        session,
        [
            Queued(
                key=key, method=method, payload=payload, order_id=order_id, meta=meta, due_at=due_at
            )
        ],
        now=now,
    )


@dataclass(frozen=True)
class Queued:
    """One call for `enqueue_many` (the arguments of `enqueue`)."""

    key: str
    method: str
    payload: dict[str, Any]
    order_id: int | None = None
    meta: dict[str, Any] | None = None
    due_at: datetime | None = None


def enqueue_many(session: Session, calls: list[Queued], *, now: datetime) -> None:
    """`enqueue` for several calls in one statement (they keep their order)."""
    if not calls:
        return
    rows = []
    for call in calls:
        # an e-mail is paced and claimed by its address, as a post by its channel
        to = call.payload.get("to") if call.method == EMAIL else call.payload.get("channel")
        rows.append(
            dict(
                key=call.key,
                method=call.method,
                payload=call.payload,
                meta=call.meta or {},
                channel_key=to if isinstance(to, str) else None,
                target=rewrite_target(call.method, call.payload),
                status=OutboxStatus.PENDING.value,
                attempts=0,
                due_at=call.due_at or now,
                created_at=now,
                order_id=call.order_id,
            )
        )
    session.execute(_INSERT[session.get_bind().dialect.name], rows)


_INSERT = insert_or_skip(table_of(OutboxMessage), ["key"])


def enqueue_update(
    session: Session,
    *,
    key: str,
    of: str,
    text: str,
    blocks: list[dict[str, Any]],
    now: datetime,
    order_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Queue a `chat.update` of the message sent earlier under the outbox key `of`."""
    enqueue(
        session,
        key=key,
        method="chat.update",
        payload={"channel": ref(of), "ts": ref(of), "text": text, "blocks": blocks},
        now=now,
        order_id=order_id,
        meta=meta,
    )


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """(channel, ts) of a message the outbox has sent, or None if it has not (yet)."""
    return result_of(session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first())


def result_of(row: OutboxMessage | None) -> tuple[str, str] | None:
    """`sent_message` of a row already read."""
    if row and row.status is OutboxStatus.SENT and row.result_channel and row.result_ts:
        return row.result_channel, row.result_ts
    return None


class NotYetSent(Exception):
    """A message refers to an earlier one that has not gone out yet."""

    def __init__(self, key: str, due_at: datetime | None):
        self.key = key
        self.due_at = due_at
        super().__init__(key)


_REF_FIELDS = ("channel", "ts", "thread_ts")


def has_refs(payload: dict[str, Any]) -> bool:
    """Whether the payload stands for an earlier message's channel/ts (`ref`)."""
    return any(
        isinstance(payload.get(field), dict) and "$outbox" in payload[field]
        for field in _REF_FIELDS
    )


def resolve_refs(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with each `ref()` replaced by the channel/ts the outbox recorded for it;
    NotYetSent while the earlier message has not gone out."""
    resolved = dict(payload)
    for field, index in (("channel", 0), ("ts", 1), ("thread_ts", 1)):
        value = payload.get(field)
        if isinstance(value, dict) and "$outbox" in value:
            key = value["$outbox"]
            found = sent_message(session, key)
            if found is None:
                row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
                pending = row.due_at if row and row.status is OutboxStatus.PENDING else None
                raise NotYetSent(key, pending)
            resolved[field] = found[index]
    return resolved
