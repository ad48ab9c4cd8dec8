"""Sends what Slack would send to the app, signed, over HTTP; reads back what people see.

seller = driver.person("USELLER")
seller.runs("/deliver 12345")
customer.clicks("Accept")
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.fakeslack.client import HttpClient, Reply
from bot.fakeslack.records import Message
from bot.fakeslack.server import FakeSlack


class SlackDriver:
    def __init__(
        self,
        *,
        app_url: str,
        signing_secret: str,
        slack: FakeSlack,
        settle: Callable[[], Any] | None = None,
        api_app_id: str = "A0001",
    ):
        self.app_url = app_url.rstrip("/") + "/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.slack = slack
        self.settle = settle or (lambda: None)
        self.api_app_id = api_app_id
        self.http = HttpClient(timeout=30)
        self._seq = itertools.count(1)
        self.triggers: dict[str, str] = {}  # trigger_id -> user
        self.response_urls: dict[str, str] = {}  # response_url id -> user

    def person(self, user_id: str) -> Person:
        return Person(self, user_id)

    # -- raw requests --------------------------------------------------------------------------
    def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = signature or self.verifier.generate_signature(
            timestamp=str(timestamp), body=body
        )
        signed = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or "",
            "Content-Type": content_type,
            **(headers or {}),
        }
        response = self.http.post(self.app_url, content=body.encode(), headers=signed)
        self.settle()
        return response

    def post_form(self, fields: dict[str, str], **kw: Any) -> Reply:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def post_payload(self, payload: dict[str, Any], **kw: Any) -> Reply:
        return self.post_form({"payload": json.dumps(payload)}, **kw)

    def new_trigger(self, user: str) -> str:
        trigger = f"{next(self._seq)}.{int(time.time())}.trigger"
        self.triggers[trigger] = user
        return trigger

    def response_url(self, user: str) -> str:
        url_id = str(next(self._seq))
        self.response_urls[url_id] = user
        return f"{self.slack.base_url}/respond/{url_id}"

    def command(
        self, user: str, text: str, *, command: str = "/deliver", channel: str | None = None
    ) -> Reply:
        return self.post_form(
            {
                "token": "legacy",
                "team_id": self.slack.team_id,
                "team_domain": "fake",
                "channel_id": channel or self.slack.dm_channel(user),
                "channel_name": "directmessage",
                "user_id": user,
                "user_name": self.slack.users[user].name if user in self.slack.users else user,
                "command": command,
                "text": text,
                "api_app_id": self.api_app_id,
                "response_url": self.response_url(user),
                "trigger_id": self.new_trigger(user),
            }
        )

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Reply:
        body = {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._seq):08d}",
            "event_time": int(time.time()),
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body), "application/json", headers=headers)

    def block_action(
        self,
        user: str,
        action: dict[str, Any],
        *,
        message: Message | None = None,
        view: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> Reply:
        action = {"action_ts": f"{time.time():.6f}", **action}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user, "team_id": self.slack.team_id},
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "team": {"id": self.slack.team_id, "domain": "fake"},
            "trigger_id": self.new_trigger(user),
            "response_url": self.response_url(user),
            "actions": [action],
        }
        if message is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.ephemeral_to is not None,
            }
            payload["channel"] = {"id": message.channel}
            payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
            payload["state"] = {"values": state or {}}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "state": {"values": state or {}}}
            payload.pop("response_url")
        return self.post_payload(payload)

    def view_submission(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> Reply:
        payload = {
            "type": "view_submission",
            "team": {"id": self.slack.team_id, "domain": "fake"},
            "user": {"id": user, "username": user, "team_id": self.slack.team_id},
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "trigger_id": self.new_trigger(user),
            "view": {**view, "state": {"values": values}},
        }
        return self.post_payload(payload)


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str | None, dict[str, Any]]]:
    """Every interactive element with its block id, in order (buttons, selects, pickers)."""
    found = []
    for block in blocks:
        elements = list(block.get("elements", []))
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and "action_id" in element:
                found.append((block.get("block_id"), element))
    return found


def label(element: dict[str, Any]) -> str:
    text = element.get("text") or element.get("placeholder") or {}
    return text.get("text", "") if isinstance(text, dict) else str(text)


class Person:
    """One Slack user, acting through the driver."""

    def __init__(self, driver: SlackDriver, user_id: str):
        self.driver = driver
        self.slack = driver.slack
        self.id = user_id

    def runs(self, text: str, *, channel: str | None = None) -> Reply:
        command, _, rest = text.partition(" ")
        return self.driver.command(self.id, rest, command=command, channel=channel)

    def dms(self) -> list[Message]:
        return self.slack.dms(self.id)

    def last_dm(self) -> Message:
        return self.dms()[-1]

    def responses(self) -> list[dict[str, Any]]:
        """What the bot answered through response_url to this person's commands and clicks."""
        urls = self.driver.response_urls
        return [r for r in self.slack.responses if urls.get(r["url_id"]) == self.id]

    def find_button(
        self, text: str, message: Message | None = None
    ) -> tuple[Message, str | None, dict]:
        candidates = (
            [message] if message else list(reversed(self.dms() + self.slack.ephemerals(self.id)))
        )
        for candidate in candidates:
            for block_id, element in buttons(candidate.blocks):
                if label(element) == text:
                    return candidate, block_id, element
        raise AssertionError(f"{self.id} sees no button {text!r}")

    def clicks(self, text: str, message: Message | None = None, **extra: Any) -> Reply:
        """Click the button labelled `text` on `message` (default: the newest that has one)."""
        found, block_id, element = self.find_button(text, message)
        action = {
            "action_id": element["action_id"],
            "block_id": block_id,
            "type": element.get("type", "button"),
            "value": element.get("value", ""),
        }
        action.update(extra)
        return self.driver.block_action(self.id, action, message=found)

    def picks(self, action_id: str, message: Message, **selected: Any) -> Reply:
        """Use a select or picker on a message (selected_option=…, selected_date=…)."""
        for block_id, element in buttons(message.blocks):
            if element["action_id"] == action_id:
                action = {"action_id": action_id, "block_id": block_id, "type": element["type"]}
                return self.driver.block_action(self.id, {**action, **selected}, message=message)
        raise AssertionError(f"no element {action_id!r} on that message")

    def current_view(self) -> dict[str, Any]:
        mine = [
            v
            for v in self.slack.views.values()
            if self.driver.triggers.get(v.get("trigger_id", "")) == self.id
        ]
        if not mine:
            raise AssertionError(f"no modal is open for {self.id}")
        return mine[-1]

    def submits(
        self, values: dict[str, dict[str, Any]], view: dict[str, Any] | None = None
    ) -> Reply:
        return self.driver.view_submission(self.id, view or self.current_view(), values)

    def says(self, text: str, **event: Any) -> Reply:
        return self.driver.event(
            {
                "type": "message",
                "channel_type": "im",
                "user": self.id,
                "channel": self.slack.dm_channel(self.id),
                "text": text,
                "ts": f"{time.time():.6f}",
                **event,
            }
        )

    def drops_file(self, name: str, content: bytes, *, mimetype: str = "application/pdf") -> dict:
        """Drop a file into the bot's DM: Slack sends both `message/file_share` and `file_shared`."""
        info = self.slack.upload_file(self.id, name, content, mimetype=mimetype)
        channel = self.slack.dm_channel(self.id)
        self.driver.event(
            {
                "type": "message",
                "subtype": "file_share",
                "channel_type": "im",
                "user": self.id,
                "channel": channel,
                "text": "",
                "files": [info],
                "ts": f"{time.time():.6f}",
            }
        )
        self.driver.event(
            {
                "type": "file_shared",
                "file_id": info["id"],
                "user_id": self.id,
                "channel_id": channel,
                "file": {"id": info["id"]},
            }
        )
        return info

    def opens_home(self) -> Reply:
        return self.driver.event(
            {
                "type": "app_home_opened",
                "user": self.id,
                "channel": self.slack.dm_channel(self.id),
                "tab": "home",
            }
        )

    def home(self) -> dict[str, Any] | None:
        return self.slack.home.get(self.id)
