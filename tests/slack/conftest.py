"""Fixtures for the outbox tests: a dispatcher on the fake Slack, and one that dies mid-call."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.slack.calls import SlackCaller
from bot.slack.dispatcher import OutboxDispatcher


class Died(BaseException):
    """The process died while Slack was being called (nothing in the dispatcher catches it)."""


class DiesCalling(SlackCaller):
    def call(self, method, payload):
        raise Died


@pytest.fixture
def make_dispatcher(slack, session_factory, clock):
    """A dispatcher on the fake Slack with no pacing (`dies_calling=True`: it dies mid-call)."""

    def make(*, dies_calling: bool = False, **options) -> OutboxDispatcher:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        if dies_calling:
            options["caller"] = DiesCalling(client, None)
        options.setdefault("channel_interval", 0)
        return OutboxDispatcher(
            session_factory=session_factory, client=client, clock=clock, **options
        )

    return make
