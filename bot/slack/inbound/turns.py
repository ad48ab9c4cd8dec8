"""Requests answered a few at a time (one at a time on SQLite), in arrival order, each giving
its turn up while it waits on Slack.

Request threads running side by side mostly fight over the GIL; on SQLite, whose every call
drops and retakes it, one at a time answers more and sooner. A request that waits on Slack (a
modal opening, users.info, a reply through response_url, a file download) would then hold up
the others, so it lets the next one run meanwhile (`waiting`: the Web API client and `respond`
made here do, and bot.slack.downloads; bot.app gives them to every listener, in place of
Bolt's `client`, `say` and `respond`) and takes a turn again, behind those already queued. A
request with a write transaction open keeps its turn: the next ones could be waiting for its
locks (SQLite's write lock, PostgreSQL's row locks), and it would wait for them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from storage.engine import writing_here


class Turns:
    """At most `at_once` requests running, the others queued in arrival order."""

    def __init__(self, at_once: int = 1) -> None:
        self.at_once = at_once
        self._guard = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._running = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block (first come, first served)."""
        self._take()
        try:
            yield
        finally:
            self._give()

    def _take(self, *, first: bool = False) -> None:
        with self._guard:
            if self._running >= self.at_once or self._queue:
                handed = threading.Lock()
                handed.acquire()
                if first:
                    self._queue.appendleft(handed)
                else:
                    self._queue.append(handed)
            else:
                self._running, handed = self._running + 1, None
        if handed:
            handed.acquire()  # released by _give, which passes its place on to us
        _holding.turns = self

    def _give(self) -> None:
        _holding.turns = None
        with self._guard:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._running -= 1


_holding = threading.local()  # .turns: the Turns this thread holds a turn of, if any


@contextmanager
def waiting(*, back_first: bool = False) -> Iterator[None]:
    """Around a blocking wait: the thread's turn, if it holds one, goes to the next request.
    It comes back behind those queued meanwhile, or (`back_first`: a wait for SQLite's write
    lock, which writers outside the turns need too once it has it) ahead of them."""
    turns = getattr(_holding, "turns", None)
    if turns is None or writing_here():
        yield
        return
    turns._give()
    try:
        yield
    finally:
        turns._take(first=back_first)


# the request threads' turns, by database (bot.web). On SQLite one at a time; on PostgreSQL,
# whose round trips leave the GIL to others, four: 16 concurrent starts ran 170-230/s at p99
# 100-140 ms, against 150-175/s at p99 170-220 ms with twelve at once.
REQUESTS = {"sqlite": Turns(at_once=1), "postgresql": Turns(at_once=4)}


class TurnYieldingWebClient(WebClient):
    """The Web API client (bot.bootstrap): its caller's turn goes to the next while it waits."""

    def api_call(self, *args: Any, **kwargs: Any) -> Any:
        with waiting():
            return super().api_call(*args, **kwargs)


class TurnYieldingRespond(Respond):
    """Bolt's `respond` (bot.app puts it in each request's context): the same, for replies
    through a response_url."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with waiting():
            return super().__call__(*args, **kwargs)
