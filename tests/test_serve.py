"""`deliverybot serve` as a user runs it: a real process, configured from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.server import FakeSlack
from storage.engine import make_engine
from storage.migrate import current_revision, head_revision
from tests.e2e.test_deliver_command import blocks_text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_slack():
    with FakeSlack() as slack:
        slack.add_user("USELLER", "sam", email="sam@isv.example", tz="Europe/Paris")
        yield slack


def start_serve(tmp_path, api_url: str, token: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`deliverybot serve` on a SQLite file in tmp_path, once /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": api_url,
        "SLACK_APP_TOKEN": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--host", "127.0.0.1", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read())
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("serve did not start")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_serve_migrates_answers_health_and_handles_signed_commands(tmp_path, fake_slack):
    process, url = start_serve(tmp_path, fake_slack.api_url, fake_slack.token)
    try:
        assert httpx.get(f"{url}/healthz").json() == {"ok": True}
        driver = SlackDriver(app_url=url, signing_secret="serve-secret", slack=fake_slack)
        reply = driver.command("USELLER", "")
        assert reply.status_code == 200
        assert "No orders are waiting for your delivery" in blocks_text(reply.json()["blocks"])
        forged = SlackDriver(app_url=url, signing_secret="wrong", slack=fake_slack).command(
            "USELLER", ""
        )
        assert forged.status_code == 401
        # every Slack call went to SLACK_API_URL, with the bot token
        assert fake_slack.calls and all(call.token == fake_slack.token for call in fake_slack.calls)
    finally:
        output = stop(process)
    assert fake_slack.token not in output  # tokens never reach the logs


def test_serve_on_a_database_it_may_not_migrate_stops_with_one_line(tmp_path, fake_slack):
    """Checked once at start: nothing is served on a database without its tables, and no
    empty database file is left behind."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_APP_TOKEN": "",
    }
    command = [sys.executable, "-m", "bot", "serve", "--no-migrate", "--port", str(free_port())]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"There is no database at {tmp_path / 'serve.db'} yet: run `deliverybot db upgrade` to "
        "create it (or import products first, which creates it)."
    ]
    assert not (tmp_path / "serve.db").exists()


def test_db_upgrade_command_migrates(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    head = head_revision(engine)
    assert current_revision(engine) == head
    assert result.stdout == f"Database is at revision {head}.\n"
    engine.dispose()


@pytest.mark.parametrize(("args", "host"), [((), "127.0.0.1"), (("--host", "0.0.0.0"), "0.0.0.0")])
def test_serve_listens_on_this_machine_only_unless_told(monkeypatch, args, host):
    """A container passes --host 0.0.0.0; nobody else is exposed by default."""
    from typer.testing import CliRunner

    import bot.cli.main
    import bot.server

    seen = {}
    monkeypatch.setattr(bot.server, "run", lambda settings, **kw: seen.update(kw))
    monkeypatch.setattr(bot.cli.main, "configure_logging", lambda: None)
    monkeypatch.setattr(bot.cli.main, "open_database", lambda settings, migrate: None)
    env = {"SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}

    result = CliRunner().invoke(bot.cli.main.cli, ["serve", *args], env=env)

    assert result.exit_code == 0, result.output
    assert seen["host"] == host
