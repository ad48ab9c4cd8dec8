"""Claiming due jobs in batches, and recording a failed run (bot.jobs.scheduler runs them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.core.retry import backoff
from storage.engine import SessionFactory
from storage.models import JobStatus, ScheduledJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=2)
# a batch's claim: a worker that dies leaves its jobs to others after this
CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Claimed:
    job_id: int
    lease: datetime  # the claim's end; running it checks the claim is still this one
    order_id: int | None
    kind: str = ""


def claim_due(
    session_factory: SessionFactory, now: datetime, batch: int, postgres: bool
) -> list[Claimed]:
    """Take up to `batch` due jobs, oldest first, in one short transaction.
    The scan follows ix_job_due (status, due_at, id), so it reads just the batch however many
    jobs are stored or due at the same instant. Other workers skip the rows being claimed
    (FOR UPDATE SKIP LOCKED on PostgreSQL) and every job claimed until later."""
    claimed_until = col(ScheduledJob.claimed_until)
    with session_factory() as session:
        query = (
            select(col(ScheduledJob.id), col(ScheduledJob.order_id), col(ScheduledJob.kind))
            .where(
                col(ScheduledJob.status) == JobStatus.PENDING,
                col(ScheduledJob.due_at) <= now,
                or_(claimed_until.is_(None), claimed_until <= now),
            )
            .order_by(col(ScheduledJob.due_at), col(ScheduledJob.id))
            .limit(batch)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows = [(job_id, order, kind) for job_id, order, kind in session.exec(query) if job_id]
        ids = [job_id for job_id, _, _ in rows]
        lease = now + CLAIM
        if ids:
            session.execute(
                update(ScheduledJob)
                .where(col(ScheduledJob.id).in_(ids))
                .values(claimed_until=lease)
                .execution_options(synchronize_session=False)
            )
        session.commit()
    return [Claimed(job_id, lease, order_id, kind) for job_id, order_id, kind in rows]


def record_failure(
    session_factory: SessionFactory, job_id: int, error: Exception, now: datetime
) -> None:
    """A failed run: tried again after a growing wait, given up after MAX_ATTEMPTS."""
    with session_factory() as session:
        job = session.get(ScheduledJob, job_id)
        if job is None or job.status is not JobStatus.PENDING:
            return
        job.attempts += 1
        job.claimed_until = None
        job.last_error = f"{type(error).__name__}: {error}"[:500]
        if job.attempts >= MAX_ATTEMPTS:  # its own state: not a business cancellation
            job.status = JobStatus.FAILED
            job.done_at = now
            log.error(
                "job %s (%s) failed for good: %s",
                job_id,
                job.kind,
                job.last_error,
                extra={"job_id": job_id},
            )
        else:
            job.due_at = now + backoff(job.attempts, first=FIRST_RETRY)
        session.add(job)
        session.commit()
