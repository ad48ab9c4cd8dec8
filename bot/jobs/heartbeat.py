"""Workers say they are alive: each finished pass records when (WorkerHeartbeat), so readiness
and `deliverybot check` can tell whether anything runs the scheduled work and the outbox."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.core.clock import Clock
from storage.engine import SessionFactory
from storage.models import WorkerHeartbeat

log = logging.getLogger(__name__)
FRESH = timedelta(minutes=1)  # a worker seen longer ago than this is not running


def beat(session_factory: SessionFactory, holder: str, clock: Clock) -> None:
    now = clock.now()
    try:
        with session_factory() as session:
            row = session.get(WorkerHeartbeat, holder) or WorkerHeartbeat(
                holder=holder, seen_at=now
            )
            row.seen_at = now
            session.add(row)
            session.commit()
    except Exception as error:  # never stops the work it reports on
        log.warning("could not record the worker's heartbeat: %s", error)


def last_seen(session: Session) -> datetime | None:
    """When any worker last finished a pass (None: never)."""
    return session.exec(select(func.max(col(WorkerHeartbeat.seen_at)))).one()


def is_fresh(seen: datetime | None, now: datetime) -> bool:
    return seen is not None and now - seen < FRESH
