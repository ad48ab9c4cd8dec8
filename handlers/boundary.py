"""Where a Slack payload becomes a typed object. Every listener is registered through one of
these wrappers, which validates the payload against the listener's model (`bot.slack.inbound.payloads`)
before the listener runs. A payload that does not fit changes nothing: one WARNING line says
what was wrong (no traceback), the person is told what to do next when Slack lets us reach
them (a slash command, a click with a response_url), and otherwise it is acknowledged quietly.
Events also pass through `once`: each is handled once, whatever Slack retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext, BoltResponse, Respond

from bot.core.ids import COMMAND
from bot.slack.inbound.once import once
from bot.slack.inbound.payloads import (
    Click,
    EventCallback,
    ReplyTo,
    SlashCommand,
    Submission,
    summary,
)
from bot.slack.services import Services

log = logging.getLogger("deliverybot")

COMMAND_UNREADABLE = (
    ":warning: Sorry, I couldn't read that command, so I did nothing. "
    f"Please type it again, or `{COMMAND} help` to see what I understand."
)
CLICK_UNREADABLE = (
    ":warning: Sorry, I couldn't read that click (the message may be out of date), so nothing "
    f"changed. Type `{COMMAND}` to see where your orders stand."
)

C = TypeVar("C", bound=Click[Any])
S = TypeVar("S", bound=Submission[Any])
E = TypeVar("E")
Listener = Callable[..., Any]


def refuse(what: str, problem: str, *, told: str = "") -> None:
    """The one line a malformed payload is worth."""
    log.warning("Ignored a malformed %s from Slack, nothing changed%s: %s", what, told, problem)


def on_command(listener: Callable[[Ack, SlashCommand, Services], None]) -> Listener:
    def run(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        try:
            command = SlashCommand.model_validate(body)
        except ValidationError as error:
            ack(text=COMMAND_UNREADABLE, response_type="ephemeral")
            refuse(f"slash command for {listener.__name__}", summary(error), told=" (told them)")
            return
        listener(ack, command, context["services"])

    return _named(run, listener)


def on_click(model: type[C], listener: Callable[[C, Respond, Services], None]) -> Listener:
    def run(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        ack()
        try:
            click = model.model_validate(body)
        except ValidationError as error:
            told = tell_unreadable(body, respond)
            refuse(f"click for {listener.__name__}", summary(error), told=told)
            return
        listener(click, respond, context["services"])

    return _named(run, listener)


def tell_unreadable(body: dict[str, Any], respond: Respond) -> str:
    """Tell the clicker their click was not understood, if Slack gave a way to reach them;
    how that went, for the log line."""
    try:
        reply_to = ReplyTo.model_validate(body).response_url
    except ValidationError:
        reply_to = None
    if reply_to is None:
        return ""
    try:
        respond(text=CLICK_UNREADABLE, response_type="ephemeral", replace_original=False)
    except (OSError, ValueError) as error:  # urllib's errors, and a URL it refuses
        return f" (could not tell them: {error})"
    return " (told them)"


def on_submission(model: type[S], listener: Callable[[Ack, S, Services], None]) -> Listener:
    def run(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        try:
            submission = model.model_validate(body)
        except ValidationError as error:
            ack()  # a modal has no response_url: it just closes
            refuse(f"modal submission for {listener.__name__}", summary(error))
            return
        listener(ack, submission, context["services"])

    return _named(run, listener)


def on_event(model: type[EventCallback[E]], listener: Callable[[E, Services], None]) -> Listener:
    def run(body: dict[str, Any], context: BoltContext) -> BoltResponse | None:
        try:
            callback = model.model_validate(body)
        except ValidationError as error:
            refuse(f"event for {listener.__name__}", summary(error))
            return None
        services: Services = context["services"]
        return once(services, callback.event_id, lambda: listener(callback.event, services))

    return _named(run, listener)


def _named(run: Listener, listener: Listener) -> Listener:
    """Bolt names listeners in its logs; it must not see the wrapped signature (no wraps)."""
    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    return run
