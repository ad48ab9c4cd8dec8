"""The operator's view of the outbox and the scheduled jobs: counts, the oldest unsent
message, failures, and putting a failed one back (retry) or setting it aside (discard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from storage.models import JobStatus, OutboxMessage, OutboxStatus, ScheduledJob

LATE = timedelta(minutes=5)  # a job due longer ago than this and not run is late


@dataclass(frozen=True)
class OutboxSummary:
    by_status: dict[str, int]
    due: int  # pending and due now
    oldest_due_at: datetime | None  # the longest-waiting unsent message

    def oldest_age(self, now: datetime) -> timedelta | None:
        return now - self.oldest_due_at if self.oldest_due_at else None


@dataclass(frozen=True)
class JobsSummary:
    by_status: dict[str, int]
    due: int
    late: int  # due more than LATE ago and not run


def outbox_summary(session: Session, now: datetime) -> OutboxSummary:
    counts = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    ).all()
    pending_due = (col(OutboxMessage.status) == OutboxStatus.PENDING) & (
        col(OutboxMessage.due_at) <= now
    )
    due, oldest = session.exec(
        select(func.count(), func.min(col(OutboxMessage.due_at))).where(pending_due)
    ).one()
    return OutboxSummary({str(s): n for s, n in counts}, due, oldest)


def jobs_summary(session: Session, now: datetime) -> JobsSummary:
    counts = session.exec(
        select(ScheduledJob.status, func.count()).group_by(col(ScheduledJob.status))
    ).all()
    pending = col(ScheduledJob.status) == JobStatus.PENDING
    due = session.exec(select(func.count()).where(pending, col(ScheduledJob.due_at) <= now)).one()
    late = session.exec(
        select(func.count()).where(pending, col(ScheduledJob.due_at) <= now - LATE)
    ).one()
    return JobsSummary({str(s): n for s, n in counts}, due, late)


def failed_messages(session: Session, limit: int = 100) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.FAILED)
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def failed_jobs(session: Session, limit: int = 100) -> list[ScheduledJob]:
    query = (
        select(ScheduledJob)
        .where(col(ScheduledJob.status) == JobStatus.FAILED)
        .order_by(col(ScheduledJob.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


class NotRetryable(Exception):
    """The message or job is not failed (or does not exist): the text says what it is."""


def retry_message(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """A failed message back in the queue, due now, with fresh attempts: the dispatcher sends
    it once (a compare-and-set, so two operators retrying at once queue it once)."""
    message = _failed(session, OutboxMessage, message_id, OutboxStatus.FAILED, "message")
    due_at = min(message.due_at, now)  # due at once, whichever clock the dispatcher keeps
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.status) == OutboxStatus.FAILED,
        )
        .values(status=OutboxStatus.PENDING, attempts=0, due_at=due_at, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return _reread(session, OutboxMessage, message_id)


def discard_message(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """A failed message set aside for good (superseded: kept, never sent)."""
    message = _failed(session, OutboxMessage, message_id, OutboxStatus.FAILED, "message")
    message.status = OutboxStatus.SUPERSEDED
    message.last_error = f"discarded by an operator at {now.isoformat()}; was: {message.last_error}"
    session.add(message)
    return message


def retry_job(session: Session, job_id: int, now: datetime) -> ScheduledJob:
    job = _failed(session, ScheduledJob, job_id, JobStatus.FAILED, "job")
    due_at = min(job.due_at, now)
    job.status, job.attempts, job.due_at, job.done_at = JobStatus.PENDING, 0, due_at, None
    session.add(job)
    return job


def _failed(session: Session, model, row_id: int, failed, what: str):
    row = session.get(model, row_id)
    if row is None:
        raise NotRetryable(f"There is no {what} {row_id}.")
    if row.status != failed:
        raise NotRetryable(
            f"{what.capitalize()} {row_id} is {row.status}, not failed: left as it is."
        )
    return row


def _reread(session: Session, model, row_id: int):
    row = session.get(model, row_id)
    session.refresh(row)
    return row
