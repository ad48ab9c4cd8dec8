"""The scheduler: jobs run once, stale jobs send nothing, failures back off, one SQLite worker
at a time, several PostgreSQL workers without doubles, and a pass reads only what is due."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from bot.bootstrap import JOB_KINDS, RECURRING_JOBS
from bot.jobs import scheduler
from bot.jobs.scheduler import JobKind
from storage.models import JobStatus, Order, ScheduledJob
from storage.states import SupervisionState
from tests.conftest import NOW
from tests.factories import CUSTOMER, make_awaiting_acceptance, make_order, make_product

ran: list[int] = []


def _record(run):
    ran.append(run.job.data["n"])


def _slow(run):
    run.services.clock.advance(minutes=1)


def _boom(run):
    raise RuntimeError("boom")


TEST_KINDS = {
    **JOB_KINDS,
    "test_record": JobKind(_record),
    "test_slow": JobKind(_slow),
    "test_boom": JobKind(_boom),
}


def worker_for(services, holder):
    return scheduler.Scheduler(services, kinds=TEST_KINDS, recurring=RECURRING_JOBS, holder=holder)


def test_a_job_runs_once_when_due_and_a_key_is_scheduled_once(box, session, clock):
    ran.clear()
    for _ in range(2):
        scheduler.schedule(
            session, key="k1", kind="test_record", due_at=NOW + timedelta(hours=1), data={"n": 1}
        )
    session.commit()
    worker = worker_for(box.services, holder="a")
    assert worker.run_due().ran == 0
    clock.advance(hours=1)
    assert worker.run_due().kinds.get("test_record") == 1  # (the hourly digest runs too)
    assert worker.run_due().ran == 0
    assert ran == [1]


def test_a_failing_job_backs_off_and_does_not_block_the_others(box, session, clock):
    ran.clear()
    scheduler.schedule(session, key="boom", kind="test_boom", due_at=NOW)
    scheduler.schedule(session, key="fine", kind="test_record", due_at=NOW, data={"n": 2})
    session.commit()
    result = worker_for(box.services, holder="a").run_due()
    assert (result.failed, result.ran, ran) == (1, 1, [2])
    with box.session_factory() as check:
        job = check.exec(select(ScheduledJob).where(ScheduledJob.key == "boom")).one()
        assert job.status is JobStatus.PENDING and job.attempts == 1
        assert job.due_at > NOW and "boom" in job.last_error


def test_a_stale_reminder_sends_nothing(box, session, clock):
    order = make_order(session)
    make_awaiting_acceptance(session, order, now=NOW)
    session.commit()
    worker_for(box.services, holder="a").run_due()
    with box.session_factory() as other:  # accepted by someone who forgot to cancel the jobs
        other.get(Order, order.id).state = SupervisionState.COMPLETED
        other.commit()
    clock.advance(days=8)
    worker_for(box.services, holder="a").run_due()
    box.settle()
    assert box.slack.dms(CUSTOMER) == []


def test_on_sqlite_a_second_worker_says_who_holds_the_work(box, session, clock, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the lease is SQLite's; PostgreSQL workers share the work")
    first, second = (
        worker_for(box.services, holder="first"),
        worker_for(box.services, holder="second"),
    )
    assert first.run_due().held_by is None
    assert second.run_due().held_by == "first"
    first.release()
    assert second.run_due().held_by is None
    clock.advance(minutes=5)  # a holder that died: its lease runs out
    assert first.run_due().held_by is None


def test_a_long_pass_keeps_its_sqlite_lease(box, session, clock, database_url):
    """Jobs that take long (a large proof download) renew the lease as the pass goes on."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL workers need no lease")
    for n in range(3):
        scheduler.schedule(session, key=f"slow{n}", kind="test_slow", due_at=NOW)
    session.commit()
    first, second = (
        worker_for(box.services, holder="first"),
        worker_for(box.services, holder="second"),
    )

    assert first.run_due().kinds.get("test_slow") == 3  # 3 minutes in all: longer than the lease

    assert second.run_due().held_by == "first"


