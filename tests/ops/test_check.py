"""`deliverybot check`: one ✔/✘ line per check with what to do, non-zero when anything fails,
--json for scripts."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli.checks import REPO_MANIFEST
from bot.cli.main import cli
from bot.fakeslack.records import BOT_USER
from bot.jobs import heartbeat
from bot.ops.checks import manifest_scopes

SECRET = "0123456789abcdef0123456789abcdef"


def check(box, *args: str, **env: str):
    settings = {
        "DATABASE_URL": box.database_url,
        "SLACK_BOT_TOKEN": box.slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": box.slack.api_url,
        "SLACK_APP_TOKEN": "",
        "DELIVERYBOT_OPS_CHANNEL": "COPS",
        **env,
    }
    return CliRunner().invoke(cli, ["check", *args], env=settings)


def test_a_working_installation_passes_every_check(box, clock, monkeypatch):
    monkeypatch.setattr("bot.core.clock.SystemClock.now", lambda self: clock.now())
    box.slack.scopes = manifest_scopes(REPO_MANIFEST)
    box.slack.add_channel("COPS", ["UOPS", BOT_USER])
    heartbeat.beat(box.session_factory, "worker-1", clock)

    result = check(box)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(line.startswith("✔ ") for line in lines), lines
    names = [line[2:].split(":")[0] for line in lines]
    assert names == [
        "settings",
        "signing secret",
        "database",
        "worker",
        "failed jobs",
        "failed messages",
        "slack token",
        "scopes",
        "ops channel",
    ]


def test_each_problem_is_a_line_saying_what_to_do(box):
    box.slack.scopes = ["chat:write", "commands"]  # installed before the manifest grew

    result = check(box, "--json", SLACK_SIGNING_SECRET="too-short")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    failed = {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert "not the 32 hexadecimal characters Slack issues" in failed["signing secret"]
    assert failed["worker"].startswith("never seen: start `deliverybot serve`")
    assert "missing channels:history" in failed["scopes"] and "reinstall" in failed["scopes"]
    assert failed["ops channel"] == (
        "the bot is not in COPS: type `/invite @deliverybot` in that channel"
    )


def test_a_refused_token_and_an_unset_ops_channel(box):
    result = check(box, SLACK_BOT_TOKEN="xoxb-revoked", DELIVERYBOT_OPS_CHANNEL="")
    assert result.exit_code == 1
    assert (
        "✘ slack token: Slack said invalid_auth: copy the Bot User OAuth Token again"
        in result.stdout
    )
    assert "xoxb-revoked" not in result.stdout
