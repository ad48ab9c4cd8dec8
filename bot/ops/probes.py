"""The probes a container orchestrator and Prometheus call: GET /healthz (the process answers
and its database is reachable and migrated), GET /readyz (bot.ops.readiness) and GET /metrics.
The same routes serve HTTP mode (beside /slack/events) and Socket Mode (a small health port)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.clock import Clock, SystemClock
from bot.core.telemetry import metrics
from bot.ops.gauges import DatabaseGauges
from bot.ops.readiness import Readiness, readiness
from bot.ops.token import TokenCheck
from storage.engine import make_session_factory
from storage.migrate import is_migrated

log = logging.getLogger(__name__)
HEALTH_CHECK_SECONDS = 1.0
DEFAULT_OUTBOX_AGE = timedelta(minutes=5)


@dataclass
class Probes:
    engine: Engine
    ready: Callable[[], Readiness]
    metrics: Callable[[], bytes]

    @classmethod
    def for_engine(
        cls,
        engine: Engine,
        *,
        token: TokenCheck | None = None,
        clock: Clock | None = None,
        outbox_max_age: timedelta = DEFAULT_OUTBOX_AGE,
    ) -> Probes:
        sessions = make_session_factory(engine, readonly=True)
        now: Callable[[], datetime] = (clock or SystemClock()).now
        gauges = DatabaseGauges(sessions, now)
        return cls(
            engine=engine,
            ready=lambda: readiness(engine, sessions, token, now(), outbox_max_age=outbox_max_age),
            metrics=lambda: metrics.render([gauges]),
        )


def health_routes(probes: Probes) -> list[Route]:
    async def in_time(function: Callable, what: str):
        """`function` off the event loop, given up after a second: a database locked by
        another process would hold the probe for its whole busy timeout."""
        try:
            return await asyncio.wait_for(run_in_threadpool(function), HEALTH_CHECK_SECONDS)
        except TimeoutError:
            log.warning("%s: the database did not answer in %ss", what, HEALTH_CHECK_SECONDS)
            return None

    async def healthz(_: Request) -> Response:
        try:
            migrated = await in_time(lambda: is_migrated(probes.engine), "health check")
        except Exception as error:
            log.warning("health check: database unreachable: %s", error)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        if migrated is None:
            return JSONResponse({"ok": False, "database": "not answering"}, status_code=503)
        if not migrated:
            return JSONResponse({"ok": False, "database": "not migrated"}, status_code=503)
        return JSONResponse({"ok": True})

    async def readyz(_: Request) -> Response:
        try:
            result = await in_time(probes.ready, "readiness")
        except Exception as error:
            log.warning("readiness: database unreachable: %s", error)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        if result is None:
            return JSONResponse({"ok": False, "database": "not answering"}, status_code=503)
        return JSONResponse(result.as_json(), status_code=200 if result.ok else 503)

    async def metrics_page(_: Request) -> Response:
        body = await run_in_threadpool(probes.metrics)
        return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


def health_app(probes: Probes) -> Starlette:
    """Socket Mode's health port: the probes and nothing else."""
    return Starlette(routes=health_routes(probes))
