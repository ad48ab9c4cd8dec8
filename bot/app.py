"""Wiring: services -> the Bolt app, with every handler registered. Nothing happens at import
time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.slack.inbound.requests import SlackApp
from bot.slack.inbound.turns import TurnYieldingRespond
from bot.slack.services import Services
from handlers import register_all


def create_app(services: Services, **bolt_kwargs: Any) -> SlackApp:
    options: dict[str, Any] = dict(
        client=services.client,
        signing_secret=services.settings.slack_signing_secret,
        # Listeners only read and write the database (Slack messages go through the outbox),
        # so they run before the HTTP response: no 10 ms ack polling, no lost work on a crash.
        process_before_response=True,
        # a request no listener takes goes to the error handler (one log line, a 404), not to
        # Bolt's multi-line warning with the body and a code suggestion
        raise_error_for_unhandled_request=True,
    )
    options.update(bolt_kwargs)
    app = SlackApp(max_request_bytes=services.settings.max_request_bytes, **options)

    @app.middleware
    def inject_services(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context["services"] = services
        # Bolt's own client (and so `say`) and `respond` would keep the request's turn while
        # they wait on Slack; ours give it to the next request meanwhile
        context["client"] = services.client
        if context.response_url:
            context["respond"] = TurnYieldingRespond(
                response_url=context.response_url,
                proxy=services.client.proxy,
                ssl=services.client.ssl,
            )
        next()

    register_all(app)
    return app
