"""Requests answered one at a time, in arrival order, each giving its turn up while it waits
on Slack.

On SQLite every database call drops and retakes the GIL, so request threads running side by
side mostly fight over it: one at a time answers more and sooner. A request that waits on
Slack (a modal opening, users.info, a reply through response_url, a file download) would then
hold up every other, so it lets the next one run meanwhile (`waiting`: the Web API client and
`respond` made here do, and bot.slack.downloads; bot.app gives them to every listener, in
place of Bolt's `client`, `say` and `respond`) and takes a turn again, behind those already
queued. A request with a write transaction open keeps its turn: the next one would wait for
its write lock, and it for them.
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
    def waiting(self, *, back_first: bool = False) -> Iterator[None]:
        """Around a blocking wait: the turn goes to the next request, if this thread holds one.
        It comes back behind those queued meanwhile, or (`back_first`: a wait for SQLite's write
        lock, which writers outside the turns need too once it has it) ahead of them."""
        if not getattr(self._holder, "held", False) or writing_here():
            yield
            return
        self._give()
        try:
            yield
        finally:
            self._take(first=back_first)

    def _take(self, *, first: bool = False) -> None:
        with self._guard:
            if self._taken or self._queue:
                handed = threading.Lock()
                handed.acquire()
                if first:
                    self._queue.appendleft(handed)
                else:
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


# every request thread of the process (bot.web, on SQLite), and the calls to Slack below
REQUESTS = Turns()


class TurnYieldingWebClient(WebClient):
    """The Web API client (bot.bootstrap): its caller's turn goes to the next while it waits."""

    def api_call(self, *args: Any, **kwargs: Any) -> Any:
        with REQUESTS.waiting():
            return super().api_call(*args, **kwargs)


class TurnYieldingRespond(Respond):
    """Bolt's `respond` (bot.app puts it in each request's context): the same, for replies
    through a response_url."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with REQUESTS.waiting():
            return super().__call__(*args, **kwargs)
