"""Scheduled work (reminders, escalations, appeal deadlines, digests) as rows in ScheduledJob.

Each job has a unique `key` (one job per cause) and an indexed `due_at`, so a pass reads only
what is due. On PostgreSQL any number of workers run at once: each claims a batch of due jobs
(`FOR UPDATE SKIP LOCKED`, marking them claimed for a while) and runs them on a small pool;
a job runs in one transaction that checks it is still pending and still this worker's, so it
runs once, and a dead worker's claim runs out. On SQLite one worker holds a lease (bot.jobs.lease) and a
second one is told who holds it. Job handlers only read and write the database (outbox rows
included): what a job needs from Slack is asked before its transaction opens (`looks_up`),
because on SQLite that transaction holds the database's one write lock; the outbox dispatcher
sends afterwards.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core.telemetry import metrics
from bot.jobs import heartbeat, lease
from bot.jobs.claims import Claimed, claim_due, record_failure
from bot.slack.loops import FailureLog, database_unreachable, one_line
from bot.slack.services import Services
from storage.models import JobStatus, ScheduledJob
from storage.rows import changed_rows, table_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobRun:
    """What a job handler gets: the job, an open session (commit is the scheduler's), time,
    and what its look-up returned (None without one, or when the look-up failed)."""

    job: ScheduledJob
    session: Session
    services: Services
    now: datetime
    looked_up: Any = None


@dataclass(frozen=True)
class Defer:
    """Returned by a handler that cannot act yet (outside working hours, message not sent)."""

    until: datetime


JobHandler = Callable[[JobRun], Defer | None]
LookUp = Callable[[Services, ScheduledJob], Any]
Seed = Callable[[Session, datetime], None]


@dataclass(frozen=True)
class JobKind:
    """How to run jobs of one kind: the handler, and what to ask Slack before its transaction
    opens (it runs with no transaction open, since a job's own transaction may hold SQLite's
    write lock; what it returns reaches the handler as `JobRun.looked_up`)."""

    handler: JobHandler
    look_up: LookUp | None = None


def schedule(
    session: Session,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    order_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add a job in the caller's transaction. A key already scheduled is left as it is."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(table_of(ScheduledJob))
        .values(
            key=key,
            kind=kind,
            order_id=order_id,
            data=data or {},
            due_at=due_at,
            status=JobStatus.PENDING.value,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


def cancel(
    session: Session, *, order_id: int, kinds: tuple[str, ...], now: datetime, reason: str
) -> int:
    """Cancel an order's pending jobs of these kinds. Returns how many were cancelled."""
    return changed_rows(
        session,
        update(ScheduledJob)
        .where(
            col(ScheduledJob.order_id) == order_id,
            col(ScheduledJob.kind).in_(kinds),
            col(ScheduledJob.status) == JobStatus.PENDING,
        )
        .values(status=JobStatus.CANCELLED, done_at=now, last_error=f"cancelled: {reason}")
        .execution_options(synchronize_session=False),
    )


@dataclass
class PassResult:
    ran: int = 0
    deferred: int = 0
    failed: int = 0
    held_by: str | None = None  # SQLite: the worker holding the lease, when it is not us
    kinds: dict[str, int] = field(default_factory=dict)


class Scheduler:
    def __init__(
        self,
        services: Services,
        *,
        kinds: Mapping[str, JobKind],
        recurring: Sequence[Seed] = (),
        holder: str | None = None,
        lease_seconds: float = 120,
        batch: int = 100,
        workers: int = 4,
    ):
        """`kinds` and `recurring` (functions that make sure the next occurrence of a recurring
        job exists) are the registry built in bot.bootstrap. Due jobs are claimed `batch` at a
        time and run by `workers` threads, so a slow one (a large download) holds up no other."""
        self.services = services
        self.kinds = kinds
        self.recurring = recurring
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._counting = threading.Lock()

    @functools.cached_property
    def _postgres(self) -> bool:
        with self.services.session_factory() as session:
            return session.get_bind().dialect.name == "postgresql"

    def run_due(self) -> PassResult:
        """Run every job due now, batch after batch, until nothing is due. One pass."""
        result = PassResult()
        postgres = self._postgres
        if not postgres:
            result.held_by = self._take_lease()
            if result.held_by:
                return result
        now = self.services.clock.now()
        with self.services.session_factory() as session:
            for seed in self.recurring:
                seed(session, now)
            session.commit()
        renew_at = now + timedelta(seconds=self.lease_seconds / 2)
        seen: set[int] = set()
        while True:
            if not postgres and self.services.clock.now() >= renew_at:
                # long jobs (a large proof download) must not let the lease lapse mid-pass
                result.held_by = self._take_lease()
                if result.held_by:
                    break
                renew_at = self.services.clock.now() + timedelta(seconds=self.lease_seconds / 2)
            claimed = claim_due(
                self.services.session_factory, self.services.clock.now(), self.batch, postgres
            )
            if not claimed or seen.issuperset(job.job_id for job in claimed):
                break  # nothing due, or only jobs that put themselves back to now
            seen.update(job.job_id for job in claimed)
            self._run_all(claimed, postgres, result)
        return result

    def _run_all(self, claimed: list[Claimed], postgres: bool, result: PassResult) -> None:
        """Run a claimed batch: one order's jobs in turn, in the order they fell due (a
        reminder before the escalation after it), different orders at once."""
        chains: dict[object, list[Claimed]] = defaultdict(list)
        for job in claimed:
            chains[job.order_id if job.order_id is not None else ("job", job.job_id)].append(job)

        def run(chain: list[Claimed]) -> None:
            for job in chain:
                self._run_one(job, postgres, result)

        if self.workers == 1 or len(chains) == 1:
            for chain in chains.values():
                run(chain)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="jobs")
        for _ in self._pool.map(run, chains.values()):  # re-raises a database outage
            pass

    def _run_one(self, job: Claimed, postgres: bool, result: PassResult) -> None:
        """Ask Slack what the claimed job needs (no transaction open), then run it in one
        transaction, if it is still ours and still pending."""
        now = self.services.clock.now()
        job_id, lease = job.job_id, job.lease
        kind_of_due, looked_up = self.kinds.get(job.kind), None
        look_up = kind_of_due.look_up if kind_of_due else None
        if look_up is not None:
            with self.services.read_session_factory() as session:
                due = session.get(ScheduledJob, job_id)
            try:
                if due is not None:
                    looked_up = look_up(self.services, due)
            except Exception:  # the job still runs, with what the database already knows
                log.exception("looking up Slack for job %s (%s) failed", job_id, job.kind)
        with self.services.session_factory() as session:
            query = select(ScheduledJob).where(
                col(ScheduledJob.id) == job_id,
                col(ScheduledJob.status) == JobStatus.PENDING,
                col(ScheduledJob.claimed_until) == lease,
            )
            if postgres:  # waits, never skips: another claim's scan may hold it a moment
                query = query.with_for_update()
            row = session.exec(query).first()
            if row is None:  # its claim ran out and another worker took it
                return
            kind = row.kind
            job_kind = self.kinds.get(kind)
            try:
                if job_kind is None:
                    raise LookupError(f"no handler for job kind {kind!r}")
                run = JobRun(
                    job=row, session=session, services=self.services, now=now, looked_up=looked_up
                )
                outcome = job_kind.handler(run)
            except Exception as error:
                if database_unreachable(error):  # not the job's fault: no attempt is used up
                    raise
                session.rollback()
                log.exception("job %s (%s) failed", job_id, kind, extra={"job_id": job_id})
                record_failure(self.services.session_factory, job_id, error, now)
                metrics.JOBS_RUN.labels("failed").inc()
                with self._counting:
                    result.failed += 1
                return
            values: dict[str, Any] = (
                {"due_at": outcome.until, "claimed_until": None}
                if isinstance(outcome, Defer)
                else {"status": JobStatus.DONE, "done_at": now, "claimed_until": None}
            )
            session.execute(
                update(ScheduledJob)
                .where(
                    col(ScheduledJob.id) == job_id, col(ScheduledJob.status) == JobStatus.PENDING
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
        metrics.JOBS_RUN.labels("deferred" if isinstance(outcome, Defer) else "done").inc()
        with self._counting:
            if isinstance(outcome, Defer):
                result.deferred += 1
            else:
                result.ran += 1
                result.kinds[kind] = result.kinds.get(kind, 0) + 1
        self.services.notify_outbox()

    # -- SQLite: one worker at a time (bot.jobs.lease) --------------------------------------
    def _take_lease(self) -> str | None:
        now = self.services.clock.now()
        factory = self.services.session_factory
        return lease.take(factory, holder=self.holder, now=now, seconds=self.lease_seconds)

    def release(self) -> None:
        if not self._postgres:
            lease.give_back(self.services.session_factory, holder=self.holder)

    def run_forever(self, stop: threading.Event, interval: float = 10.0) -> None:
        """Passes until `stop`; a run of failing passes (a database outage) is logged once."""
        warned = False
        failures = FailureLog("scheduler", log, retry_seconds=interval)
        try:
            while not stop.is_set():
                try:
                    result = self.run_due()
                except Exception as error:
                    failures.failed(error)
                else:
                    failures.passed()
                    heartbeat.beat(self.services.session_factory, self.holder, self.services.clock)
                    if result.held_by and not warned:
                        log.warning("scheduled work is held by %s; waiting", result.held_by)
                    warned = bool(result.held_by)
                stop.wait(interval)
        finally:
            try:
                self.release()
            except Exception as error:  # the database is gone: the lease runs out on its own
                log.warning("scheduler lease not released: %s", one_line(error))
