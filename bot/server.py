"""`deliverybot serve`: the bot over HTTP (uvicorn) or Socket Mode, with its background work."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from bot.app import create_app
from bot.bootstrap import build_scheduler, build_services
from bot.core.clock import SystemClock
from bot.core.dates import warm_up
from bot.core.settings import Settings
from bot.jobs.scheduler import Scheduler
from bot.slack.services import Services
from bot.web import create_web_app
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade

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
    services = build_services(
        settings,
        session_factory=make_session_factory(engine),
        read_session_factory=make_session_factory(engine, readonly=True),
        clock=SystemClock(),
    )
    return engine, services


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


def run(settings: Settings, *, host: str, port: int, migrate: bool, with_worker: bool) -> None:
    fewer_malloc_arenas()
    engine, services = system_services(settings)
    if migrate:
        upgrade(engine)
    app = create_app(services)
    warm_up()
    background = Background(services, build_scheduler(services))
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler  # only the mode in use

        if with_worker:
            background.start()
        log.info("Starting in Socket Mode")
        try:
            SocketModeHandler(app, settings.slack_app_token).start()
        finally:
            background.stop()
        return
    import uvicorn  # only the mode in use

    web = create_web_app(
        app,
        engine,
        on_startup=background.start if with_worker else None,
        on_shutdown=background.stop if with_worker else None,
    )
    uvicorn.run(web, host=host, port=port, log_level="info")
