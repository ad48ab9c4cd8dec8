"""Valid Slack requests of every kind manifest.yml subscribes to, for a seeded world, and the
database's whole state to compare before and after a request. The malformed-request tests and
the fuzz test break these."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import SQLModel

from bot.core.ids import ActionId, BlockId, CallbackId
from bot.delivery import drafts
from bot.supervision.views.customer import REASON_INPUT
from storage.models import ProofFile
from storage.rows import saved_id
from tests.factories import CUSTOMER, SELLER, make_order, make_submitted_delivery

TEAM = "T0001"


@dataclass(frozen=True)
class World:
    """An order with a draft and a dropped proof file (the seller's), and another waiting for
    the customer's acceptance."""

    draft_id: int
    file_row: int
    file_id: str
    submitted_id: int


def seed(box, session) -> World:
    """Written straight to the database (no request, so quick): what the requests refer to."""
    make_order(session, "12345")
    waiting = make_order(session, "777")
    submitted = make_submitted_delivery(session, waiting, now=box.clock.now())
    draft = drafts.start_or_resume(
        session, order_no="12345", user=SELLER, identities={SELLER}, now=box.clock.now()
    ).delivery
    row = ProofFile(
        delivery_id=draft.id,
        slack_file_id="F0SOW",
        name="SOW-signed.pdf",
        size=8,
        kind="sow",
        added_by=SELLER,
        added_at=box.clock.now(),
    )
    session.add(row)
    session.commit()
    box.settle()  # the messages these queued are sent before any request under test
    return World(saved_id(draft), saved_id(row), row.slack_file_id, saved_id(submitted))


def database_state(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(table.select())), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


# -- the requests, as (kind, content type, body) ---------------------------------------------
def command(driver, text: str = "12345", user: str = SELLER) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": f"D{user}",
        "command": "/deliver",
        "text": text,
        "response_url": driver.response_url(user),
        "trigger_id": "1.2.trigger",
        "user_id": user,  # last: a body cut short loses it
    }


def click(driver, action: dict[str, Any], user: str = SELLER) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user, "team_id": TEAM},
        "api_app_id": "A0001",
        "team": {"id": TEAM, "domain": "fake"},
        "trigger_id": "1.2.trigger",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": f"D{user}"},
        "channel": {"id": f"D{user}"},
        "actions": [{"type": "button", "action_ts": f"{time.time():.6f}", **action}],
        "response_url": driver.response_url(user),
    }


def submission(callback_id: str, values: dict[str, Any], user: str = SELLER, **view: Any):
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "username": user, "team_id": TEAM},
        "trigger_id": "1.2.trigger",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "blocks": [],
            "state": {"values": values},
            **view,
        },
    }


def event(inner: dict[str, Any], event_id: str = "Ev0FUZZ") -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1769990000,
        "event": inner,
    }


def clicks(driver, world: World) -> dict[str, dict[str, Any]]:
    """A valid click on each of our buttons and pickers, by action id."""
    draft, row, customer = (
        str(world.draft_id),
        str(world.file_row),
        "777|" + str(world.submitted_id),
    )
    value = {
        ActionId.DELIVER: "12345",
        ActionId.ENABLING_NOT_STATED: draft,
        ActionId.ENABLING_USE: f"{draft}|2026-01-02T00:00:00+00:00",
        ActionId.OPEN_TEMPLATE: draft,
        ActionId.CHANGE_STEP: f"{draft}|files",
        ActionId.SUBMIT: draft,
        ActionId.TAKE_OVER: draft,
        ActionId.CANCEL_DRAFT: "12345",
        ActionId.FILE_REMOVE: row,
        ActionId.FILE_ATTACH: f"12345|{world.file_id}",
        ActionId.FIND_ORDER: "",
    }
    payloads = {
        action: click(driver, {"action_id": action, "block_id": "b", "value": v})
        for action, v in value.items()
    }
    payloads[ActionId.ENABLING_DATE] = click(
        driver,
        {
            "action_id": ActionId.ENABLING_DATE,
            "type": "datepicker",
            "block_id": f"{BlockId.ENABLING}:{draft}",
            "selected_date": "2026-01-05",
        },
    )
    payloads[ActionId.FILE_KIND] = click(
        driver,
        {
            "action_id": ActionId.FILE_KIND,
            "type": "static_select",
            "block_id": f"delivery_file:{row}",
            "selected_option": {"value": f"{row}:acceptance"},
        },
    )
    for action in (ActionId.ACCEPT, ActionId.REQUEST_CHANGES):
        payloads[action] = click(driver, {"action_id": action, "value": customer}, user=CUSTOMER)
    for action in (ActionId.REMIND_AGAIN, ActionId.INITIATE_APPEAL):
        payloads[action] = click(driver, {"action_id": action, "value": "777"})
    payloads[ActionId.CUSTOMER_APPEAL] = click(
        driver, {"action_id": ActionId.CUSTOMER_APPEAL, "value": "777"}, user=CUSTOMER
    )
    for action in (
        ActionId.OPS_COMPLETE,
        ActionId.OPS_RETURN,
        ActionId.OPS_REJECT,
        ActionId.EVIDENCE_PACK,
    ):
        payloads[action] = click(driver, {"action_id": action, "value": "1"}, user="UOPS")
    return payloads


