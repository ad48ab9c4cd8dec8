"""Requests answered one at a time, in arrival order, each giving its turn up while it waits.

On SQLite every database call drops and retakes the GIL, so request threads running side by
side mostly fight over it: one at a time answers more and sooner. A request that waits on
Slack (a modal opening, users.info) would then hold up every other, so it lets the next one
run meanwhile (`waiting`) and takes a turn again, behind those already queued. This leans on
the rule bot.slack.directory states: Slack is never asked with a write transaction open (the
next turn, waiting for the database's write lock, would wait for us, and we for it).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class Turns:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._taken = False
        self._holder = threading.local()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block (first come, first served)."""
        self._take()
        try:
            yield
        finally:
            self._give()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a blocking wait: the turn goes to the next request, if this thread holds one."""
        if not getattr(self._holder, "held", False):
            yield
            return
        self._give()
        try:
            yield
        finally:
            self._take()

    def _take(self) -> None:
        with self._guard:
            if self._taken or self._queue:
                handed = threading.Lock()
                handed.acquire()
                self._queue.append(handed)
            else:
                self._taken, handed = True, None
        if handed:
            handed.acquire()  # released by _give, which leaves the turn taken: it passes to us
        self._holder.held = True

    def _give(self) -> None:
        self._holder.held = False
        with self._guard:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._taken = False


# every request thread of the process (bot.web, on SQLite) and the Web API client (bot.bootstrap)
REQUESTS = Turns()