def test_a_pass_reads_only_what_is_due(box, session, clock, engine):
    ran.clear()
    for n in range(300):
        scheduler.schedule(
            session,
            key=f"later:{n}",
            kind="test_record",
            due_at=NOW + timedelta(days=1 + n),
            data={"n": n},
        )
    scheduler.schedule(session, key="now", kind="test_record", due_at=NOW, data={"n": -1})
    session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    worker_for(box.services, holder="a").run_due()
    assert ran == [-1]
    assert len(statements) < 20  # a handful per due job, nothing per stored one
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            plan = connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM scheduledjob WHERE status = 'pending' "
                    "AND due_at <= '2026-02-02' ORDER BY due_at LIMIT 1"
                )
            ).all()
        assert "ix_job_due" in " ".join(str(row) for row in plan)


def test_two_postgresql_workers_send_each_reminder_once(box, session, clock, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers at once is PostgreSQL's")
    product = make_product(session)
    for n in range(12):
        order = make_order(session, f"9{n:03d}", product=product)
        make_awaiting_acceptance(session, order, now=NOW, delivery_message=None)
    session.commit()
    clock.advance(days=1, hours=5)  # day 1, 10:00 in New York
    barrier = threading.Barrier(2)
    results = []

    def work(name):
        worker = worker_for(box.services, holder=name)
        barrier.wait()
        results.append(worker.run_due())
        barrier.wait()
        box.services.dispatcher.dispatch_due()

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    box.settle()
    sent = Counter(call.args.get("text") for call in box.slack.calls_to("chat.postMessage"))
    reminders = {t: c for t, c in sent.items() if t and t.startswith("Reminder: order")}
    assert len(reminders) == 12 and set(reminders.values()) == {1}
    assert sum(r.kinds.get("reminder", 0) for r in results) == 12


def test_a_claimed_job_another_workers_claim_has_just_locked_still_runs(
    box, session, clock, engine, monkeypatch
):
    """On PostgreSQL a claim's scan locks a row it then finds claimed by someone else, until its
    transaction ends: the job's owner waits for that instead of leaving the job for later."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    ran.clear()
    scheduler.schedule(session, key="locked", kind="test_record", due_at=NOW, data={"n": 3})
    session.commit()
    claim_due = scheduler.claim_due

    def claimed_then_scanned(*args):
        claimed = claim_due(*args)
        if claimed:
            scan = engine.connect()
            scan.execute(
                text("SELECT id FROM scheduledjob WHERE id = :id FOR UPDATE"),
                {"id": claimed[0].job_id},
            )
            threading.Timer(0.3, scan.close).start()  # the other claim commits
        return claimed

    monkeypatch.setattr(scheduler, "claim_due", claimed_then_scanned)
    assert worker_for(box.services, holder="a").run_due().kinds.get("test_record") == 1
    assert ran == [3]


def test_serve_runs_the_scheduled_work_in_process(box, session):
    import time

    from bot.server import Background

    ran.clear()
    scheduler.schedule(session, key="serve", kind="test_record", due_at=NOW, data={"n": 7})
    session.commit()
    background = Background(box.services, worker_for(box.services, holder="serve"))
    background.start()
    try:
        deadline = time.monotonic() + 10
        while not ran and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        background.stop()
    assert ran == [7]


def test_event_ids_are_forgotten_after_a_week_and_recent_retries_are_still_dropped(
    box, session, clock
):
    from datetime import UTC, datetime

    from storage.models import ProcessedEvent

    event = {"type": "app_home_opened", "user": "USELLER", "channel": "DUSELLER", "tab": "home"}
    box.driver.event(event, event_id="EvOLD")  # Monday 2 Feb
    worker_for(box.services, holder="a").run_due()
    clock.advance(days=6)
    box.driver.event(event, event_id="EvRECENT")
    published = len(box.slack.calls_to("views.publish"))

    clock.set(datetime(2026, 2, 10, 3, 0, tzinfo=UTC))  # the daily clean-up, over a week later
    worker_for(box.services, holder="a").run_due()

    with box.session_factory() as check:
        assert [e.event_id for e in check.exec(select(ProcessedEvent))] == ["EvRECENT"]
        finished = check.exec(select(ScheduledJob).where(ScheduledJob.status == JobStatus.DONE))
        assert all(job.done_at >= clock.now() - timedelta(days=7) for job in finished)
    box.driver.event(event, event_id="EvRECENT", retry_num=1)
    assert len(box.slack.calls_to("views.publish")) == published
