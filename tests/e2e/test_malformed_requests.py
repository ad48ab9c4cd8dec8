"""Malformed but signed requests, as seen in the wild: each gets a 2xx or a 4xx (never a 500),
one WARNING line and no traceback, changes nothing, and the person is told what to do next
where Slack lets us reach them (a slash command, a click with a response_url)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import urlencode

import httpx
import pytest

from bot.core.ids import ActionId, CallbackId
from handlers.boundary import CLICK_UNREADABLE, COMMAND_UNREADABLE
from tests.e2e.slack_requests import (
    clicks,
    command,
    database_state,
    events,
    form,
    seed,
    submissions,
)
from tests.factories import SELLER

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def world(box, session):
    return seed(box, session)


@pytest.fixture
def send(box, engine, caplog):
    """Send a signed request; check it changed nothing and was worth one warning line."""

    def send(body: str, content_type: str, **kw) -> tuple[httpx.Response, str]:
        before = database_state(engine)
        caplog.clear()
        response = box.driver.post(body, content_type, **kw)
        assert response.status_code < 500
        assert database_state(engine) == before
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.exc_info for r in lines] == [None], [r.getMessage() for r in lines]
        return response, lines[0].getMessage()

    return send


def test_a_payload_that_is_not_json_is_refused(send, world):
    response, line = send('payload={"type": "block_actions", "user":', FORM)
    assert response.status_code == 400
    assert "not UTF-8 JSON or form data" in line


def test_a_null_payload_is_refused(send, world):
    response, line = send("payload=null", FORM)
    assert response.status_code == 400
    assert "NoneType, not an object" in line


def test_a_slash_command_without_user_id_is_answered_politely(box, send, world):
    fields = command(box.driver)
    del fields["user_id"]
    response, line = send(urlencode(fields), FORM)
    assert response.status_code == 200
    assert response.json()["text"] == COMMAND_UNREADABLE
    assert "user_id: Field required" in line


@pytest.mark.parametrize("action", [ActionId.ACCEPT, ActionId.SUBMIT, ActionId.FILE_REMOVE])
def test_a_click_whose_value_is_not_a_number_is_answered_politely(box, send, world, action):
    payload = clicks(box.driver, world)[action]
    payload["actions"][0]["value"] = "abc|def"
    response, line = send(*form(payload))
    assert response.status_code == 200
    clicker = box.person(payload["user"]["id"])
    assert [r["text"] for r in clicker.responses()] == [CLICK_UNREADABLE]
    assert "expected a number" in line and "told them" in line


@pytest.mark.parametrize("text", ["12345\x00", "12345\ud800"])
def test_a_string_postgresql_cannot_store_is_refused(box, send, world, text):
    """A NUL character (PostgreSQL refuses it in text) or half a surrogate pair (not UTF-8)."""
    payload = clicks(box.driver, world)[ActionId.DELIVER]
    payload["actions"][0]["value"] = text
    response, line = send(*form(payload))
    assert response.status_code == 400
    assert "NUL character or a lone surrogate" in line


@pytest.mark.parametrize(
    ("callback_id", "kept"),
    [(CallbackId.FIND_ORDER, {}), (CallbackId.REQUEST_CHANGES, {"other_block": {}})],
)
def test_a_modal_submission_lacking_its_block_is_acked_quietly(box, send, world, callback_id, kept):
    payload = submissions(world)[callback_id]
    payload["view"]["state"]["values"] = kept
    response, line = send(*form(payload))
    assert response.status_code == 200 and response.text == ""
    assert "state.values" in line


def test_file_shared_without_a_file_is_acked_quietly(send, world):
    payload = events(world)["file_shared"]
    del payload["event"]["file_id"]
    response, line = send(json.dumps(payload), "application/json")
    assert response.status_code == 200
    assert "file_id: Field required" in line


@pytest.mark.parametrize("kind", ["file_share", "message", "app_home_opened"])
def test_an_event_with_a_null_user_is_acked_quietly(send, world, kind):
    payload = events(world)[kind]
    payload["event"]["user"] = None
    response, line = send(json.dumps(payload), "application/json")
    assert response.status_code == 200
    assert "user: Input should be a valid string" in line


def test_a_click_on_a_button_no_listener_takes_is_answered_politely(box, send, world):
    payload = clicks(box.driver, world)[ActionId.SUBMIT]
    payload["actions"][0]["action_id"] = "delivery_retired_button"
    response, line = send(*form(payload))
    assert response.status_code == 404
    assert [r["text"] for r in box.person(SELLER).responses()] == [CLICK_UNREADABLE]
    assert "block_actions delivery_retired_button" in line


@pytest.mark.parametrize("timestamp", ["soon", "1e9", "", "١٧٠٠٠٠٠٠٠٠".encode()])
def test_a_timestamp_that_is_not_a_number_is_unsigned(box, world, timestamp):
    body = urlencode(command(box.driver, "help"))
    headers = {"X-Slack-Request-Timestamp": timestamp}
    response = box.driver.post(body, FORM, headers=headers)
    assert response.status_code == 401


def test_a_body_over_the_limit_is_refused_unread(box, send, world):
    limit = box.settings.max_request_bytes
    payload = events(world)["message"]
    payload["event"]["text"] = "x" * limit
    response, line = send(json.dumps(payload), "application/json")
    assert response.status_code == 413
    assert f"over {limit} bytes" in line


def test_a_body_streamed_past_the_limit_is_refused_unread(box, world, engine, caplog):
    """No Content-Length (chunked): the server stops reading at the limit."""
    limit = box.settings.max_request_bytes
    chunk = b"x" * 65536
    pulled = []

    async def receive():
        pulled.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": len(pulled) < 1000}

    answer = []

    async def send(message):
        answer.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/slack/events",
        "query_string": b"",
        "headers": [(b"x-slack-request-timestamp", str(int(time.time())).encode())],
    }
    before = database_state(engine)
    asyncio.run(box.loopback_target(scope, receive, send))
    assert answer[0]["status"] == 413
    assert len(pulled) == limit // len(chunk) + 1  # one chunk past the limit, not 1,000
    assert database_state(engine) == before
    assert f"over {limit} bytes" in caplog.text
