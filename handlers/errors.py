"""The one error handler: log with the traceback, tell the person something useful. A request
no listener takes is not an error of ours: one warning line, and a 404."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_bolt.error import BoltUnhandledRequestError

from bot.core.errors import DeliverybotError
from handlers.boundary import COMMAND_UNREADABLE, tell_unreadable

log = logging.getLogger("deliverybot")

SORRY = (
    ":warning: Something went wrong on my side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your Slack admin."
)


def handle_error(error: Exception, body: dict, respond: Respond) -> BoltResponse | None:
    if isinstance(error, BoltUnhandledRequestError):
        return unhandled(body, respond)
    if isinstance(error, DeliverybotError):
        message = f":warning: {error}"
    else:
        log.exception(
            "unhandled error for %s", body.get("type") or body.get("command"), exc_info=error
        )
        message = SORRY
    if body.get("response_url"):
        try:
            respond(text=message, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("could not tell the user about the error")
    return None


def unhandled(body: dict[str, Any], respond: Respond) -> BoltResponse | None:
    """A command, click, modal or event no listener takes (a button of an older version, an
    event the app is not subscribed to): nothing runs."""
    if "command" in body:
        log.warning("Ignored an unknown slash command %.40r", body["command"])
        return BoltResponse(
            status=200, body={"response_type": "ephemeral", "text": COMMAND_UNREADABLE}
        )
    told = tell_unreadable(body, respond) if body.get("type") == "block_actions" else ""
    log.warning("Ignored a request no listener takes%s: %s", told, _describe(body))
    return None


def _describe(body: dict[str, Any]) -> str:
    """`block_actions delivery_foo`, `event_callback reaction_added`, … (at most 100 characters)."""
    inner = body.get("event") or body.get("view") or (body.get("actions") or [None])[0]
    detail = ""
    if isinstance(inner, dict):
        detail = inner.get("action_id") or inner.get("callback_id") or inner.get("type") or ""
    return f"{body.get('type')!s:.40} {detail!s:.60}"


def register(app: App) -> None:
    app.error(handle_error)
