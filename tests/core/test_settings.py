"""Settings from the environment and .env, and tokens kept out of logs."""

import logging
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.bootstrap import make_client
from bot.cli.main import cli
from bot.core.masking import MaskTokens
from bot.core.settings import Settings
from bot.slack.downloads import file_origins


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api/")
    monkeypatch.setenv("DELIVERYBOT_REMINDER_DAYS", "2, 4,8")
    monkeypatch.setenv("DELIVERYBOT_WORKING_HOURS", "8-17")
    monkeypatch.setenv("DELIVERYBOT_AUTO_ACCEPT_DAYS", "")
    settings = Settings()
    assert settings.reminder_days == (2, 4, 8)
    assert settings.working_hours == (8, 17)
    assert settings.auto_accept_days is None
    assert settings.database_url == "sqlite:///deliverybot.db"
    assert ("https", "files.slack-gov.com", 443) in file_origins(settings.slack_api_url)
    assert make_client(settings).base_url == "https://slack-gov.com/api/"


def test_dotenv_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / ".env").write_text(
        "DATABASE_URL=postgresql+psycopg://u@db/x\nDELIVERYBOT_AUTO_ACCEPT_DAYS=14\n"
    )
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@db/x"
    assert settings.auto_accept_days == 14


def test_tokens_are_masked_in_logs():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s used", ("xoxb-123-abc",), None
    )
    MaskTokens().filter(record)
    assert "xoxb-123" not in record.getMessage()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DELIVERYBOT_WORKING_HOURS", "09:00-18:00", (9, 18)),
        ("DELIVERYBOT_WORKING_HOURS", "8-17", (8, 17)),
        ("DELIVERYBOT_REMINDER_DAYS", "7,1,3", (1, 3, 7)),
        ("DELIVERYBOT_AUTO_ACCEPT_DAYS", "off", None),
    ],
)
def test_settings_read_the_usual_notations(monkeypatch, tmp_path, variable, value, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    field = {
        "DELIVERYBOT_WORKING_HOURS": "working_hours",
        "DELIVERYBOT_REMINDER_DAYS": "reminder_days",
        "DELIVERYBOT_AUTO_ACCEPT_DAYS": "auto_accept_days",
    }[variable]
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DELIVERYBOT_WORKING_HOURS", "18-9", "must start before they end"),
        ("DELIVERYBOT_WORKING_HOURS", "9-25", "must start before they end"),
        ("DELIVERYBOT_WORKING_HOURS", "09:30-18:00", "whole hours"),
        ("DELIVERYBOT_REQUIRED_PROOF_KINDS", "sow,acceptence", "unknown proof kind(s) acceptence"),
        ("DELIVERYBOT_DATE_LANGUAGES", "en,klingon", "no date language klingon"),
        ("DELIVERYBOT_AUTO_ACCEPT_DAYS", "-3", "from 1"),
        ("DELIVERYBOT_REMINDER_DAYS", "0,3", "from 1"),
    ],
)
def test_a_wrong_setting_stops_the_command_with_a_clear_message(
    monkeypatch, tmp_path, variable, value, says
):
    monkeypatch.chdir(tmp_path)  # no developer's .env
    result = CliRunner().invoke(
        cli, ["db", "upgrade"], env={variable: value, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert result.exit_code == 2
    assert f"Configuration error in {variable}" in result.stderr and says in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_real_process_exits_2_with_one_line_and_no_traceback(tmp_path):
    env = {
        **os.environ,
        "DELIVERYBOT_WORKING_HOURS": "18-9",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error in DELIVERYBOT_WORKING_HOURS: working hours must start before they "
        "end within a day (got 18-9)"
    ]
    assert "Traceback" not in result.stderr


def test_automatic_acceptance_needs_at_least_the_days_of_its_notice():
    from pydantic import ValidationError

    from bot.core.settings import AUTO_ACCEPT_NOTICE

    shortest = AUTO_ACCEPT_NOTICE.days
    assert Settings(_env_file=None, DELIVERYBOT_AUTO_ACCEPT_DAYS=shortest).auto_accept_days == 1
    with pytest.raises(ValidationError, match="announced to the customer 1 day ahead"):
        Settings(_env_file=None, DELIVERYBOT_AUTO_ACCEPT_DAYS=-1)
