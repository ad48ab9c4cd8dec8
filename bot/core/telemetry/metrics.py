"""What the bot counts as it works, for Prometheus (`GET /metrics`). Counters and histograms
live here, recorded where things happen; levels read from the database (backlog, orders by
state, …) are collected at scrape time (bot.ops.gauges). When PROMETHEUS_MULTIPROC_DIR is set
(serve running as more than one process) prometheus-client keeps the values in files there,
and the scrape adds up every process's."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "render"]

SLACK_REQUESTS = Counter(
    "deliverybot_slack_requests",
    "Requests from Slack, by surface (command, action, view, event, …) and outcome",
    ["surface", "outcome"],
)
ACK_SECONDS = Histogram(
    "deliverybot_ack_seconds",
    "Time from receiving a Slack request to answering it (Slack waits 3 s at most)",
    ["surface"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
SENDS = Counter(
    "deliverybot_outbox_sends",
    "Slack calls made by the outbox, by outcome (sent, retried, rate_limited, failed)",
    ["outcome"],
)
JOBS_RUN = Counter(
    "deliverybot_jobs_run", "Scheduled jobs run, by outcome (done, deferred, failed)", ["outcome"]
)
DELIVERY_TO_ACCEPTANCE = Histogram(
    "deliverybot_delivery_to_acceptance_seconds",
    "Time from a delivery's submission to its acceptance (by the customer, automatically or "
    "by operations)",
    buckets=tuple(h * 3600 for h in (1, 4, 12, 24, 48, 72, 120, 168, 336, 720)),
)


def render(collectors: Iterable[Collector] = ()) -> bytes:
    """The text exposition: this process's (or, in multiprocess mode, every process's)
    counters and histograms, plus the given collectors (read at this moment)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # only in multiprocess mode

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (SLACK_REQUESTS, ACK_SECONDS, SENDS, JOBS_RUN, DELIVERY_TO_ACCEPTANCE):
            registry.register(metric)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
