"""What each person sees, as text: new and updated DMs, ephemeral replies, modals, Home tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.fakeslack.render import plain, render_blocks
from bot.fakeslack.server import FakeSlack


class Transcript:
    def __init__(self, slack: FakeSlack, names: dict[str, str], out: Callable[[str], None] = print):
        self.slack = slack
        self.names = names
        self.out = out
        self._seen_messages: dict[tuple[str, str], int] = {}
        self._seen_responses = 0
        self._seen_views: dict[str, str] = {}
        self._seen_home: dict[str, str] = {}

    def narrate(self, text: str) -> None:
        self.out(f"\n>>> {text}")

    def show_reply(self, who: str, blocks: list[dict[str, Any]] | None, text: str = "") -> None:
        """An ephemeral reply (a slash command's HTTP response): only `who` sees it."""
        body = render_blocks(blocks, self.names) if blocks else plain(text, self.names)
        self._print(f"{self.names.get(who, who)} sees (only visible to you)", body)

    def flush(self) -> None:
        """Print everything people can see that changed since the last flush."""
        for message in self.slack.messages:
            key = (message.channel, message.ts)
            version = len(message.history)
            if self._seen_messages.get(key) == version:
                continue
            updated = key in self._seen_messages
            self._seen_messages[key] = version
            where = self._where(message.channel, message.ephemeral_to)
            verb = "updated" if updated else ("replies in thread" if message.thread_ts else "new")
            body = (
                render_blocks(message.blocks, self.names)
                if message.blocks
                else plain(message.text, self.names)
            )
            if message.files:
                body += "\n" + "\n".join(
                    f"  📎 {f.get('title') or f.get('name')}" for f in message.files
                )
            self._print(f"{where} ({verb})", body)
        for response in self.slack.responses[self._seen_responses :]:
            blocks = response.get("blocks")
            body = (
                render_blocks(blocks, self.names)
                if blocks
                else plain(response.get("text", ""), self.names)
            )
            self._print("reply (only visible to the person who acted)", body)
        self._seen_responses = len(self.slack.responses)
        for view_id, view in self.slack.views.items():
            fingerprint = view.get("hash", "")
            if self._seen_views.get(view_id) != fingerprint:
                self._seen_views[view_id] = fingerprint
                title = (view.get("title") or {}).get("text", "")
                self._print(f"modal «{title}»", render_blocks(view.get("blocks", []), self.names))
        for user, view in self.slack.home.items():
            fingerprint = view.get("hash", "")
            if self._seen_home.get(user) != fingerprint:
                self._seen_home[user] = fingerprint
                self._print(
                    f"{self.names.get(user, user)}'s Home tab",
                    render_blocks(view.get("blocks", []), self.names),
                )

    def _where(self, channel: str, ephemeral_to: str | None) -> str:
        if ephemeral_to:
            return f"{self.names.get(ephemeral_to, ephemeral_to)} sees (only visible to you) in {channel}"
        if channel.startswith("D") and channel[1:] in self.names:
            return f"{self.names[channel[1:]]}'s DM with deliverybot"
        return f"#{self.names.get(channel, channel)}"

    def _print(self, title: str, body: str) -> None:
        self.out(f"  ┌─ {title}")
        for line in body.splitlines() or [""]:
            self.out(f"  │ {line}")
        self.out("  └─")
