"""The one error handler: log with the traceback, tell the person something useful."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltResponse, Respond

from bot.core.errors import DeliverybotError

log = logging.getLogger("deliverybot")

SORRY = (
    ":warning: Something went wrong on my side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your Slack admin."
)


def handle_error(error: Exception, body: dict, respond: Respond) -> BoltResponse | None:
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


def register(app: App) -> None:
    app.error(handle_error)
