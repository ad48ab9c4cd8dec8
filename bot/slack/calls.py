"""The Slack call an outbox row stands for: a Web API method, a `response_url` reply, or
re-sharing stored proof files; and what a 429 holds back."""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.core.filestore import FileStore
from bot.slack.outbox import PERMANENT_ERRORS, PermanentFailure, Sender

PACED_METHODS = frozenset({"chat.postMessage", "files.share"})  # ~1 message/s per channel


class SlackCaller:
    def __init__(
        self,
        client: WebClient,
        files: FileStore | None,
        senders: dict[str, Sender] | None = None,
    ):
        self.client = client
        self.files = files
        self.senders = senders or {}  # methods that are not Slack's (e-mail), by name
        # A post is never re-sent blindly: a connection that drops after Slack took it must
        # not be retried by the client; the outbox retries it after looking (bot.slack.recovery).
        self.poster = copy.copy(client)
        self.poster.retry_handlers = []

    def call(self, method: str, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        if method == "response_url":
            reply = WebhookClient(payload["url"]).send_dict(payload["body"])
            if reply.status_code >= 500 or reply.status_code == 429:  # try again later
                raise ConnectionError(f"response_url answered {reply.status_code}")
            if reply.status_code >= 400:  # e.g. 400 invalid_blocks, 404 expired_url
                raise PermanentFailure(reply.body or f"http_{reply.status_code}")
            return None, None
        if method == "files.share":
            return self._share_files(payload)
        if method in self.senders:
            return self.senders[method](payload)
        client = self.poster if method == "chat.postMessage" else self.client
        response = client.api_call(method, json=payload)
        data = response.data if isinstance(response.data, dict) else {}
        channel = data.get("channel") or payload.get("channel")
        if isinstance(channel, dict):
            channel = channel.get("id")
        return channel, data.get("ts") or payload.get("ts")

    def address(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A message addressed to an e-mail (a person not looked up before) goes to the Slack
        user with that e-mail. Channel ids never contain "@"."""
        channel = payload.get("channel")
        if not (isinstance(channel, str) and "@" in channel):
            return payload
        try:
            user = self.client.users_lookupByEmail(email=channel)["user"]["id"]
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code in PERMANENT_ERRORS:
                raise PermanentFailure(code) from None
            raise
        return {**payload, "channel": user}

    def _share_files(self, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        """Re-share stored proof files into a conversation (getUploadURLExternal, upload,
        completeUploadExternal): the recipient may be in another organisation."""
        if self.files is None:
            raise PermanentFailure("no_file_store")
        uploads = []
        for item in payload["files"]:
            try:
                content = self.files.get(item["sha256"])
            except FileNotFoundError:
                raise PermanentFailure("file_not_in_store") from None
            uploads.append(
                {
                    "content": content,
                    "filename": item["name"],
                    "title": item.get("title") or item["name"],
                }
            )
        self.client.files_upload_v2(
            file_uploads=uploads,
            channel=payload["channel"],
            initial_comment=payload.get("initial_comment"),
            thread_ts=payload.get("thread_ts"),
            request_file_info=False,
        )
        return payload["channel"], None


def rate_scope(method: str, payload: dict[str, Any]) -> str:
    """What one 429 holds back: posting is limited per channel, other methods per method."""
    if method in PACED_METHODS:
        return f"{method}:{payload.get('channel')}"
    return method


def retry_after(response: Any) -> float:
    """Seconds a 429 asks us to wait (at least one)."""
    headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(str(value)), 1.0)
    except ValueError:  # none given, or not a number
        return 1.0
