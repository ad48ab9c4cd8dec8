"""Settings from the environment and .env, and tokens kept out of logs."""

import logging

from bot.app import MaskTokens, make_client
from bot.config import Settings


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
    assert "files.slack-gov.com" in settings.slack_file_hosts
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
