"""Daily clean-up of what is kept only for a while (never evidence: audit events, deliveries,
proof and appeals are kept for good)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.supervision.digest import DIGEST
from storage.models import JobStatus, ProcessedEvent, ScheduledJob

PURGE_EVENTS = "purge_events"
PURGE_HOUR_UTC = 3
# Slack retries an event within minutes; a week covers any replay worth catching.
KEEP_EVENT_IDS = timedelta(days=7)


def seed_purge(session: Session, now: datetime) -> None:
    day = now.astimezone(UTC).date()
    if now.astimezone(UTC).time() >= time(PURGE_HOUR_UTC):
        day += timedelta(days=1)
    due = datetime.combine(day, time(PURGE_HOUR_UTC), tzinfo=UTC)
    scheduler.schedule(session, key=f"purge-events:{due:%Y-%m-%d}", kind=PURGE_EVENTS, due_at=due)


def purge(run: JobRun) -> None:
    """Forget Events API ids older than KEEP_EVENT_IDS, and the finished runs of recurring jobs
    (the hourly digest, this clean-up), so neither table grows forever."""
    before = run.now - KEEP_EVENT_IDS
    run.session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < before))
    run.session.execute(
        delete(ScheduledJob)
        .where(
            col(ScheduledJob.kind).in_((DIGEST, PURGE_EVENTS)),
            col(ScheduledJob.status) == JobStatus.DONE,
        )
        .where(col(ScheduledJob.done_at) < before)
    )
    seed_purge(run.session, run.now)
