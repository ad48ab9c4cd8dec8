"""Fixtures for the outbox tests: a dispatcher on the fake Slack, and ones that die mid-call
(before Slack gets the call, or after Slack has done it but before its answer is recorded)."""

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


class DiesAfterSlackAnswers(SlackCaller):
    """Slack did it; the process died before it heard (or recorded) the answer."""

    def call(self, method, payload):
        super().call(method, payload)
        raise Died


class LosesTheAnswer(SlackCaller):
    """Slack did it; the connection dropped before its answer arrived (a read timeout)."""

    def call(self, method, payload):
        super().call(method, payload)
        raise ConnectionResetError("connection reset by peer")


@pytest.fixture
def make_dispatcher(slack, session_factory, clock):
    """A dispatcher on the fake Slack with no pacing (`dies_calling=True`: it dies mid-call;
    `caller=DiesAfterSlackAnswers` and the like: it fails after Slack did the call; `caller`
    may also be a SlackCaller of the test's own)."""

    def make(*, dies_calling: bool = False, **options):
        client = WebClient(token=slack.token, base_url=slack.api_url)
        if dies_calling:
            options["caller"] = DiesCalling
        if isinstance(options.get("caller"), type):  # a class: one on this client
            options["caller"] = options["caller"](client, None)
        options.setdefault("channel_interval", 0)
        return OutboxDispatcher(
            session_factory=session_factory, client=client, clock=clock, **options
        )

    return make
