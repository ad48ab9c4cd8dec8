"""What every handler needs, put on Bolt's `context` by one middleware."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.slack.dispatcher import OutboxDispatcher
from storage.engine import SessionFactory


@dataclass(frozen=True)
class Services:
    settings: Settings
    session_factory: SessionFactory
    clock: Clock
    client: WebClient
    dispatcher: OutboxDispatcher
    read_session_factory: SessionFactory  # for listeners that only read (never queue on SQLite)

    def notify_outbox(self) -> None:
        """Wake the dispatcher after a commit that queued messages."""
        self.dispatcher.wake.set()
