"""Levels read from the database when Prometheus scrapes: the outbox backlog and its oldest
message's age, jobs due, late and failed, orders by supervision state, appeals open and
overdue. Read at scrape time, so every process (and replica) reports the same truth."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlmodel import col, func, select

from bot.ops.queue import jobs_summary, outbox_summary
from storage.engine import SessionFactory
from storage.models import Appeal, AppealState, Order
from storage.states import SupervisionState

log = logging.getLogger(__name__)


class DatabaseGauges:
    """A prometheus-client collector over the database (read-only sessions)."""

    def __init__(self, session_factory: SessionFactory, now: Callable[[], datetime]):
        self.session_factory = session_factory
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        try:
            with self.session_factory() as session:
                outbox = outbox_summary(session, now)
                jobs = jobs_summary(session, now)
                orders = dict(
                    session.exec(select(Order.state, func.count()).group_by(col(Order.state))).all()
                )
                open_appeals = col(Appeal.state) == AppealState.OPEN
                appeals_open = session.exec(select(func.count()).where(open_appeals)).one()
                overdue = session.exec(
                    select(func.count()).where(
                        open_appeals, col(Appeal.flagged_overdue_at).is_not(None)
                    )
                ).one()
        except Exception as error:  # a scrape must not fail because the database did
            log.warning("metrics: the database could not be read: %s", error)
            up = GaugeMetricFamily("deliverybot_database_up", "1 when the database answered")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("deliverybot_database_up", "1 when the database answered")
        up.add_metric([], 1)
        yield up
        yield _gauge("deliverybot_outbox_backlog", "Unsent messages due now", outbox.due)
        age = outbox.oldest_age(now)
        yield _gauge(
            "deliverybot_outbox_oldest_age_seconds",
            "How long the oldest unsent due message has waited",
            age.total_seconds() if age else 0,
        )
        messages = GaugeMetricFamily(
            "deliverybot_outbox_messages", "Outbox messages by status", labels=["status"]
        )
        for status, count in sorted(outbox.by_status.items()):
            messages.add_metric([status], count)
        yield messages
        yield _gauge("deliverybot_jobs_due", "Scheduled jobs due now", jobs.due)
        yield _gauge("deliverybot_jobs_late", "Scheduled jobs due over 5 minutes ago", jobs.late)
        yield _gauge(
            "deliverybot_jobs_failed", "Jobs that failed for good", jobs.by_status.get("failed", 0)
        )
        by_state = GaugeMetricFamily(
            "deliverybot_orders", "Orders by supervision state", labels=["state"]
        )
        for state in SupervisionState:
            by_state.add_metric([state.value], orders.get(state, 0))
        yield by_state
        yield _gauge("deliverybot_appeals_open", "Appeals waiting for a decision", appeals_open)
        yield _gauge(
            "deliverybot_appeals_overdue", "Open appeals past their 3 working days", overdue
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge
