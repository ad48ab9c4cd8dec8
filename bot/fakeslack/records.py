"""What the fake Slack keeps: users, calls, messages, and failures to inject."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BOT_USER = "UBOT"
BOT_TOKEN = "xoxb-fake-token"


@dataclass
class FakeUser:
    id: str
    name: str
    email: str | None = None
    tz: str = "UTC"
    real_name: str | None = None
    deleted: bool = False
    team_id: str = "T0001"  # their home workspace (another one: a Slack Connect guest)

    def as_slack(self) -> dict[str, Any]:

        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        real = self.real_name or self.name
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": real,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": False,
            "profile": {
                "email": self.email,
                "real_name": real,
                "display_name": self.name,
                "team": self.team_id,
            },
        }


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    user: str = BOT_USER
    files: list[dict[str, Any]] = field(default_factory=list)
    ephemeral_to: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions (chat.update)
    metadata: dict[str, Any] | None = None  # message metadata: event_type, event_payload

    def as_slack(self, *, with_metadata: bool) -> dict[str, Any]:
        """The message as conversations.history and conversations.replies return it."""
        data: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": "BBOT",
            "text": self.text,
            "ts": self.ts,
            "blocks": self.blocks,
        }
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.files:
            data["files"] = self.files
        if with_metadata and self.metadata:
            data["metadata"] = self.metadata
        return data


@dataclass
class Failure:
    error: str
    times: int
    status: int = 200
    retry_after: int | None = None
    when: Any = None  # optional predicate on args


class HangUp(Exception):
    """The fake Slack closes the connection without answering."""


@dataclass
class Hold:
    """A call the fake Slack keeps waiting (`slack.hold`): before it takes effect, or after
    (`recorded`: Slack has done it, its answer is held), until `release()`."""

    method: str
    recorded: bool
    when: Any = None  # optional predicate on args
    timeout: float = 30.0  # a hold nobody releases lets the call go on after this long
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    take_effect: bool = True
    answer: bool = True

    def wait_reached(self, timeout: float = 10.0) -> None:
        if not self.reached.wait(timeout):
            raise TimeoutError(f"no {self.method} call arrived within {timeout}s")

    def release(self, *, take_effect: bool = True, answer: bool = True) -> None:
        """Let the call go on. `take_effect=False` (a call held before it took effect) drops
        it, as if its caller had died before Slack received it; `answer=False` closes the
        connection without an answer (after the call took effect, if `recorded`)."""
        self.take_effect, self.answer = take_effect, answer
        self.released.set()

    def wait(self) -> None:
        self.reached.set()
        self.released.wait(self.timeout)


def as_list(value: Any) -> list:
    if isinstance(value, str):
        return json.loads(value) if value else []
    return list(value or [])


def as_dict(value: Any) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or {})
