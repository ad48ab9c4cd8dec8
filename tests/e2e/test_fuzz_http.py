"""Fuzzing the HTTP boundary. Signed Slack requests of every kind manifest.yml subscribes to (a
slash command; block_actions and view_submission for each of our buttons and modals;
event_callback with message, file_share, file_shared and app_home_opened;
url_verification), each broken at least once: a field the listener needs deleted, null, of
the wrong type or in the wrong format, a field Bolt reads of the wrong type, the body cut
short, not an object, not UTF-8, nested past the parser's depth, or past the size limit.

Each is sent signed to the real app over HTTP and must get a 2xx or 4xx, exactly one WARNING
line and no traceback, leave the database exactly as it was, and leave the bot answering the
next valid request. A few hundred examples by default; `HYPOTHESIS_PROFILE=thorough` runs
thousands (see README).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core.ids import ActionId, BlockId, CallbackId
from bot.demo.sandbox import SIGNING_SECRET
from bot.supervision.views.customer import REASON_INPUT
from tests.e2e import slack_requests as requests
from tests.factories import SELLER

settings.register_profile("boundary", max_examples=250, deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "boundary"))

DELETE = "<delete>"  # a sentinel the strategies draw: remove the key
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)
LISTS = st.lists(JSON_VALUES, max_size=2)
OBJECTS = st.dictionaries(st.text(max_size=3), JSON_VALUES, max_size=2)
NUMBERS = st.booleans() | st.integers() | st.floats()
NOT_TEXT_NOR_NULL = NUMBERS | LISTS | OBJECTS
NOT_TEXT = st.none() | NOT_TEXT_NOR_NULL
NOT_OBJECT = st.none() | NUMBERS | st.text(max_size=5) | LISTS
NOT_LIST = st.none() | NUMBERS | st.text(max_size=5) | OBJECTS
BAD_IDS = ["", "u123", "U", "U" * 40, "USELLER ", "USELLER\n", "abc|def", "U\x00", "U\ud800"]
BAD_NUMBERS = ["abc|def", "", "0", "-1", "1.5", "99999999999", "１２", " 7", "7 "]


def needed(*bad: str) -> st.SearchStrategy[Any]:
    """A field the listener needs: gone, null, not a string, or in the wrong format."""
    in_format = st.sampled_from(bad) if bad else st.nothing()
    return st.one_of(in_format, in_format, st.just(DELETE), NOT_TEXT)  # the listeners' checks first


NEEDED_OBJECT = st.just(DELETE) | NOT_OBJECT
NEEDED_LIST = st.just(DELETE) | st.just([]) | NOT_LIST
TYPED_IF_THERE = NOT_TEXT  # has a default when absent: only a null or a wrong type breaks it
# what Bolt reads from any payload (bot.slack.inbound.Envelope), given the wrong type
BOLT_READS = {
    "team": NUMBERS | LISTS,
    "channel": st.integers() | st.lists(st.integers(), min_size=1) | st.just({"id": 5}),
    "enterprise": st.integers() | st.booleans() | st.just({"id": []}),
    "authorizations": st.integers() | st.text(min_size=1) | st.just([{"team_id": 7}]),
    "message": st.integers() | st.text() | st.just({"user": {"id": 1}}),
    "response_url": NOT_TEXT_NOR_NULL,
    "thread_ts": NOT_TEXT_NOR_NULL,
}


@dataclass(frozen=True)
class Template:
    """A valid request, and what in it its listener (or Bolt) cannot do without."""

    name: str
    shape: str  # "command" (form fields), "payload" (form payload=JSON) or "json"
    needs: dict[tuple[Any, ...], st.SearchStrategy[Any]] = field(default_factory=dict)


CLICK = {
    ("type",): needed("", "block_action", "event_callback", "view_submission"),
    ("user",): NEEDED_OBJECT,
    ("user", "id"): needed(*BAD_IDS),
    ("actions",): NEEDED_LIST,
    ("actions", 0): NEEDED_OBJECT,
    ("actions", 0, "action_id"): needed("", "no_such_action"),
}
VALUE_IS_ID = {("actions", 0, "value"): needed(*BAD_NUMBERS)}
VALUE_IS_ORDER = {("actions", 0, "value"): needed("", "   ", "x" * 101, "123\x00", "\ud800")}
OPENS_MODAL = {("trigger_id",): needed()}
MODAL = {
    ("type",): needed("", "view_submissions", "block_actions", "event_callback"),
    ("user",): NEEDED_OBJECT,
    ("user", "id"): needed(*BAD_IDS),
    ("view",): NEEDED_OBJECT,
    ("view", "id"): needed(),
    ("view", "type"): needed(),
    ("view", "callback_id"): needed("", "no_such_modal"),
    ("view", "state"): NEEDED_OBJECT,
    ("view", "state", "values"): NEEDED_OBJECT,
}
EVENT = {
    ("type",): needed("", "event_callbacks", "block_actions", "view_submission"),
    ("event_id",): needed("", "Ev", "ev123", "Ev 1", "Ev" + "x" * 70),
    ("event",): NEEDED_OBJECT,
    ("event", "type"): needed("", "no_such_event"),
}
PERSON = {("event", "user"): needed(*BAD_IDS)}
SEATS = ("view", "state", "values", "template_field:seats", "value", "value")
CHECKS = ("view", "state", "values", "template_field:checks", "value", "selected_options")
FIND = ("view", "state", "values", BlockId.FIND_ORDER_INPUT)
REASON = ("view", "state", "values", BlockId.CHANGES_REASON)
PROOF_CHOICE = ("view", "state", "values", BlockId.APPEAL_PROOF, "value", "selected_options")
ADDED_FILE = ("view", "state", "values", BlockId.APPEAL_FILES, "value", "files")
APPEAL_META = needed("", "abc", "{}", "[]", '{"order_no": ""}', '{"order_no": 5}')
DECISION_META = needed(
    "",
    "{}",
    '{"appeal_id": "1", "decision": "reject"}',
    '{"appeal_id": true, "decision": "reject"}',
    '{"appeal_id": 0, "decision": "reject"}',
    '{"appeal_id": 1, "decision": "maybe"}',
)

TEMPLATES = [
    Template(
        "command",
        "command",
        {
            ("user_id",): needed(*BAD_IDS),
            ("command",): st.sampled_from([DELETE, "", "/deliverr", "/DELIVER"]),
            ("text",): st.just("x" * 4001),
            ("response_url",): st.sampled_from(["", "ftp://x", "not a url", "http://"]),
        },
    ),
    *[
        Template(action, "payload", {**CLICK, **VALUE_IS_ID, **extra})
        for action, extra in [
            (ActionId.ENABLING_NOT_STATED, {}),
            (ActionId.OPEN_TEMPLATE, OPENS_MODAL),
            (ActionId.SUBMIT, {}),
            (ActionId.TAKE_OVER, {}),
            (ActionId.FILE_REMOVE, {}),
        ]
    ],
    *[
        Template(action, "payload", {**CLICK, **VALUE_IS_ORDER, **extra})
        for action, extra in [
            (ActionId.DELIVER, {}),
            (ActionId.CANCEL_DRAFT, {}),
            (ActionId.REMIND_AGAIN, {}),
            (ActionId.INITIATE_APPEAL, OPENS_MODAL),
            (ActionId.CUSTOMER_APPEAL, OPENS_MODAL),
        ]
    ],
    *[
        Template(action, "payload", {**CLICK, **VALUE_IS_ID, **extra})
        for action, extra in [
            (ActionId.OPS_COMPLETE, {}),
            (ActionId.EVIDENCE_PACK, {}),
            (ActionId.OPS_RETURN, OPENS_MODAL),
            (ActionId.OPS_REJECT, OPENS_MODAL),
        ]
    ],
    Template(ActionId.FIND_ORDER, "payload", {**CLICK, **OPENS_MODAL}),
    Template(
        ActionId.ENABLING_USE,
        "payload",
        {
            **CLICK,
            ("actions", 0, "value"): needed(
                "abc|def", "7", "7|x", "|2026-01-02T00:00:00+00:00", "7|2026-01-02T00:00:00"
            ),
        },
    ),
    Template(
        ActionId.CHANGE_STEP,
        "payload",
        {**CLICK, ("actions", 0, "value"): needed("7", "7|", "x|files", "7|review", "|files")},
    ),
    Template(
        ActionId.ENABLING_DATE,
        "payload",
        {
            **CLICK,
            ("actions", 0, "block_id"): needed(
                "", "delivery_enabling:", "delivery_enabling:x", "other:7"
            ),
            ("actions", 0, "selected_date"): needed("", "2026-02-30", "05/01/2026", "2026-1-5"),
        },
    ),
    Template(
        ActionId.FILE_KIND,
        "payload",
        {
            **CLICK,
            ("actions", 0, "selected_option"): NEEDED_OBJECT,
            ("actions", 0, "selected_option", "value"): needed("7", "7:nope", "x:sow", ":sow"),
        },
    ),
    Template(
        ActionId.FILE_ATTACH,
        "payload",
        {**CLICK, ("actions", 0, "value"): needed("12345", "12345|", "|F0123", "12345|f0123")},
    ),
    Template(
        ActionId.ACCEPT,
        "payload",
        {**CLICK, ("actions", 0, "value"): needed("abc|def", "777", "|5", "777|0")},
    ),
    Template(
        ActionId.REQUEST_CHANGES,
        "payload",
        {**CLICK, **OPENS_MODAL, ("actions", 0, "value"): needed("abc|def", "777|")},
    ),
    Template(
        CallbackId.TEMPLATE,
        "payload",
        {
            **MODAL,
            ("view", "private_metadata"): needed("abc", "", "0"),
            SEATS: st.sampled_from(["NaN", "Infinity", "1e999999", "lots", "2,5e3"])
            | NOT_TEXT_NOR_NULL,
            CHECKS: NUMBERS | st.text(max_size=5) | OBJECTS,
        },
    ),
    Template(
        CallbackId.FIND_ORDER,
        "payload",
        {
            **MODAL,
            FIND: NEEDED_OBJECT,
            (*FIND, "value"): NEEDED_OBJECT,
            (*FIND, "value", "value"): NOT_TEXT_NOR_NULL,
        },
    ),
    Template(
        CallbackId.REQUEST_CHANGES,
        "payload",
        {
            **MODAL,
            ("view", "private_metadata"): needed("abc|def", "777"),
            REASON: NEEDED_OBJECT,
            (*REASON, REASON_INPUT): NEEDED_OBJECT,
        },
    ),
    Template(
        CallbackId.SELLER_APPEAL,
        "payload",
        {
            **MODAL,
            ("view", "private_metadata"): APPEAL_META,
            PROOF_CHOICE: NUMBERS | st.text(max_size=5) | OBJECTS,  # absent or null: none chosen
            (*PROOF_CHOICE, 0, "value"): needed(*BAD_NUMBERS),
            (*ADDED_FILE, 0, "id"): needed("", "f1", "F"),
        },
    ),
    Template(
        CallbackId.CUSTOMER_APPEAL,
        "payload",
        {**MODAL, ("view", "private_metadata"): APPEAL_META},
    ),
    Template(
        CallbackId.OPS_DECISION,
        "payload",
        {**MODAL, ("view", "private_metadata"): DECISION_META},
    ),
    Template(
        "message",
        "json",
        {
            **EVENT,
            **PERSON,
            ("event", "ts"): needed("", "abc", "1.2.3"),
            ("event", "text"): TYPED_IF_THERE,
        },
    ),
    Template(
        "file_share",
        "json",
        {
            **EVENT,
            **PERSON,
            ("event", "files"): NEEDED_LIST,
            ("event", "files", 0): NEEDED_OBJECT,
            ("event", "files", 0, "id"): needed("", "f1", "F"),
        },
    ),
    Template(
        "file_shared",
        "json",
        {
            **EVENT,
            ("event", "file_id"): needed("", "f1"),
            ("event", "user_id"): needed(*BAD_IDS),
            ("event", "channel_id"): TYPED_IF_THERE,
        },
    ),
    Template("app_home_opened", "json", {**EVENT, **PERSON, ("event", "tab"): TYPED_IF_THERE}),
    Template(
        "url_verification",
        "json",
        {("type",): st.sampled_from([DELETE, None, 5, ["url_verification"]])},
    ),
]


@dataclass(frozen=True)
class Breakage:
    template: str
    changes: tuple[tuple[tuple[Any, ...], Any], ...] = ()  # (path, value or DELETE)
    body: tuple[str, Any] | None = None  # how the whole body is broken


@st.composite
def breakages(draw) -> Breakage:
    template = draw(st.sampled_from(TEMPLATES))
    paths = sorted(template.needs, key=repr)
    body_ways = ["truncate", "not_utf8", "oversize", "deep"]
    if template.shape != "command":
        body_ways += ["not_object", "bolt_reads"]
    way = draw(st.sampled_from(["fields"] * 2 * len(body_ways) + body_ways))
    if way == "fields":
        chosen = draw(st.permutations(paths))[: draw(st.sampled_from([1, 1, 1, 2, 3]))]
        return Breakage(template.name, tuple((p, draw(template.needs[p])) for p in chosen))
    if way == "not_object":
        return Breakage(template.name, body=(way, draw(NOT_OBJECT)))
    if way == "bolt_reads":
        key = draw(st.sampled_from(sorted(BOLT_READS)))
        return Breakage(template.name, (((key,), draw(BOLT_READS[key])),))
    return Breakage(template.name, body=(way, draw(st.floats(0, 1))))


def apply(payload: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set (or delete) the value at `path`; nothing if an earlier change removed its parent
    (the first change of a breakage always applies: the valid request has every parent)."""
    *parents, last = path
    for key in parents:
        if not _has(payload, key):
            return
        payload = payload[key]
    if isinstance(value, str) and value == DELETE:
        if _has(payload, last):
            del payload[last]
    elif isinstance(payload, dict) or _has(payload, last):
        payload[last] = value


