"""Wiring: the registries of job kinds and outbox message kinds, and the services built from
settings. Nothing registers itself on import: what the scheduler and the dispatcher know is
what these tables say (Cosmic Python's bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.core.clock import Clock
from bot.core.filestore import store_for
from bot.core.settings import Settings
from bot.delivery import dm as delivery_dm
from bot.delivery import proof_fetch
from bot.email.sender import EmailSender, with_browser_link
from bot.home import page as home
from bot.jobs.scheduler import JobKind, Scheduler, Seed
from bot.ops import digest as ops_digest
from bot.orders import contacts, customers
from bot.reporting import weekly
from bot.slack.dispatcher import OutboxDispatcher
from bot.slack.inbound import turns
from bot.slack.outbox import EMAIL, MessageKind
from bot.slack.services import Services
from bot.supervision import appeals, cases, digest, escalation, housekeeping, notices, reminders
from storage.engine import SessionFactory

JOB_KINDS: Mapping[str, JobKind] = {
    reminders.PLAN: JobKind(reminders.plan_reminders, look_up=reminders.look_up_customer_for_job),
    reminders.REMINDER: JobKind(
        reminders.send_reminder, look_up=reminders.look_up_customer_for_job
    ),
    reminders.ESCALATION: JobKind(
        escalation.send_escalation, look_up=contacts.look_up_people_for_job
    ),
    reminders.AUTO_ACCEPT: JobKind(
        escalation.auto_accept, look_up=contacts.look_up_sellers_for_job
    ),
    reminders.APPEAL_OFFER: JobKind(appeals.offer_customer_appeal),
    cases.APPEAL_OVERDUE: JobKind(cases.flag_overdue),
    digest.DIGEST: JobKind(digest.send_digest, look_up=digest.look_up_sellers),
    housekeeping.PURGE_EVENTS: JobKind(housekeeping.purge),
    weekly.WEEKLY_DIGEST: JobKind(weekly.send_weekly_digest),
    proof_fetch.DOWNLOAD: JobKind(
        proof_fetch.record_download, look_up=proof_fetch.download_for_job
    ),
    ops_digest.OPS_DIGEST: JobKind(ops_digest.send_ops_digest),
}

RECURRING_JOBS: Sequence[Seed] = (
    digest.seed_digest,
    housekeeping.seed_purge,
    weekly.seed_weekly_digest,
    ops_digest.seed_ops_digest,
)

MESSAGE_KINDS: Mapping[str, MessageKind] = {
    customers.CUSTOMER_DELIVERY: MessageKind(
        prepare=customers.choose_customer_route, on_failure=notices.customer_unreachable
    ),
    notices.CUSTOMER_FILES: MessageKind(on_failure=notices.proof_not_shared),
    reminders.REMINDER: MessageKind(
        prepare=reminders.link_the_delivery, on_failure=reminders.reminder_failed
    ),
    cases.APPEAL_CASE: MessageKind(on_failure=cases.case_not_posted),
    home.REFRESH: MessageKind(render=home.render_queued),
    delivery_dm.MESSAGE: MessageKind(
        look_up=delivery_dm.look_up_customer, render=delivery_dm.render_queued
    ),
}


def message_kinds(settings: Settings, clock: Clock) -> Mapping[str, MessageKind]:
    """MESSAGE_KINDS, with the customer's delivery DM given its "Open in browser" link."""
    delivery = MESSAGE_KINDS[customers.CUSTOMER_DELIVERY]
    assert delivery.prepare is not None
    browser = with_browser_link(delivery.prepare, settings, clock)
    return {**MESSAGE_KINDS, customers.CUSTOMER_DELIVERY: replace(delivery, prepare=browser)}


def make_client(settings: Settings) -> WebClient:
    """The Web API client every Slack call goes through; SLACK_API_URL sets its base URL.

    Only connection errors are retried here: 429s and server errors are the outbox's to
    retry, so a request handler never sleeps on Slack's Retry-After.
    """
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/"
    )
    return turns.TurnYieldingWebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


def build_services(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    clock: Clock,
    client: WebClient | None = None,
    channel_interval: float = 1.0,
    read_session_factory: SessionFactory | None = None,
    outbox_workers: int | None = None,
) -> Services:
    """`outbox_workers`: concurrent sends (default: the settings'; the demo and tests use 1,
    so what Slack receives comes in one order)."""
    client = client or make_client(settings)
    dispatcher = OutboxDispatcher(
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        client=client,
        clock=clock,
        channel_interval=channel_interval,
        files=store_for(settings),
        kinds=message_kinds(settings, clock),
        senders={EMAIL: EmailSender(settings, session_factory, clock)},
        workers=settings.outbox_workers if outbox_workers is None else outbox_workers,
        workspace_rate=settings.outbox_rate,
    )
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        client=client,
        dispatcher=dispatcher,
        read_session_factory=read_session_factory or session_factory,
    )


def build_scheduler(
    services: Services, *, holder: str | None = None, lease_seconds: float = 120
) -> Scheduler:
    """The scheduler with every job kind and recurring job."""
    return Scheduler(
        services,
        kinds=JOB_KINDS,
        recurring=RECURRING_JOBS,
        holder=holder,
        lease_seconds=lease_seconds,
        workers=services.settings.job_workers,
    )
