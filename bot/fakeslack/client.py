"""A small HTTP client on the standard library, for the driver (the demo runs without the test
extra, so nothing here may need httpx)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message as Headers
from typing import Any


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
        # no proxies from the environment: the app is on the loopback interface
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

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
        request = urllib.request.Request(url, data=content, headers=headers or {}, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:  # 4xx and 5xx are answers too
            with error:
                return Reply(error.code, error.read(), error.headers)

    def close(self) -> None:
        """Nothing is kept open between requests."""
