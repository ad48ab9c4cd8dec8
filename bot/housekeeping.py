"""Daily clean-up of what is kept only for a while (never evidence: audit events, deliveries,
proof and appeals are kept for good)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from bot import scheduler
from bot.scheduler import JobRun
from storage.models import ProcessedEvent

PURGE_EVENTS = "purge_events"
PURGE_HOUR_UTC = 3
# Slack retries an event within minutes; a week covers any replay worth catching.
KEEP_EVENT_IDS = timedelta(days=7)


@scheduler.recurring
def seed_purge(session: Session, now: datetime) -> None:
    day = now.astimezone(UTC).date()
    if now.astimezone(UTC).time() >= time(PURGE_HOUR_UTC):
        day += timedelta(days=1)
    due = datetime.combine(day, time(PURGE_HOUR_UTC), tzinfo=UTC)
    scheduler.schedule(session, key=f"purge-events:{due:%Y-%m-%d}", kind=PURGE_EVENTS, due_at=due)


@scheduler.handles(PURGE_EVENTS)
def purge_processed_events(run: JobRun) -> None:
    """Forget Events API ids older than KEEP_EVENT_IDS (the dedupe table would grow forever)."""
    run.session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < run.now - KEEP_EVENT_IDS)
    )
    seed_purge(run.session, run.now)
