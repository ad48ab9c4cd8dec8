"""The operator's commands over the outbox and the scheduled jobs, on the box's database: a
failed message re-sent exactly once, a job that kept failing in its own FAILED state."""

from __future__ import annotations

import json

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.jobs.claims import MAX_ATTEMPTS
from bot.jobs.scheduler import JobKind, Scheduler, schedule
from bot.slack.outbox import enqueue
from storage.models import JobStatus, OutboxMessage, OutboxStatus, ScheduledJob
from tests.factories import SELLER


def deliverybot(box, *args: str):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": box.database_url})


def stored(session, model, key: str):
    """The row as stored now, the session's transaction closed again (on SQLite an open one
    would hold the write lock the command needs)."""
    query = select(model).where(model.key == key).execution_options(populate_existing=True)
    row = session.exec(query).one()
    session.commit()
    return row


def test_outbox_retry_sends_a_failed_message_again_exactly_once(box, session, clock):
    channel = box.slack.dm_channel(SELLER)
    enqueue(
        session,
        key="ops-test",
        method="chat.postMessage",
        payload={"channel": channel, "text": "Your order 12345 needs you"},
        now=clock.now(),
    )
    session.commit()
    box.slack.fail("chat.postMessage", "channel_not_found")
    box.settle()
    message = stored(session, OutboxMessage, "ops-test")
    assert message.status is OutboxStatus.FAILED

    status = deliverybot(box, "outbox", "status")
    assert "1 failed" in status.stdout and "outbox list --failed" in status.stdout
    listed = json.loads(deliverybot(box, "outbox", "list", "--failed", "--json").stdout)
    assert [(m["id"], m["error"]) for m in listed] == [(message.id, "channel_not_found")]

    retried = deliverybot(box, "outbox", "retry", str(message.id))
    assert retried.exit_code == 0, retried.output
    again = deliverybot(box, "outbox", "retry", str(message.id))  # a second operator, too late
    assert again.exit_code == 2 and "is pending, not failed" in again.stderr
    box.settle()
    box.settle()

    posted = [m for m in box.slack.messages if m.text == "Your order 12345 needs you"]
    assert len(posted) == 1 and posted[0].channel == channel
    assert stored(session, OutboxMessage, "ops-test").status is OutboxStatus.SENT
    assert deliverybot(box, "outbox", "list", "--failed").stdout.strip() == "No failed messages."


def test_outbox_discard_sets_a_failed_message_aside(box, session, clock):
    enqueue(
        session,
        key="ops-discard",
        method="chat.postMessage",
        payload={"channel": "CGONE", "text": "x"},
        now=clock.now(),
    )
    session.commit()
    box.slack.fail("chat.postMessage", "is_archived")
    box.settle()
    message = stored(session, OutboxMessage, "ops-discard")
    assert deliverybot(box, "outbox", "discard", str(message.id)).exit_code == 0
    message = stored(session, OutboxMessage, "ops-discard")
    assert message.status is OutboxStatus.SUPERSEDED and "discarded" in message.last_error
    assert (
        deliverybot(box, "outbox", "retry", "999999").stderr.strip()
        == "There is no message 999999."
    )


def test_a_job_that_keeps_failing_ends_failed_not_cancelled_and_can_be_retried(box, session, clock):
    runs = []

    def broken(run):
        runs.append(run.job.id)
        if len(runs) <= MAX_ATTEMPTS:
            raise RuntimeError("the template moved")

    scheduler = Scheduler(box.services, kinds={"broken": JobKind(broken)})
    schedule(session, key="broken:1", kind="broken", due_at=clock.now())
    session.commit()
    for _ in range(MAX_ATTEMPTS):
        scheduler.run_due()
        clock.advance(days=2)
    job = stored(session, ScheduledJob, "broken:1")
    assert job.status is JobStatus.FAILED  # not CANCELLED: nobody decided it was not needed
    assert job.last_error == "RuntimeError: the template moved"

    status = deliverybot(box, "jobs", "status")
    assert "1 failed" in status.stdout and "jobs list --failed" in status.stdout
    listed = json.loads(deliverybot(box, "jobs", "list", "--failed", "--json").stdout)
    assert [(j["kind"], j["attempts"]) for j in listed] == [("broken", MAX_ATTEMPTS)]

    assert deliverybot(box, "jobs", "retry", str(job.id)).exit_code == 0
    scheduler.run_due()
    assert (
        stored(session, ScheduledJob, "broken:1").status is JobStatus.DONE
        and len(runs) == MAX_ATTEMPTS + 1
    )
    scheduler.release()
