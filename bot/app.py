"""Wiring: settings -> services -> the Bolt app. Nothing happens at import time."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.clock import Clock
from bot.config import Settings
from bot.filestore import store_for
from bot.outbox import OutboxDispatcher
from bot.services import Services
from storage.engine import SessionFactory

_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


class MaskTokens(logging.Filter):
    """Slack tokens never reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub("xox…", record.msg)
        if record.args:
            record.args = tuple(
                _TOKEN.sub("xox…", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def make_client(settings: Settings) -> WebClient:
    """The Web API client every Slack call goes through; SLACK_API_URL sets its base URL.

    Only connection errors are retried here: 429s and server errors are the outbox's to
    retry, so a request handler never sleeps on Slack's Retry-After.
    """
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/"
    )
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


def build_services(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    clock: Clock,
    client: WebClient | None = None,
    channel_interval: float = 1.0,
    read_session_factory: SessionFactory | None = None,
) -> Services:
    client = client or make_client(settings)
    dispatcher = OutboxDispatcher(
        session_factory=session_factory,
        client=client,
        clock=clock,
        channel_interval=channel_interval,
        files=store_for(settings),
    )
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        client=client,
        dispatcher=dispatcher,
        read_session_factory=read_session_factory or session_factory,
    )


def create_app(services: Services, **bolt_kwargs: Any) -> App:
    from handlers import register_all

    options: dict[str, Any] = dict(
        client=services.client,
        signing_secret=services.settings.slack_signing_secret,
        # Listeners only read and write the database (Slack messages go through the outbox),
        # so they run before the HTTP response: no 10 ms ack polling, no lost work on a crash.
        process_before_response=True,
    )
    options.update(bolt_kwargs)
    app = App(**options)

    @app.middleware
    def inject_services(context, next):  # noqa: A002 (Bolt's name)
        context["services"] = services
        next()

    register_all(app)
    return app
