"""`deliverybot worker`: the scheduled work and the outbox, without the web server."""

from __future__ import annotations

import logging
import signal
import threading

import typer

from bot.bootstrap import build_scheduler
from bot.core.settings import Settings
from bot.jobs import heartbeat
from bot.jobs.scheduler import Scheduler
from bot.server import system_services
from bot.slack.services import Services

log = logging.getLogger(__name__)


def run_once(services: Services, scheduler: Scheduler) -> int:
    """Everything due now: the jobs, then every message they (or anything else) queued."""
    result = scheduler.run_due()
    heartbeat.beat(services.session_factory, scheduler.holder, services.clock)
    if result.held_by:
        typer.echo(f"Another worker ({result.held_by}) holds the scheduled work; not running it.")
        return 1
    sent = services.dispatcher.drain()
    done = ", ".join(f"{count} {kind}" for kind, count in sorted(result.kinds.items())) or "none"
    typer.echo(
        f"Jobs run: {done}; deferred: {result.deferred}; failed: {result.failed}; "
        f"messages sent: {sent}."
    )
    return 0


def run_worker(settings: Settings, *, once: bool, interval: float) -> int:
    _, services = system_services(settings)
    scheduler = build_scheduler(services)
    if once:
        try:
            return run_once(services, scheduler)
        finally:
            scheduler.release()
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        stop.set()
        services.dispatcher.wake.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    outbox = threading.Thread(target=services.dispatcher.run_forever, args=(stop,), daemon=True)
    outbox.start()
    log.info("worker %s running (every %ss)", scheduler.holder, interval)
    scheduler.run_forever(stop, interval=interval)
    outbox.join(timeout=10)
    return 0
