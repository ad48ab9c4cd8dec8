"""A fake Slack Web API over real HTTP: it records every call and keeps users, DMs, messages,
views and files the way Slack would, so tests and the demo can read what each person sees.

Only what deliverybot uses is implemented; anything else answers `unknown_method`.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

from bot.fakeslack.http import handler_for
from bot.fakeslack.methods import WebApi


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many concurrent senders (the default backlog of 5 resets them)
    daemon_threads = True


class FakeSlack(WebApi):
    """Start with `with FakeSlack() as slack:`; `slack.api_url` goes to SLACK_API_URL."""

    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeSlack:
        self._server = _Server(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        return self

    def stop(self) -> None:
        self.socket_mode.close()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"
