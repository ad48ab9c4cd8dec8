"""Effectively-once posts: every `chat.postMessage` the outbox sends carries its outbox id in
Slack's message metadata, so a post whose earlier attempt ended without an answer (the
dispatcher died, or the connection dropped, after Slack may have posted it) is looked for in
the conversation before it is sent again.

Slack has no idempotency key for chat.postMessage; this is the next best thing. It reads one
page of the conversation: the newest `WINDOW` messages of a channel or DM, or the first
`WINDOW` of a thread. Slack's limits for apps outside the Marketplace cap that page at 15
messages and one call a minute (a 429 is waited out like any other).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

EVENT_TYPE = "deliverybot_outbox"
WINDOW = 50


def tag(payload: dict[str, Any], outbox_id: int) -> dict[str, Any]:
    """The post with its outbox id in the message metadata."""
    metadata = {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": outbox_id}}
    return {**payload, "metadata": metadata}


def lookup_method(payload: dict[str, Any]) -> str:
    """The Web API method `find_posted` reads the conversation with (its rate-limit scope)."""
    return "conversations.replies" if payload.get("thread_ts") else "conversations.history"


def find_posted(
    client: WebClient, payload: dict[str, Any], outbox_id: int
) -> tuple[str, str] | None:
    """(channel, ts) of the message this post already became, or None if it is not there.
    Slack's errors (SlackApiError) are the caller's to judge."""
    channel = conversation_id(client, payload["channel"])
    arguments: dict[str, Any] = {
        "channel": channel,
        "limit": WINDOW,
        "include_all_metadata": True,
    }
    if payload.get("thread_ts"):
        page = client.conversations_replies(ts=payload["thread_ts"], **arguments)
    else:
        page = client.conversations_history(**arguments)
    for message in page.get("messages") or []:
        if _is_post(message.get("metadata"), outbox_id):
            return channel, message["ts"]
    return None


def conversation_id(client: WebClient, channel: str) -> str:
    """The conversation a post to `channel` lands in: a post to a user id goes to the bot's
    IM with them, whose id conversations.open gives (history needs a conversation id)."""
    if channel[:1] in ("U", "W"):
        return client.conversations_open(users=channel)["channel"]["id"]
    return channel


def _is_post(metadata: Any, outbox_id: int) -> bool:
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return False
    found = (metadata.get("event_payload") or {}).get("outbox_id")
    return str(found) == str(outbox_id)
