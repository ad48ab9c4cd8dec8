"""A request to /slack/events, checked before Bolt reads it: signed by Slack, and shaped the way
Bolt expects. Bolt indexes the body without checking it: an `event` that is a string, an empty
`actions` list or a number where an id belongs raises inside Bolt, before any listener.

`check_signed` and `read_envelope` are the HTTP front's two questions; `SlackApp` carries what
they need (the signing secret, the size limit) from the settings to `bot.web`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from slack_bolt import App
from slack_bolt.request.internals import parse_body

from bot.slack.inbound.payloads import summary

SIGNATURE_MAX_AGE = 5 * 60  # seconds, as Slack and slack_sdk's SignatureVerifier allow
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackApp(App):
    """Bolt's App, knowing what the HTTP front checks before Bolt reads a request."""

    def __init__(self, *, max_request_bytes: int, **options: Any) -> None:
        super().__init__(**options)
        self.max_request_bytes = max_request_bytes
        self.signing_secret: str = options.get("signing_secret") or ""


class Malformed(ValueError):
    """A signed request that is not a payload Slack sends; the message says what is wrong."""


def check_signed(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float | None = None,
) -> bool:
    """Slack's signature (v0 HMAC-SHA256 of `v0:timestamp:body`) on a timestamp at most five
    minutes off. A timestamp that is not a number or a signature that is not a hex digest is
    simply unsigned (slack_sdk's verifier raises on both, and on a body that is not UTF-8)."""
    if not (secret and timestamp and signature):
        return False
    if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    signed = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Ref(_Shape):
    """`{"id": …}`, as Bolt reads `enterprise`, `team`, `user` and `channel` when not a string."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None


class _Located(_Shape):
    """The ids Bolt extracts from a payload, its event, message or first authorization."""

    enterprise: str | _Ref | None = None
    enterprise_id: str | None = None
    team: str | _Ref | None = None
    team_id: str | None = None
    user: str | _Ref | None = None
    user_id: str | None = None
    user_team: str | None = None
    channel: str | _Ref | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None
    message: _Located | None = None
    previous_message: _Located | None = None
    item: _Located | None = None
    assistant_thread: _Located | None = None
    authorizations: list[_Located] | None = None


class _Event(_Located):
    type: str
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None


class _Action(_Shape):
    action_id: str
    block_id: str | None = None


class _View(_Shape):
    type: str
    callback_id: str
    app_installed_team_id: str | None = None
    team_id: str | None = None


class _ResponseUrl(_Shape):
    response_url: str


class Envelope(_Located):
    """What Bolt reads to route a request, typed (bolt-python 1.30: `request.internals`,
    `request.payload_utils`, the built-in middleware). What each listener needs beyond this
    is checked by its own typed payload (`bot.slack.inbound.payloads`)."""

    type: str | None = None
    command: str | None = None
    event: _Event | None = None
    view: _View | None = None
    actions: list[_Action] | None = Field(default=None, min_length=1)
    response_url: str | None = None
    response_urls: list[_ResponseUrl] | None = None
    is_ext_shared_channel: bool | None = None

    @field_validator("event", "view", "actions", mode="before")
    @classmethod
    def _absent_not_null(cls, value: object) -> object:
        """Bolt reads these with `body.get(key, {})`: absent is fine, an explicit null is not."""
        if value is None:
            raise ValueError("must be absent or an object, not null")
        return value


_NEEDS = {"event_callback": "event", "block_actions": "actions", "view_submission": "view"}


def read_envelope(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will parse it, if it is a payload Bolt can route; else Malformed."""
    try:
        text = raw.decode("utf-8")
        # the content type exactly as BoltRequest reads it (extract_content_type)
        body = parse_body(text, content_type.split(";")[0] if content_type else None)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        kind = type(error).__name__
        raise Malformed(f"the body is not UTF-8 JSON or form data ({kind})") from None
    return check_envelope(body)


def check_envelope(body: Any) -> dict[str, Any]:
    """A parsed payload (an HTTP body, or a Socket Mode envelope's), if Bolt can route it;
    else Malformed."""
    if not isinstance(body, dict):
        raise Malformed(f"the payload is {type(body).__name__}, not an object")
    if not body:
        raise Malformed("the body is empty")
    _check_strings(body)
    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as error:
        raise Malformed(summary(error)) from None
    if envelope.type is None and envelope.command is None:
        raise Malformed("neither a payload type nor a slash command")
    needed = _NEEDS.get(envelope.type or "")
    if needed and needed not in body:
        raise Malformed(f"a {envelope.type} payload without {needed}")
    return body


def _check_strings(body: dict[str, Any]) -> None:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogate (not UTF-8) anywhere."""
    pending: list[Any] = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and ("\x00" in value or not _is_utf8(value)):
            raise Malformed("a string holds a NUL character or a lone surrogate")


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- what a request is, in few words (metric labels, log context) -----------------------
def surface_of(body: dict) -> str:
    """Which Slack surface a request comes from, in few words (a metric label)."""
    if body.get("command"):
        return "command"
    kind = str(body.get("type") or "")
    return {
        "block_actions": "action",
        "view_submission": "view",
        "view_closed": "view",
        "event_callback": "event",
        "block_suggestion": "options",
        "url_verification": "url_verification",
    }.get(kind, "other")


def user_of(body: dict) -> str | None:
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    return user.get("id") if isinstance(user, dict) else user


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unsigned", 400: "malformed", 404: "unhandled", 409: "in_hand"}.get(
        status, "error" if status >= 500 else "refused"
    )