def _has(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def build(breakage: Breakage, valid: dict[str, Any], limit: int) -> tuple[bytes, str]:
    """The broken request's body and content type."""
    template = next(t for t in TEMPLATES if t.name == breakage.template)
    payload = json.loads(json.dumps(valid[template.name]))
    for path, value in breakage.changes:
        apply(payload, path, value)
    way, how = breakage.body or ("", None)
    if way == "not_object":
        payload = how
    if template.shape == "command":
        # a lone surrogate (BAD_IDS) is sent as the bytes a careless client would encode it to
        body = urlencode(payload, encoding="utf-8", errors="surrogatepass")
        content_type = "application/x-www-form-urlencoded"
        user_at = body.find("user_id=")  # the last field: a cut loses (at least) the user id
        cut_within = user_at + len("user_id=") if user_at >= 0 else len(body)
    elif template.shape == "payload":
        body, content_type = (
            "payload=" + quote(json.dumps(payload)),
            "application/x-www-form-urlencoded",
        )
        cut_within = len(body) - 1
    else:
        body, content_type = json.dumps(payload), "application/json"
        cut_within = len(body) - 1
    raw = body.encode()
    if way == "truncate":
        raw = raw[: int(how * cut_within)]
    elif way == "not_utf8":
        at = int(how * len(raw))
        raw = raw[:at] + b"\xff\xfe" + raw[at:]
    elif way == "oversize":
        raw = raw + b"&pad=" + b"x" * (limit + int(how * 1000))
    elif way == "deep":
        depth = 1000 + int(how * 20000)
        raw = b"[" * depth + b"]" * depth
        content_type = "application/json"
    return raw, content_type


def post(box, raw: bytes, content_type: str):
    """Signed as Slack signs (the driver can only sign text)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
    )
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        "Content-Type": content_type,
    }
    response = box.driver.http.post(box.driver.app_url, content=raw, headers=headers)
    box.settle()
    return response


@pytest.fixture
def valid(box, session) -> dict[str, Any]:
    world = requests.seed(box, session)
    return {
        "command": requests.command(box.driver),
        **requests.clicks(box.driver, world),
        **requests.submissions(world),
        **requests.events(world),
        "url_verification": {"type": "url_verification", "token": "legacy", "challenge": "c"},
    }


@settings(
    PROFILE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(breakage=breakages())
def test_no_broken_request_gets_a_5xx_a_traceback_or_a_change(box, engine, caplog, valid, breakage):
    raw, content_type = build(breakage, valid, box.settings.max_request_bytes)
    before = requests.database_state(engine)
    caplog.clear()

    response = post(box, raw, content_type)
    event(f"answered {response.status_code}")  # in --hypothesis-show-statistics

    assert response.status_code < 500, response.text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, (response.status_code, warnings)
    assert requests.database_state(engine) == before
    reply = box.person(SELLER).runs("/deliver help")
    assert reply.status_code == 200 and reply.json()["blocks"]
