"""GET /healthz, /readyz and /metrics as an orchestrator and Prometheus call them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.jobs import heartbeat
from bot.slack.outbox import enqueue
from tests.factories import SELLER, make_order, make_product


def scrape(box) -> dict[tuple[str, tuple], float]:
    reply = box.driver.http.get(f"{box.url}/metrics")
    assert reply.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def test_metrics_parse_and_move_after_a_deliver(box, seller, session):
    make_order(session, "1001", product=make_product(session))
    session.commit()
    requests = ("deliverybot_slack_requests_total", (("outcome", "ok"), ("surface", "command")))
    acks = ("deliverybot_ack_seconds_count", (("surface", "command"),))
    sent = ("deliverybot_outbox_sends_total", (("outcome", "sent"),))
    before = scrape(box)

    assert seller.runs("/deliver 1001").status_code == 200

    after = scrape(box)
    assert after[requests] == before.get(requests, 0) + 1
    assert after[acks] == before.get(acks, 0) + 1
    assert after[sent] > before.get(sent, 0)  # the delivery's step messages went out
    assert after[("deliverybot_orders", (("state", "awaiting_delivery"),))] == 1
    assert after[("deliverybot_outbox_backlog", ())] == 0
    for gauge in ("jobs_due", "jobs_late", "jobs_failed", "appeals_open", "appeals_overdue"):
        assert (f"deliverybot_{gauge}", ()) in after


def test_readyz_needs_a_worker_and_a_moving_outbox(box, session, clock):
    ready = box.driver.http.get(f"{box.url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["worker"] == "no worker has run yet"

    heartbeat.beat(box.session_factory, "w1", clock)
    ready = box.driver.http.get(f"{box.url}/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["database"] == "ok" and ready.json()["failed_jobs"] == 0

    enqueue(
        session,
        key="stuck",
        method="chat.postMessage",
        payload={"channel": box.slack.dm_channel(SELLER), "text": "x"},
        now=clock.now(),
    )
    session.commit()
    clock.advance(minutes=6)  # nothing sent it for longer than the allowed 5 minutes
    heartbeat.beat(box.session_factory, "w1", clock)
    ready = box.driver.http.get(f"{box.url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["outbox"] == "oldest unsent message waits 360 s"
    assert box.driver.http.get(f"{box.url}/healthz").json() == {"ok": True}


def test_metrics_add_up_every_process_when_serve_runs_several(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: each process writes its counts there; a scrape sums them."""
    import os
    import subprocess
    import sys

    count_one = (
        "from bot.core.telemetry import metrics\n"
        "metrics.SLACK_REQUESTS.labels('command', 'ok').inc()\n"
        "print(metrics.render().decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        scrape_text = subprocess.run(
            [sys.executable, "-c", count_one], env=env, capture_output=True, text=True, check=True
        ).stdout
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scrape_text)
        for s in family.samples
    }
    assert (
        samples[("deliverybot_slack_requests_total", (("outcome", "ok"), ("surface", "command")))]
        == 2
    )
