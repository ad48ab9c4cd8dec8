"""The whole bot in one process against a fake Slack: the demo and the end-to-end tests.

    with Sandbox(database_url, clock=clock) as box:
        seller = box.person("USELLER")
        seller.runs("/deliver 12345")

The app is served over real HTTP (uvicorn on a free loopback port) and receives signed
requests; after each request the outbox is drained so what people see is settled.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.app import create_app
from bot.bootstrap import build_services
from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.evidence.signing import new_private_key
from bot.fakeslack.driver import Person, SlackDriver
from bot.fakeslack.server import FakeSlack
from bot.ops.probes import Probes
from bot.web import create_web_app
from bot.webaccept.routes import accept_routes
from storage.engine import make_engine, make_session_factory

SIGNING_SECRET = "sandbox-signing-secret"


class LoopbackServer:
    """uvicorn on a free loopback port, serving whichever ASGI app is its `target`.

    Starting uvicorn costs about half a second, so a test session starts one and every
    sandbox points it at its own app.
    """

    def __init__(self) -> None:
        self.target: ASGIApp | None = None
        config = uvicorn.Config(self, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None, "no sandbox is using the server"
        await self.target(scope, receive, send)

    def start(self) -> LoopbackServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox web server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)


class Sandbox:
    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock,
        files_dir: Path,
        engine: Engine | None = None,
        ops_channel: str = "COPS",
        server: LoopbackServer | None = None,
        **settings_overrides: Any,
    ):
        self.database_url = database_url
        self._own_server = server is None
        self.loopback = server
        self.clock = clock
        self.files_dir = files_dir
        self.engine = engine
        self.ops_channel = ops_channel
        # evidence packs are signed with a key made for this sandbox
        settings_overrides.setdefault("DELIVERYBOT_EVIDENCE_KEY", new_private_key()[0])
        self.settings_overrides = settings_overrides
        self.slack = FakeSlack()

    def __enter__(self) -> Sandbox:
        self.slack.start()
        if self.loopback is None:
            self.loopback = LoopbackServer().start()
        self.url = self.loopback.url
        self.settings = Settings(
            _env_file=None,
            SLACK_BOT_TOKEN=self.slack.token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.slack.api_url,
            DATABASE_URL=self.database_url,
            DELIVERYBOT_OPS_CHANNEL=self.ops_channel,
            DELIVERYBOT_FILES_DIR=str(self.files_dir),
            # a clock that stands still (no rate), and Slack's calls in one order (one at a time)
            **{
                "PUBLIC_URL": self.url,
                "DELIVERYBOT_OUTBOX_RATE": 0,
                "DELIVERYBOT_JOB_WORKERS": 1,
                **self.settings_overrides,
            },
        )
        self.engine = self.engine or make_engine(self.database_url)
        self.session_factory = make_session_factory(self.engine)
        self.services = build_services(
            self.settings,
            session_factory=self.session_factory,
            read_session_factory=make_session_factory(self.engine, readonly=True),
            clock=self.clock,
            channel_interval=0,
            outbox_workers=1,
        )
        self.app = create_app(self.services)
        probes = Probes.for_engine(self.engine, clock=self.clock)
        self.loopback_target = create_web_app(
            self.app, self.engine, probes=probes, routes=accept_routes(self.services)
        )
        self.loopback.target = self.loopback_target
        self.driver = SlackDriver(
            app_url=self.url, signing_secret=SIGNING_SECRET, slack=self.slack, settle=self.settle
        )
        return self

    def settle(self) -> int:
        """Send everything the outbox holds that is due (as the dispatcher thread would)."""
        return self.services.dispatcher.drain()

    def person(self, user_id: str) -> Person:
        return self.driver.person(user_id)

    def __exit__(self, *exc: object) -> None:
        if self._own_server and self.loopback is not None:
            self.loopback.stop()
        self.driver.http.close()
        self.slack.stop()
