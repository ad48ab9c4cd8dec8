"""What every accept-page response carries (a strict CSP, no caching, no referrer: the link is
a secret), and a rate limit per link."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable


def security_headers(style_hash: str) -> dict[str, str]:
    csp = (
        f"default-src 'none'; style-src '{style_hash}'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


class RateLimit:
    """At most `limit` requests per `window` seconds for one link (by its hash), in this process."""

    def __init__(
        self,
        limit: int = 30,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        most_links: int = 10_000,
    ):
        self.limit, self.window, self.clock, self.most_links = limit, window, clock, most_links
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, token: str) -> bool:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            if len(self._seen) >= self.most_links and key not in self._seen:
                self._forget_idle(now)
            hits = self._seen.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [
            k for k, hits in self._seen.items() if not hits or now - hits[-1] >= self.window
        ]:
            del self._seen[key]
        if len(self._seen) >= self.most_links:  # all busy: drop the oldest half
            for key in list(self._seen)[: self.most_links // 2]:
                del self._seen[key]
