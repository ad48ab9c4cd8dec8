"""`deliverybot serve`: the bot over HTTP (uvicorn) or Socket Mode, with its background work."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import Engine

from bot.app import create_app
from bot.bootstrap import build_scheduler, build_services
from bot.core.clock import SystemClock
from bot.core.dates import warm_up
from bot.core.settings import Settings
from bot.jobs.scheduler import Scheduler
from bot.ops.probes import Probes, health_app
from bot.ops.token import TokenCheck
from bot.slack.services import Services
from bot.web import create_web_app
from bot.webaccept.routes import accept_routes
from storage.engine import make_engine, make_session_factory

log = logging.getLogger(__name__)


class Background:
    """The outbox dispatcher (and scheduled work) on threads of their own."""

    def __init__(self, services: Services, scheduler: Scheduler):
        self.services = services
        self.scheduler = scheduler
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, target in (
            ("outbox", self.services.dispatcher.run_forever),
            ("scheduler", self.scheduler.run_forever),
        ):
            thread = threading.Thread(
                target=target, args=(self.stop_event,), name=name, daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        self.services.dispatcher.wake.set()
        for thread in self.threads:
            thread.join(timeout=10)


def system_services(settings: Settings) -> tuple[Engine, Services]:
    """The configured database and Slack, on the system clock (`serve` and `worker`)."""
    engine = make_engine(settings.database_url)
    return engine, services_on(settings, engine)


def services_on(settings: Settings, engine: Engine) -> Services:
    return build_services(
        settings,
        session_factory=make_session_factory(engine),
        read_session_factory=make_session_factory(engine, readonly=True),
        clock=SystemClock(),
    )


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
    a threaded server's memory then grows with its thread count: two arenas serve Python
    (which allocates under the GIL anyway) as fast, in a fraction of the memory. Nothing
    happens on other C libraries."""
    import ctypes  # only here: a start-up tweak
    import ctypes.util  # with it

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(M_ARENA_MAX, arenas)
    except OSError:  # not glibc, or no libc to load
        return


M_ARENA_MAX = -8  # glibc's mallopt parameter


def run(
    settings: Settings,
    *,
    engine: Engine,
    host: str,
    port: int,
    with_worker: bool,
    health_port: int = 0,
) -> None:
    """Serve on a database already checked (and migrated) by the CLI. Slack is not asked
    anything before serving: the token is verified in the background (bot.ops.token) and
    /readyz says not ready until Slack accepted it."""
    fewer_malloc_arenas()
    services = services_on(settings, engine)
    # Bolt's own auth.test at start would kill serve when Slack is unreachable
    app = create_app(services, token_verification_enabled=False)
    warm_up(settings.date_languages)
    background = Background(services, build_scheduler(services))
    token = TokenCheck(services.client)
    probes = Probes.for_engine(
        engine,
        token=token,
        clock=services.clock,
        outbox_max_age=timedelta(seconds=settings.ready_outbox_age_seconds),
    )
    token.start(background.stop_event)
    if settings.slack_app_token:
        from bot.slack.inbound.socket_mode import CheckedSocketModeHandler  # the mode in use

        if with_worker:
            background.start()
        health = serve_health(probes, host, health_port) if health_port else None
        log.info("Starting in Socket Mode")
        try:
            CheckedSocketModeHandler(app, settings.slack_app_token).start()
        finally:
            background.stop()
            if health:
                health.should_exit = True
        return
    import uvicorn  # only the mode in use

    web = create_web_app(
        app,
        engine,
        probes=probes,
        on_startup=background.start if with_worker else None,
        on_shutdown=background.stop if with_worker else background.stop_event.set,
        routes=accept_routes(services),
    )
    # log_config=None: uvicorn's lines go through our handler (JSON, masked)
    uvicorn.run(web, host=host, port=port, log_level="info", log_config=None)


def serve_health(probes: Probes, host: str, port: int):
    """Socket Mode: /healthz, /readyz and /metrics on a small HTTP port of their own."""
    import uvicorn  # only the mode in use

    server = uvicorn.Server(
        uvicorn.Config(health_app(probes), host=host, port=port, log_config=None, lifespan="off")
    )
    threading.Thread(target=server.run, name="health", daemon=True).start()
    log.info("Health checks on http://%s:%d/readyz", host, port)
    return server
