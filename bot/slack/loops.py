"""What the background loops (the outbox dispatcher, the scheduler) share: a run of failing
passes is logged once, not once a pass. A database that cannot be reached gets one line with
no traceback (an outage of minutes is one line, not a traceback every second); any other
error gets its traceback, once. When a pass works again, one line says for how long it did not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def database_unreachable(error: BaseException) -> bool:
    """The database did not answer (refused, dropped, locked, timed out), as opposed to a bug
    or a constraint saying no."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def one_line(error: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends the SQL and a link)."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"


class FailureLog:
    """Logs the failures of one loop's passes: the first of a run, and the run's end."""

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        *,
        retry_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.name = name
        self.log = log
        self.retry_seconds = retry_seconds
        self.monotonic = monotonic
        self.failing_since: float | None = None
        self.kind: str | None = None  # what the current run of failures is
        self.passes = 0

    def failed(self, error: Exception) -> None:
        kind = "database" if database_unreachable(error) else type(error).__name__
        if self.failing_since is None:
            self.failing_since = self.monotonic()
        self.passes += 1
        if kind == self.kind:
            return
        self.kind = kind
        if kind == "database":
            self.log.warning(
                "%s: the database cannot be reached (%s); trying again every %g s",
                self.name,
                one_line(error),
                self.retry_seconds,
            )
        else:
            self.log.error(
                "%s pass failed; trying again every %g s",
                self.name,
                self.retry_seconds,
                exc_info=error,
            )

    def passed(self) -> None:
        if self.failing_since is None:
            return
        self.log.info(
            "%s: working again after %d failed passes (%.0f s)",
            self.name,
            self.passes,
            self.monotonic() - self.failing_since,
        )
        self.failing_since, self.kind, self.passes = None, None, 0
