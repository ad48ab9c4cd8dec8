"""`deliverybot serve` as a real process when Slack cannot be reached: it starts anyway, and
/readyz says not ready until Slack accepted the token."""

from __future__ import annotations

import json
import time

import httpx

from bot.fakeslack.server import FakeSlack
from tests.test_serve import free_port, start_serve, stop


def ready_within(url: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        reply = httpx.get(f"{url}/readyz", timeout=5)
        if reply.status_code == 200 or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)


def test_serve_starts_without_slack_and_says_it_is_not_ready(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/api/"
    process, url = start_serve(tmp_path, closed, "xoxb-unreachable-token")
    try:
        assert httpx.get(f"{url}/healthz").json() == {"ok": True}
        deadline = time.monotonic() + 15
        while True:  # the first auth.test is still trying to connect, then it gives up
            reply = httpx.get(f"{url}/readyz")
            assert reply.status_code == 503
            if reply.json()["slack"] != "verifying the token" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert reply.json()["slack"].startswith("unreachable: ")
    finally:
        output = stop(process)
    assert "Traceback" not in output and "xoxb-unreachable-token" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len([line for line in lines if "Slack cannot be reached" in line["event"]]) == 1


def test_readyz_turns_ready_once_auth_test_succeeds(tmp_path):
    with FakeSlack() as slack:
        held = slack.hold("auth.test")
        process, url = start_serve(tmp_path, slack.api_url, slack.token)
        try:
            held.wait_reached()
            reply = httpx.get(f"{url}/readyz")
            assert reply.status_code == 503
            assert reply.json()["slack"] == "verifying the token"
            held.release()
            reply = ready_within(url, 15)
            assert reply.status_code == 200, reply.json()
            assert reply.json()["slack"] == "ok" and reply.json()["worker"] == "ok"
        finally:
            output = stop(process)
    assert "Slack accepted the bot token" in output
