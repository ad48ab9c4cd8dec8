"""Logs: one JSON object a line off a terminal, readable lines on one; secrets masked in
messages, arguments and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.core.masking import register_secrets
from bot.core.telemetry.logs import configure, log_context

TOKEN = "xoxb-2024-77-AbCdEfGhIjKl"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture
def logged():
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    register_secrets([SIGNING_SECRET])
    yield stream
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def test_a_traceback_carrying_a_token_is_masked(logged):
    configure("INFO", as_json=True, stream=logged)

    def call_slack(url: str) -> None:
        token = TOKEN  # noqa: F841 (a local shows in some tracebacks)
        raise ConnectionError(f"could not reach {url} with {TOKEN} signed by {SIGNING_SECRET}")

    try:
        call_slack("postgresql+psycopg://bot:hunter22@db/x")
    except ConnectionError:
        with log_context(request_id="r1", user="USELLER", job_id=7):
            logging.getLogger("bot.test").exception("sending order %s failed", "12345")

    output = logged.getvalue()
    assert TOKEN not in output and SIGNING_SECRET not in output and "hunter22" not in output
    line = json.loads(output.strip())
    assert line["level"] == "ERROR" and line["event"] == "sending order 12345 failed"
    assert (line["request_id"], line["user"], line["job_id"]) == ("r1", "USELLER", "7")
    assert "ConnectionError" in line["traceback"] and "xox…" in line["traceback"]


def test_text_lines_on_a_terminal_mask_arguments_too(logged):
    configure("DEBUG", as_json=False, stream=logged)
    logging.getLogger("bot.test").info("token %s, app token %s", TOKEN, "xapp-1-A0-secret")
    logging.getLogger("bot.test").debug("hidden", extra={"order_no": "12345"})
    output = logged.getvalue()
    assert TOKEN not in output and "xapp-1-A0-secret" not in output
    assert "order_no=12345" in output
    assert not output.lstrip().startswith("{")


def test_the_level_is_chosen(logged):
    configure("WARNING", as_json=True, stream=logged)
    logging.getLogger("bot.test").info("not shown")
    logging.getLogger("bot.test").warning("shown")
    assert [json.loads(line)["event"] for line in logged.getvalue().splitlines()] == ["shown"]
