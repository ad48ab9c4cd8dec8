"""A small HTTP client on the standard library, for the driver (the demo runs without the test
extra, so nothing here may need httpx)."""

from __future__ import annotations

import contextlib
import http.client
import json
from dataclasses import dataclass, field
from email.message import Message as Headers
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    """What the app answered: status, headers (case-insensitive), body."""

    status_code: int
    content: bytes
    headers: Headers = field(default_factory=Headers)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class HttpClient:
    def __init__(self, timeout: float = 30):
        self.timeout = timeout

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Reply:
        return self.request("POST", url, content=content, headers=headers)

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", url, headers=headers)

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout
        )
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            # answered before the body was read (413): the answer is still there to read
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, path or "/", body=content, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.read(), response.headers)
        finally:
            connection.close()

    def close(self) -> None:
        """Nothing is kept open between requests."""
