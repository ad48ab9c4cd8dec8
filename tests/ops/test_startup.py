"""Settings and the database are checked once, before anything runs: one line naming what to
fix, exit status 2, no traceback, the database password masked, no half-made database."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from bot.cli.main import cli

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-good",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "SLACK_APP_TOKEN": "",
}


@pytest.mark.parametrize(
    ("command", "changes", "line"),
    [
        (
            "serve",
            {"SLACK_SIGNING_SECRET": ""},
            "SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page",
        ),
        ("serve", {"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set: the Bot User OAuth Token"),
        ("worker", {"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set:"),
        (
            "serve",
            {"SLACK_BOT_TOKEN": "xoxp-user-token"},
            "SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-)",
        ),
        (
            "serve",
            {"SLACK_BOT_TOKEN": "xoxb-…"},
            "SLACK_BOT_TOKEN holds characters a token never has (a placeholder such as xoxb-…",
        ),
        (
            "serve",
            {"SLACK_APP_TOKEN": "xoxb-not-an-app-token"},
            "SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-)",
        ),
        ("serve", {"DELIVERYBOT_MAX_REQUEST_BYTES": "lots"}, "Configuration error in "),
        ("worker", {"DELIVERYBOT_WORKING_HOURS": "9-8"}, "Configuration error in "),
    ],
)
def test_a_missing_or_malformed_setting_is_one_line_and_exit_2(
    monkeypatch, tmp_path, command, changes, line
):
    monkeypatch.chdir(tmp_path)  # no developer's .env
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **changes}
    result = CliRunner().invoke(cli, [command], env=env)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), lines
    assert "xoxb-1-good" not in result.stderr  # the secrets themselves are never repeated
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def run(monkeypatch, tmp_path):
    """The command in an empty folder, with no configuration but `env`. Exceptions would show
    as `result.exception`: each test checks there is none but the exit."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, **env: str):
        settings = {"DATABASE_URL": None, "SLACK_BOT_TOKEN": None, **env}
        result = CliRunner().invoke(cli, list(args), env=settings)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    return invoke


def test_an_unreachable_database_is_one_line_with_its_password_masked(run):
    url = "postgresql+psycopg://deliverybot:s3cret-pw@127.0.0.1:9/deliverybot"
    result = run("orders", "list", DATABASE_URL=url)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "Cannot use the database at postgresql+psycopg://deliverybot:***@127.0.0.1:9/deliverybot:"
    )
    assert "s3cret-pw" not in result.stderr


def test_a_mistyped_database_url_is_one_line(run):
    result = run("products", "list", DATABASE_URL="postgress://db/x")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("DATABASE_URL is not a database URL"), lines


def test_reading_before_anything_was_imported_says_which_command_and_creates_nothing(run, tmp_path):
    result = run("orders", "list")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "There is no database at deliverybot.db yet: run `deliverybot db upgrade` to create it "
        "(or import products first, which creates it)."
    )
    assert list(tmp_path.iterdir()) == []


def test_imports_create_the_database_they_need(run):
    """README step 3 once imported before anything created the tables."""
    from tests.test_cli import EXAMPLES

    assert run("products", "import", str(EXAMPLES / "products.yaml")).exit_code == 0
    imported = run("orders", "import", str(EXAMPLES / "orders.csv"))
    assert imported.exit_code == 0, imported.stderr
    listed = run("orders", "list")
    # piped, a row is one line however wide
    row = next(line for line in listed.stdout.splitlines() if "12345" in line)
    assert "awaiting_delivery" in row and "2026-01-01 09:00" in row
    assert "(up to date)" in run("db", "current").stdout


def test_an_unexpected_error_is_one_masked_line_and_the_traceback_only_with_debug(
    monkeypatch, capsys
):
    import bot.cli.main as main_module
    from bot.core.masking import register_secrets

    register_secrets(["plain-signing-secret-value"])

    def explode(**_):
        raise RuntimeError("Slack said no to xoxb-123-456-secret and plain-signing-secret-value")

    monkeypatch.setattr("bot.cli.checks.run_checks", explode)
    for args, traceback_shown in ((["check"], False), (["--debug", "check"], True)):
        monkeypatch.setattr(sys, "argv", ["deliverybot", *args])
        with pytest.raises(SystemExit) as stopped:
            main_module.main()
        assert stopped.value.code == 1
        err = capsys.readouterr().err
        assert "xoxb-123" not in err and "plain-signing-secret-value" not in err
        assert "RuntimeError" in err
        assert ("Traceback" in err) is traceback_shown


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("deliverybot ")
