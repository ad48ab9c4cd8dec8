"""HTTP mode: Starlette in front of the Bolt app, dispatching off the event loop.

Before Bolt sees a request to /slack/events it is read up to the size limit (413 beyond it,
without reading the rest), its signature is checked (401; a timestamp that is not a number
is just unsigned), and its body must be a payload Bolt can route (400, one warning line).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.telemetry import metrics
from bot.core.telemetry.logs import log_context
from bot.ops.probes import Probes, health_routes
from bot.slack.inbound import turns as turns_of
from bot.slack.inbound.requests import (
    Malformed,
    SlackApp,
    check_signed,
    outcome_of,
    read_envelope,
    surface_of,
    user_of,
)
from storage.engine import yield_while_blocked

log = logging.getLogger(__name__)


# requests checked and dispatched at once (within the database pool's 15), of which a few run
# at a time (bot.slack.inbound.turns); the rest of the threads are for requests waiting on
# Slack, which give their turn up meanwhile
DISPATCH_THREADS = 12
_pool: ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


def _dispatchers() -> ThreadPoolExecutor:
    """The process's request threads, made on first use (one pool for every app served)."""
    global _pool
    with _pool_guard:
        if _pool is None:
            _pool = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="slack-request")
        return _pool


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; TooLarge as soon as it (or its Content-Length) passes
    `limit` bytes, the rest left unread."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"Content-Length {declared}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"more than {limit} bytes sent")
        chunks.append(chunk)
    return b"".join(chunks)


def create_web_app(
    app: SlackApp,
    engine: Engine,
    *,
    probes: Probes | None = None,
    on_startup: Callable[[], None] | None = None,
    on_shutdown: Callable[[], None] | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """`routes` are further pages (the accept page, bot.webaccept)."""
    probes = probes or Probes.for_engine(engine)
    turns = turns_of.REQUESTS[engine.dialect.name].turn
    # a request waiting for SQLite's write lock lets the others run meanwhile
    yield_while_blocked(engine, partial(turns_of.waiting, back_first=True))

    def answer_in_turn(raw: bytes, headers: Headers, query: str) -> tuple[BoltResponse, str]:
        with turns():
            return answer(raw, headers, query)

    def answer(raw: bytes, headers: Headers, query: str) -> tuple[BoltResponse, str]:
        if not check_signed(
            app.signing_secret,
            raw,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
        ):
            return BoltResponse(status=401, body={"error": "invalid request"}), "unknown"
        try:
            body = read_envelope(raw, headers.get("content-type"))
        except Malformed as error:
            log.warning("Ignored a malformed request from Slack, nothing changed: %s", error)
            return BoltResponse(status=400, body=""), "unknown"
        surface = surface_of(body)
        bolt_request = BoltRequest(
            body=raw.decode("utf-8"),
            query=query,
            # Bolt's own headers (x-slack-bolt-lazy-only, …) are for Bolt talking to itself
            headers={k: v for k, v in headers.items() if not k.startswith("x-slack-bolt-")},
        )
        with log_context(request_id=uuid.uuid4().hex[:12], surface=surface, user=user_of(body)):
            return app.dispatch(bolt_request), surface

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        try:
            raw = await read_body(request, app.max_request_bytes)
        except TooLarge as error:
            log.warning("Refused a request over %d bytes: %s", app.max_request_bytes, error)
            metrics.SLACK_REQUESTS.labels("unknown", "too_large").inc()
            return Response(status_code=413)
        # Checking and dispatching off the event loop: every request would queue behind them.
        # A pool of our own, not Starlette's: its hand-over through a Python Condition was a
        # tenth of the process's time under load.
        bolt_response, surface = await asyncio.get_running_loop().run_in_executor(
            _dispatchers(), answer_in_turn, raw, request.headers, request.url.query
        )
        metrics.SLACK_REQUESTS.labels(surface, outcome_of(bolt_response.status)).inc()
        if surface != "unknown":
            metrics.ACK_SECONDS.labels(surface).observe(time.perf_counter() - started)
        return to_starlette_response(bolt_response)

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
            *health_routes(probes),
            *routes,
        ],
        lifespan=lifespan,
    )
