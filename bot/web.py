"""HTTP mode: Starlette in front of the Bolt app, dispatching off the event loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storage.migrate import is_migrated

log = logging.getLogger(__name__)


def create_web_app(
    app: App,
    engine: Engine,
    *,
    on_startup: Callable[[], None] | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> Starlette:
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Bolt's sync dispatch would block the event loop: every request would queue behind it.
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        try:
            migrated = await run_in_threadpool(is_migrated, engine)
        except Exception as error:
            log.warning("health check: database unreachable: %s", error)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        if not migrated:
            return JSONResponse({"ok": False, "database": "not migrated"}, status_code=503)
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(_: Starlette):
        if on_startup:
            on_startup()
        yield
        if on_shutdown:
            on_shutdown()

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
