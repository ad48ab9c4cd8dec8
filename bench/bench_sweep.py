"""A scheduler sweep at scale: N orders stored, 10,000 reminder-like jobs due at the same
instant (reminders snap to the start of working hours) among many more due later. Two
workers claim and run them (each job queues a post, as a reminder does), and two outbox
dispatchers send them to the fake Slack (answering at once). Prints how long until every job
ran and every post was sent, the claim query's plan, and the ratio against the previous way
of claiming (one job at a time, in a sample, in the same process).

    python -m bench.bench_sweep [--orders 1000000] [--due 10000] [--db pg sqlite]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import func, insert, text
from sqlmodel import col, select

from bench.seeding import database, seed_orders, url_of
from bot.core.clock import SystemClock
from bot.core.settings import Settings
from bot.fakeslack.server import FakeSlack
from bot.jobs.scheduler import JobKind, JobRun, Scheduler
from bot.slack.dispatcher import OutboxDispatcher
from bot.slack.outbox import enqueue
from bot.slack.services import Services
from storage.engine import make_engine, make_session_factory
from storage.models import JobStatus, OutboxMessage, OutboxStatus, ScheduledJob
from storage.rows import table_of

KIND = "bench_reminder"


def remind(run: JobRun) -> None:
    """What a reminder does in its transaction: read its order, queue the customer's post."""
    customer = f"U{run.job.data['customer']:05d}"
    enqueue(
        run.session,
        key=f"remind:{run.job.id}",
        method="chat.postMessage",
        payload={"channel": customer, "text": "A friendly reminder"},
        now=run.now,
        order_id=run.job.order_id,
    )


def seed_jobs(engine, due: int, later: int, at: datetime) -> None:
    rows = [
        {
            "key": f"r{n}",
            "kind": KIND,
            "order_id": n + 1,
            "data": {"customer": n % 1000},
            "due_at": at if n < due else at + timedelta(days=1 + n % 30),
            "status": "pending",
            "attempts": 0,
        }
        for n in range(due + later)
    ]
    with engine.begin() as connection:
        for start in range(0, len(rows), 20_000):
            connection.execute(insert(table_of(ScheduledJob)), rows[start : start + 20_000])
        connection.execute(text("ANALYZE"))


def claim_plan(engine, at: datetime) -> str:
    postgres = engine.dialect.name == "postgresql"
    explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
    query = (
        f"{explain} SELECT id FROM scheduledjob WHERE status = 'pending' AND due_at <= :at "
        "AND (claimed_until IS NULL OR claimed_until <= :at) ORDER BY due_at, id LIMIT 100"
        + (" FOR UPDATE SKIP LOCKED" if postgres else "")
    )
    with engine.connect() as connection:
        rows = connection.execute(text(query), {"at": at}).all()
    return " / ".join(str(row[-1]).strip() for row in rows)


def services_for(engine, token: str, api_url: str) -> Services:
    factory = make_session_factory(engine)
    client = WebClient(token=token, base_url=api_url + "/")
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN=token, SLACK_API_URL=api_url)
    dispatcher = OutboxDispatcher(
        session_factory=factory,
        client=client,
        clock=SystemClock(),
        channel_interval=1.0,
        workers=8,
        workspace_rate=0,  # the fake Slack answers at once; pacing per channel still applies
    )
    return Services(settings, factory, SystemClock(), client, dispatcher, factory)


def worker(url: str, token: str, api_url: str, name: str, due: int, out) -> None:
    """One `deliverybot worker` process: a scheduler pass, then the outbox until it is empty."""
    engine = make_engine(url)
    services = services_for(engine, token, api_url)
    stop = threading.Event()
    sending = threading.Thread(target=services.dispatcher.run_forever, args=(stop, 0.2))
    started = time.monotonic()
    sending.start()  # as `deliverybot worker` does: the outbox sends while jobs run
    result = Scheduler(services, kinds={KIND: JobKind(remind)}, holder=name).run_due()
    ran = time.monotonic() - started
    factory = make_session_factory(engine)
    while True:
        with factory() as session:
            pending = session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            ).one()
        if not pending:
            break
        time.sleep(0.1)
    stop.set()
    services.dispatcher.wake.set()
    sending.join()
    out.put((name, result.ran, ran, time.monotonic() - started))


def sweep(engine, slack: FakeSlack, due: int) -> float:
    context = get_context("spawn")
    out = context.Queue()
    processes = [
        context.Process(
            target=worker, args=(url_of(engine), slack.token, slack.api_url, f"w{n}", due, out)
        )
        for n in range(2)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    took = time.monotonic() - started
    for process in processes:
        process.join()
    for name, ran, ran_in, finished in results:
        print(f"  {name}: ran {ran} jobs in {ran_in:.1f} s, outbox empty at {finished:.1f} s")
    factory = make_session_factory(engine)
    with factory() as session:
        done = session.exec(
            select(func.count())
            .select_from(ScheduledJob)
            .where(col(ScheduledJob.status) == JobStatus.DONE)
        ).one()
        sent = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.SENT)
        ).one()
    assert done == due and sent == due, f"{done} of {due} jobs ran, {sent} sent"
    return took


def one_at_a_time(engine, sample: int, at: datetime) -> float:
    """The previous way: find the next due job (sorted by due_at, id), lock it, run it."""
    factory = make_session_factory(engine)
    postgres = engine.dialect.name == "postgresql"
    started = time.monotonic()
    for _ in range(sample):
        with factory() as session:
            query = (
                select(ScheduledJob)
                .where(
                    col(ScheduledJob.status) == JobStatus.PENDING, col(ScheduledJob.due_at) <= at
                )
                .order_by(col(ScheduledJob.due_at), col(ScheduledJob.id))
                .limit(1)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True)
            job = session.exec(query).first()
            assert job is not None
            enqueue(
                session,
                key=f"old:{job.id}",
                method="chat.postMessage",
                payload={"channel": "U00001", "text": "x"},
                now=at,
            )
            job.status = JobStatus.DONE
            session.add(job)
            session.commit()
    return (time.monotonic() - started) / sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--later", type=int, default=100_000, help="jobs due later")
    parser.add_argument("--db", nargs="+", default=["pg"], choices=["sqlite", "pg"])
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    slack = FakeSlack().start()
    for n in range(1000):
        slack.add_user(f"U{n:05d}", f"user{n}")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    try:
        with tempfile.TemporaryDirectory() as folder:
            for kind in args.db:
                with database(kind, Path(folder), args.pg, f"sweep_{kind}") as engine:
                    seeding = time.monotonic()
                    seed_orders(engine, args.orders)
                    seed_jobs(engine, args.due, args.later, at)
                    print(f"{kind}: seeded in {time.monotonic() - seeding:.1f} s")
                    print(f"{kind}: claim plan: {claim_plan(engine, at)}")
                    per_job = one_at_a_time(engine, 300, at)
                    with engine.begin() as connection:  # put the sample back
                        connection.execute(
                            text("UPDATE scheduledjob SET status = 'pending' WHERE status = 'done'")
                        )
                        connection.execute(text("DELETE FROM outboxmessage"))
                    took = sweep(engine, slack, args.due)
                    rate = args.due / took
                    print(
                        f"| {kind} | {args.orders:,} orders, {args.due:,} due at one instant, "
                        f"{args.later:,} later | all run and sent in {took:.1f} s ({rate:.0f}/s) "
                        f"| one at a time: {1 / per_job:.0f}/s | {rate * per_job:.1f}× |"
                    )
    finally:
        slack.stop()


if __name__ == "__main__":
    main()
