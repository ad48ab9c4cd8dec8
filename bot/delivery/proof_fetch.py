"""Fetching proof files from Slack into the file store: a quick try, then the worker's.

A dropped file is recorded first (with a download job owed, `owe_download`), then fetched at
once with a short budget (bot.downloads.TIMEOUT_SECONDS) outside any transaction, so neither
the 3 s ack nor the database's write lock waits on Slack. A large or slow file that does not
arrive in time is left to the worker: its job becomes due at once and downloads with a
generous timeout before its transaction opens (`scheduler.looks_up`), retrying with backoff.
Whatever happens, the seller's delivery message is updated in place; a file that
cannot be fetched (a sign-in page, too big, gone, or still failing after every retry) is taken
off the draft and the seller is told what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.filestore import store_for
from bot.core.settings import Settings
from bot.delivery import dm as delivery_dm
from bot.delivery import proof
from bot.jobs import scheduler
from bot.jobs.scheduler import Defer, JobRun
from bot.orders import queries as orders
from bot.slack.downloads import DownloadFailed, download
from bot.slack.services import Services
from storage.models import Delivery, DeliveryState, JobStatus, Order, ProofFile, ScheduledJob
from storage.rows import get_row, saved_id

DOWNLOAD = "proof_download"
SAFETY_NET = timedelta(minutes=1)  # due then if the quick try's process dies before it ends
TRIES = 6
FIRST_RETRY = timedelta(seconds=30)  # then doubling: about 15 minutes over all the tries


@dataclass(frozen=True)
class Fetched:
    """A file now in the file store."""

    sha256: str
    size: int
    content_type: str


def owe_download(session: Session, row: ProofFile, *, order_id: int, now: datetime) -> None:
    """A recorded file will be fetched by the worker unless the quick try settles it first."""
    scheduler.schedule(
        session,
        key=_key(saved_id(row)),
        kind=DOWNLOAD,
        due_at=now + SAFETY_NET,
        order_id=order_id,
        data={"row_id": row.id, "tries": 0},
    )


def _key(row_id: int) -> str:
    return f"proof-download:{row_id}"


def fetch(
    settings: Settings, info: dict[str, Any], *, timeout: float | None = None
) -> Fetched | DownloadFailed:
    """Download a Slack file (`files.info`'s object) into the file store; no transaction open."""
    url = info.get("url_private_download") or info.get("url_private") or ""
    try:
        got = download(
            url,
            name=info.get("name") or info["id"],
            token=settings.slack_bot_token,
            api_url=settings.slack_api_url,
            max_bytes=settings.max_file_bytes,
            timeout=timeout,
        )
    except DownloadFailed as failure:
        return failure
    sha256 = store_for(settings).put(got.content)
    return Fetched(sha256=sha256, size=len(got.content), content_type=got.content_type)


def fetch_now(services: Services, row_id: int, info: dict[str, Any]) -> None:
    """The quick try right after the file was recorded; the worker takes over if it fails."""
    outcome = fetch(services.settings, info)
    with services.session_factory() as session:
        row = session.get(ProofFile, row_id)
        now = services.clock.now()
        if isinstance(outcome, DownloadFailed) and not outcome.permanent:
            _due_now(session, row_id, now)
        elif row is not None and _pending(session, row):  # the worker may have been quicker
            _settle(session, row, outcome, now=now)
        session.commit()
    services.notify_outbox()


def _due_now(session: Session, row_id: int, now: datetime) -> None:
    session.execute(
        update(ScheduledJob)
        .where(col(ScheduledJob.key) == _key(row_id), col(ScheduledJob.status) == JobStatus.PENDING)
        .values(due_at=now)
        .execution_options(synchronize_session=False)
    )


def _pending(session: Session, row: ProofFile) -> bool:
    """Still waiting for its content, on a draft still open."""
    if row.removed or row.sha256:
        return False
    return get_row(session, Delivery, row.delivery_id).state is DeliveryState.DRAFT


def _settle(
    session: Session, row: ProofFile, outcome: Fetched | DownloadFailed, *, now: datetime
) -> None:
    """Record the file's content, or take it off the draft and tell its holder why."""
    delivery = get_row(session, Delivery, row.delivery_id)
    if isinstance(outcome, Fetched):
        proof.record_download(session, row, outcome.sha256, outcome.size, outcome.content_type)
    else:
        proof.record_failure(session, row, str(outcome), now=now)
        message = (
            f":warning: I could not fetch *{row.name}* from Slack, so it is not on the "
            f"delivery: {outcome} Drop it here again to retry, or attach another copy."
        )
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": message}}]
        delivery_dm.say(
            session,
            user=delivery.holder,
            key=f"file-failed:{row.slack_file_id}",
            blocks=blocks,
            text=message,
            now=now,
        )
    card = orders.card(session, get_row(session, Order, delivery.order_id))
    delivery_dm.refresh(session, delivery, card, now=now)


def download_for_job(services: Services, job: ScheduledJob) -> Fetched | DownloadFailed | None:
    """The worker's download, with the long timeout (before the job's transaction opens)."""
    with services.read_session_factory() as session:
        row = session.get(ProofFile, job.data["row_id"])
        if row is None or not _pending(session, row):
            return None
        file_id, name = row.slack_file_id, row.name
    try:
        info = services.client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        code = error.response.get("error", "")
        gone = code in ("file_not_found", "file_deleted")
        reason = f"{name} was deleted from Slack." if gone else f"Slack said {code}."
        return DownloadFailed(reason, permanent=gone)
    return fetch(services.settings, info, timeout=services.settings.download_timeout_seconds)


def record_download(run: JobRun) -> Defer | None:
    session, job = run.session, run.job
    row = session.get(ProofFile, job.data["row_id"])
    if row is None or not _pending(session, row):
        return None
    outcome = run.looked_up
    if isinstance(outcome, Fetched) or (isinstance(outcome, DownloadFailed) and outcome.permanent):
        _settle(session, row, outcome, now=run.now)
        return None
    tries = int(job.data.get("tries", 0)) + 1
    if tries >= TRIES:
        waited = sum((_backoff(n) for n in range(1, tries)), timedelta())
        message = f"Slack kept failing to serve it, {tries} tries over {_minutes(waited)}."
        _settle(session, row, DownloadFailed(message, permanent=True), now=run.now)
        return None
    job.data = {**job.data, "tries": tries}
    job.last_error = (str(outcome) if outcome else "the download did not run")[:500]
    session.add(job)
    return Defer(until=run.now + _backoff(tries))


def _backoff(tries: int) -> timedelta:
    return FIRST_RETRY * 2 ** (tries - 1)


def _minutes(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"
