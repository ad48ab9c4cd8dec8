"""The operations channel's daily digest: what failed for good since the last one (messages
that never reached someone, jobs that ran out of attempts) and the appeals past their
deadline, so nothing fails silently. Posted at 08:00 UTC on working days, only when there is
something to report, to DELIVERYBOT_OPS_CHANNEL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, col, func, select

from bot.core.working_hours import WORKING_DAYS
from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.slack import outbox
from storage.models import (
    Appeal,
    AppealState,
    JobStatus,
    Order,
    OutboxMessage,
    OutboxStatus,
    ScheduledJob,
)

OPS_DIGEST = "ops_digest"
AT = time(8)  # UTC
SHOWN = 20  # lines of each kind; the commands list them all
WHAT = {
    "customer_delivery": "the delivery to the customer",
    "customer_files": "the proof files to the customer",
    "reminder": "a reminder to the customer",
    "appeal": "an appeal case to this channel",
    "digest": "a seller's digest",
    OPS_DIGEST: "the operations digest",
}


def next_morning(now: datetime) -> datetime:
    day = now.astimezone(UTC).date()
    while True:
        due = datetime.combine(day, AT, tzinfo=UTC)
        if due > now and due.weekday() in WORKING_DAYS:
            return due
        day += timedelta(days=1)


def seed_ops_digest(session: Session, now: datetime) -> None:
    due = next_morning(now)
    scheduler.schedule(
        session,
        key=f"ops_digest:{due:%Y-%m-%d}",
        kind=OPS_DIGEST,
        due_at=due,
        data={"since": now.isoformat()},
    )


def send_ops_digest(run: JobRun) -> None:
    session, now = run.session, run.now
    channel = run.services.settings.ops_channel
    since = datetime.fromisoformat(
        run.job.data.get("since") or (now - timedelta(days=1)).isoformat()
    )
    lines = _failed_messages(session, since) + _failed_jobs(session, since)
    overdue = session.exec(
        select(func.count()).where(
            col(Appeal.state) == AppealState.OPEN, col(Appeal.flagged_overdue_at).is_not(None)
        )
    ).one()
    if channel and (lines or overdue):
        text = build_ops_digest(lines, overdue)
        outbox.enqueue(
            session,
            key=f"ops_digest:{now:%Y-%m-%d}",
            method="chat.postMessage",
            payload={"channel": channel, "text": text},
            now=now,
            meta={"purpose": OPS_DIGEST},
        )
    seed_ops_digest(session, now)


def build_ops_digest(lines: list[str], overdue_appeals: int) -> str:
    parts = [":clipboard: *Operations digest*: what failed for good since the last one."]
    parts += [f"• {line}" for line in lines]
    if overdue_appeals:
        parts.append(f"• {overdue_appeals} appeal(s) waiting past their 3 working days.")
    if lines:
        parts.append(
            "On the server, `deliverybot outbox list --failed` and `deliverybot jobs list "
            "--failed` show them all; `retry ID` tries one again once the cause is fixed."
        )
    return "\n".join(parts)


def _failed_messages(session: Session, since: datetime) -> list[str]:
    query = (
        select(OutboxMessage, Order.order_no)
        .join(Order, col(Order.id) == OutboxMessage.order_id, isouter=True)
        .where(col(OutboxMessage.status) == OutboxStatus.FAILED)
        .where(col(OutboxMessage.created_at) >= since)
        .order_by(col(OutboxMessage.id))
        .limit(SHOWN)
    )
    lines = []
    for message, order_no in session.exec(query).all():
        purpose = str(message.meta.get("purpose") or message.method)
        about = f"order {order_no}: " if order_no else ""
        lines.append(
            f"{about}{WHAT.get(purpose, purpose)} was not sent ({message.last_error}); "
            f"message {message.id}"
        )
    return lines


def _failed_jobs(session: Session, since: datetime) -> list[str]:
    query = (
        select(ScheduledJob, Order.order_no)
        .join(Order, col(Order.id) == ScheduledJob.order_id, isouter=True)
        .where(col(ScheduledJob.status) == JobStatus.FAILED)
        .where(col(ScheduledJob.done_at) >= since)
        .order_by(col(ScheduledJob.id))
        .limit(SHOWN)
    )
    return [
        f"{f'order {order_no}: ' if order_no else ''}the {job.kind} job failed "
        f"{job.attempts} times ({job.last_error}); job {job.id}"
        for job, order_no in session.exec(query).all()
    ]