def submissions(world: World) -> dict[str, dict[str, Any]]:
    text = {"type": "plain_text_input", "value": "KEY-1"}
    return {
        CallbackId.TEMPLATE: submission(
            CallbackId.TEMPLATE,
            {
                "template_field:licence_key": {"value": text},
                "template_field:seats": {"value": {"type": "number_input", "value": "25"}},
                "template_field:checks": {
                    "value": {"type": "checkboxes", "selected_options": [{"value": "Installed"}]}
                },
            },
            private_metadata=str(world.draft_id),
        ),
        CallbackId.FIND_ORDER: submission(
            CallbackId.FIND_ORDER, {BlockId.FIND_ORDER_INPUT: {"value": {"value": "12345"}}}
        ),
        CallbackId.REQUEST_CHANGES: submission(
            CallbackId.REQUEST_CHANGES,
            {BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "Wrong licence key"}}},
            user=CUSTOMER,
            private_metadata=f"777|{world.submitted_id}",
        ),
        CallbackId.SELLER_APPEAL: submission(
            CallbackId.SELLER_APPEAL,
            {
                BlockId.APPEAL_REASON: {"value": {"selected_option": {"value": "silent"}}},
                BlockId.APPEAL_DETAILS: {"value": {"value": "No answer for two weeks"}},
                BlockId.APPEAL_PROOF: {"value": {"selected_options": [{"value": "1"}]}},
                BlockId.APPEAL_FILES: {
                    "value": {
                        "files": [{"id": "F0MAIL", "name": "mail.eml", "permalink": "https://x"}]
                    }
                },
            },
            private_metadata=json.dumps({"order_no": "777"}),
        ),
        CallbackId.CUSTOMER_APPEAL: submission(
            CallbackId.CUSTOMER_APPEAL,
            {BlockId.APPEAL_DETAILS: {"value": {"value": "The key does not work"}}},
            user=CUSTOMER,
            private_metadata=json.dumps({"order_no": "777"}),
        ),
        CallbackId.OPS_DECISION: submission(
            CallbackId.OPS_DECISION,
            {BlockId.DECISION_REASON: {"value": {"value": "The proof is complete"}}},
            user="UOPS",
            private_metadata=json.dumps({"appeal_id": 1, "decision": "reject"}),
        ),
    }


def events(world: World) -> dict[str, dict[str, Any]]:
    dm = {"channel": f"D{SELLER}", "channel_type": "im", "user": SELLER}
    shared = {"id": "F0NEW", "name": "acceptance.pdf", "size": 8, "mimetype": "application/pdf"}
    return {
        "message": event({"type": "message", **dm, "text": "jan 5", "ts": "1769990001.000100"}),
        "file_share": event(
            {"type": "message", "subtype": "file_share", **dm, "text": "", "files": [shared]}
        ),
        "file_shared": event(
            {
                "type": "file_shared",
                "file_id": "F0NEW",
                "user_id": SELLER,
                "channel_id": f"D{SELLER}",
            }
        ),
        "app_home_opened": event(
            {"type": "app_home_opened", "user": SELLER, "channel": f"D{SELLER}", "tab": "home"}
        ),
    }


def form(payload: Any) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
