"""SQLite: one worker runs the scheduled work at a time, holding a lease row (WorkerLease) that
it renews while it works; another worker is told who holds it. (PostgreSQL needs none: jobs
are claimed with FOR UPDATE SKIP LOCKED.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.engine import SessionFactory
from storage.models import WorkerLease

LEASE_NAME = "scheduler"


def take(
    session_factory: SessionFactory, *, holder: str, now: datetime, seconds: float
) -> str | None:
    """Take or renew the lease. Returns the other holder when someone else has it."""
    with session_factory() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease and lease.holder != holder and lease.expires_at > now:
            return lease.holder
        lease = lease or WorkerLease(name=LEASE_NAME, holder=holder, expires_at=now)
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=seconds)
        session.add(lease)
        session.commit()
    return None


def give_back(session_factory: SessionFactory, *, holder: str) -> None:
    with session_factory() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease and lease.holder == holder:
            session.delete(lease)
            session.commit()
