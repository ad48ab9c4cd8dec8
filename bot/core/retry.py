"""How long to wait before trying again: doubling from a first wait, up to a cap."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempt: int, *, first: timedelta, cap: timedelta | None = None) -> timedelta:
    """The wait after failed attempt number `attempt` (1 for the first failure)."""
    wait = first * 2 ** (attempt - 1)
    return min(wait, cap) if cap is not None else wait
