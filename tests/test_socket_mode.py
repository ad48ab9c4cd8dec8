"""`deliverybot serve` with SLACK_APP_TOKEN set: Socket Mode over a WebSocket, no HTTP port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.fakeslack.server import FakeSlack
from tests.e2e.test_deliver_command import blocks_text
from tests.ops.test_serve_readiness import ready_within
from tests.test_serve import free_port, stop

APP_TOKEN = "xapp-test"


@pytest.fixture
def fake_slack():
    with FakeSlack() as slack:
        slack.add_user("USELLER", "sam", email="sam@isv.example", tz="Europe/Paris")
        yield slack


def deliver_command(slack: FakeSlack, user: str) -> dict[str, str]:
    """The form fields of `/deliver` as Slack puts them in a Socket Mode envelope."""
    return {
        "token": "legacy",
        "team_id": slack.team_id,
        "team_domain": "fake",
        "channel_id": slack.dm_channel(user),
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": slack.users[user].name,
        "command": "/deliver",
        "text": "",
        "api_app_id": "A0001",
        "response_url": f"{slack.base_url}/respond/1",
        "trigger_id": "1.1.trigger",
    }


def test_serve_with_an_app_token_answers_commands_over_socket_mode(tmp_path, fake_slack):
    port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_APP_TOKEN": APP_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--host", "127.0.0.1"]
        + ["--health-port", str(health_port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        try:
            fake_slack.socket_mode.wait_for_connection(timeout=20)
        except TimeoutError:
            process.kill()
            raise AssertionError(process.communicate()[0]) from None
        ack = fake_slack.socket_mode.send(
            "slash_commands", deliver_command(fake_slack, "USELLER"), timeout=10
        )
        assert "No orders are waiting for your delivery" in blocks_text(ack["payload"]["blocks"])
        for malformed in (
            {"type": "block_actions", "user": {"id": "USELLER"}, "actions": []},
            {"type": "event_callback", "event": "not an event"},
            {"type": "view_submission", "view": None},
        ):  # acknowledged (Slack would send them again), never handed to Bolt
            assert "payload" not in fake_slack.socket_mode.send("interactive", malformed)
        again = fake_slack.socket_mode.send(
            "slash_commands", deliver_command(fake_slack, "USELLER")
        )
        assert "No orders are waiting" in blocks_text(again["payload"]["blocks"])
        # it asked for the WebSocket with the app-level token, and nothing listens over HTTP
        opened = fake_slack.calls_to("apps.connections.open")
        assert opened and all(call.token == APP_TOKEN for call in opened)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        # an orchestrator probes Socket Mode on the health port
        health = f"http://127.0.0.1:{health_port}"
        assert ready_within(health, 15).json()["slack"] == "ok"
        assert httpx.get(f"{health}/healthz").json() == {"ok": True}
        metrics = httpx.get(f"{health}/metrics").text
        assert "deliverybot_orders" in metrics
        requests = {
            (sample.labels["surface"], sample.labels["outcome"]): sample.value
            for family in text_string_to_metric_families(metrics)
            if family.name == "deliverybot_slack_requests"
            for sample in family.samples
            if sample.name.endswith("_total")
        }
        assert requests == {("command", "ok"): 2.0, ("unknown", "malformed"): 3.0}
    finally:
        output = stop(process)
    assert APP_TOKEN not in output and fake_slack.token not in output  # tokens stay out of logs
    assert output.count("Ignored a malformed interactive envelope from Slack") == 3
    assert "Traceback" not in output
