"""Block Kit limits: the fake Slack refuses what real Slack refuses, and our views stay inside
them whatever the data (long order numbers, many required fields, long checklists, many files)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.ids import BlockId
from bot.delivery.views.message import Shown, build_delivery_message
from bot.delivery.views.template import build_template_modal
from bot.fakeslack.limits import message_problems, view_problems
from bot.fakeslack.server import FakeSlack
from bot.orders.queries import OrderCard
from bot.orders.template import read_answers
from bot.orders.validity import Validity
from bot.slack.blocks import actions, button, confirm, fields, listing, section
from bot.supervision.views.appeal_forms import build_seller_appeal_modal
from bot.supervision.views.customer import CustomerDelivery, build_customer_delivery
from storage.models import Delivery, DeliveryState, Order, Product, ProofFile
from storage.states import OrderStatus, SupervisionState
from tests.factories import SELLER

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def option(label: str, value: str = "v") -> dict:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def plain(value: str) -> dict:
    return {"type": "plain_text", "text": value}


def element_in_section(element: dict) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accessory": element}]


OK_BUTTON = {"type": "button", "text": plain("OK"), "action_id": "a", "value": "v"}
CONFIRM = {"title": plain("t"), "text": plain("t"), "confirm": plain("ok"), "deny": plain("no")}


@pytest.mark.parametrize(
    "blocks, where",
    [
        ([{"type": "divider"}] * 51, "/blocks"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "/text/text"),
        ([{"type": "section", "fields": [plain("f")] * 11}], "/fields"),
        ([{"type": "section", "fields": [plain("f" * 2001)]}], "/fields/0/text"),
        ([{"type": "header", "text": plain("h" * 151)}], "/text/text"),
        ([{"type": "actions", "elements": [{**OK_BUTTON, "text": plain("b" * 76)}]}], "/text"),
        ([{"type": "actions", "elements": [{**OK_BUTTON, "value": "v" * 2001}]}], "/value"),
        (
            element_in_section({**OK_BUTTON, "confirm": {**CONFIRM, "title": plain("t" * 101)}}),
            "/confirm/title",
        ),
        (
            element_in_section({**OK_BUTTON, "confirm": {**CONFIRM, "text": plain("t" * 301)}}),
            "/confirm/text",
        ),
        (
            element_in_section({**OK_BUTTON, "confirm": {**CONFIRM, "confirm": plain("c" * 31)}}),
            "/confirm/confirm",
        ),
        (
            element_in_section({**OK_BUTTON, "confirm": {**CONFIRM, "deny": plain("d" * 31)}}),
            "/confirm/deny",
        ),
        (element_in_section({"type": "checkboxes", "options": [option("o")] * 11}), "/options"),
        (element_in_section({"type": "static_select", "options": [option("o")] * 101}), "/options"),
        (
            element_in_section({"type": "checkboxes", "options": [option("o" * 76)]}),
            "/options/0/text",
        ),
        (
            element_in_section({"type": "checkboxes", "options": [option("o", "v" * 151)]}),
            "/options/0/value",
        ),
        (
            element_in_section(
                {"type": "checkboxes", "options": [option("a")], "initial_options": [option("b")]}
            ),
            "accessory",
        ),
    ],
)
def test_the_fake_finds_what_slack_refuses_in_a_message(blocks, where):
    problems = message_problems(blocks)
    assert problems and where in problems[0]


def test_a_message_inside_every_limit_passes():
    blocks = [
        {"type": "header", "text": plain("h" * 150)},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x" * 3000},
            "fields": [plain("f" * 2000)] * 10,
        },
        {
            "type": "actions",
            "elements": [
                {**OK_BUTTON, "text": plain("b" * 75), "value": "v" * 2000, "confirm": CONFIRM}
            ],
        },
        *element_in_section({"type": "checkboxes", "options": [option("o" * 75, "v" * 150)] * 10}),
    ] + [{"type": "divider"}] * 46
    assert message_problems(blocks) == []


@pytest.mark.parametrize(
    "view, where",
    [
        ({"type": "modal", "title": plain("t" * 25), "blocks": []}, "/view/title"),
        (
            {"type": "modal", "title": plain("t"), "blocks": [{"type": "divider"}] * 101},
            "/view/blocks",
        ),
        ({"type": "home", "blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        (
            {
                "type": "modal",
                "title": plain("t"),
                "blocks": [
                    {
                        "type": "input",
                        "label": plain("l" * 2001),
                        "element": {"type": "plain_text_input"},
                    }
                ],
            },
            "/label",
        ),
    ],
)
def test_the_fake_finds_what_slack_refuses_in_a_view(view, where):
    problems = view_problems(view)
    assert problems and where in problems[0]
    assert view_problems({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []


def test_the_fake_answers_like_slack_over_http():
    with FakeSlack() as slack:
        slack.add_user(SELLER, "sam")
        client = WebClient(token=slack.token, base_url=slack.api_url)
        too_many = [{"type": "divider"}] * 51
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel=SELLER, text="hi", blocks=too_many)
        assert refused.value.response["error"] == "invalid_blocks"
        with pytest.raises(SlackApiError) as refused:
            client.views_publish(user_id=SELLER, view={"type": "home", "blocks": too_many * 2})
        assert refused.value.response["error"] == "invalid_arguments"
        assert slack.dms(SELLER) == [] and slack.home == {}
        reply = httpx.post(f"{slack.base_url}/respond/x", json={"blocks": too_many})
        assert (reply.status_code, reply.text) == (400, "invalid_blocks")
        assert [r["method"] for r in slack.rejected] == [
            "chat.postMessage",
            "views.publish",
            "response_url",
        ]


# -- our views at the edges -------------------------------------------------------------------


def card(*, order_no: str = "12345", template: list | None = None, **order: object) -> OrderCard:
    product = Product(id=1, code="P", name="Prod", delivery_template=template or [])
    row = Order(
        id=1,
        order_no=order_no,
        product_id=1,
        amount=Decimal("10"),
        currency="EUR",
        imported_status=OrderStatus.PROCESSING,
        state=SupervisionState.AWAITING_DELIVERY,
        placed_at=NOW,
        duration="P1M",
        customer_user_id="UCUST",
        state_changed_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        **order,
    )
    return OrderCard(row, product, [SELLER])


def draft(**kw) -> Delivery:
    fields = {"state": DeliveryState.DRAFT, "template_answers": {}, **kw}
    return Delivery(
        id=7, order_id=1, round=1, holder=SELLER, created_at=NOW, updated_at=NOW, **fields
    )


def confirm_texts(blocks: list) -> list[str]:
    return [
        e["confirm"]["text"]["text"]
        for b in blocks
        for e in b.get("elements", [])
        if "confirm" in e
    ]


def delivery_message(card: OrderCard, delivery: Delivery, **facts) -> list[dict]:
    shown = {
        "files": [],
        "failed": [],
        "required": ("sow", "acceptance"),
        "missing_kinds": [],
        "missing_fields": [],
        "reason": None,
        "tz": "UTC",
        **facts,
    }
    blocks, _ = build_delivery_message(Shown(card=card, delivery=delivery, **shown))
    return blocks


def proof(i: int, **kw) -> ProofFile:
    fields = {"sha256": "a" * 64, "kind": "sow", **kw}
    return ProofFile(
        id=i,
        delivery_id=7,
        slack_file_id=f"F{i}",
        name=f"{'long name ' * 20}{i}.pdf",
        size=10,
        added_by=SELLER,
        added_at=NOW,
        **fields,
    )


def test_the_delivery_message_at_its_largest_stays_inside_slacks_limits():
    """Every step open, a change reason, 40 files (some still fetching), files that failed,
    a long template and a long list of what is missing: the files past FILES_SHOWN become
    "…and N more", and Slack takes the message."""
    template = [
        {
            "id": f"f{i}",
            "label": f"Acceptance criterion {i} " + "x" * 60,
            "kind": "checklist",
            "options": [f"option {j} " + "y" * 30 for j in range(10)],
        }
        for i in range(30)
    ]
    files = [proof(i, sha256=None if i % 3 else "a" * 64) for i in range(40)]
    blocks = delivery_message(
        card(template=template),
        draft(),
        files=files,
        failed=[proof(100 + i, fetch_error="Slack said no. " * 20) for i in range(20)],
        missing_kinds=["acceptance document"],
        missing_fields=[item["label"] for item in template],
        reason="The SOW is unsigned. " * 100,
    )
    assert message_problems(blocks) == []
    assert "…and 25 more." in str(blocks)


def test_a_deliver_button_lists_what_is_missing_as_far_as_the_dialog_allows():
    missing = [f"Required acceptance criterion number {i}" for i in range(10)]
    blocks = delivery_message(card(), draft(), missing_fields=missing)
    assert message_problems(blocks) == []
    deliver = confirm_texts(blocks)[0]
    assert "Required acceptance criterion number 0" in deliver
    assert deliver.endswith("more") and "… and" in deliver
    assert "Required acceptance criterion number 9" in str(blocks)  # the message lists all


def test_a_deliver_button_for_a_customer_with_long_contact_details_fits():
    wordy = card(
        order_no="N" * 100,
        customer_name="Dr. " + "Longname " * 30,
        customer_email="x" * 60 + "@example.com",
    )
    blocks = delivery_message(wordy, draft(enabling_decided=True))
    assert message_problems(blocks) == []
    assert "will be asked to accept it" in confirm_texts(blocks)[0]


def test_accept_confirmation_fits_with_a_100_character_order_number():
    item = CustomerDelivery(
        card(order_no="A" * 100).order,
        Product(id=1, code="P", name="Prod"),
        draft(state=DeliveryState.SUBMITTED),
        [],
        Validity(NOW, NOW),
        "UTC",
    )
    blocks = build_customer_delivery(item)
    assert message_problems(blocks) == []
    assert "will be completed" in confirm_texts(blocks)[0]


def test_long_labels_and_dialogs_are_cut_to_what_slack_accepts():
    blocks = [
        actions(
            button(
                "Order " + "9" * 100,
                "a",
                confirm=confirm(
                    "Deliver " + "9" * 100 + "?", "y" * 400, ok="o" * 40, deny="d" * 40
                ),
            )
        ),
        section(listing(["z" * 50] * 100, limit=300)),
        fields(*[("Customer", "c" * 2500)] * 12),
    ]
    assert message_problems(blocks) == []


def test_a_long_checklist_becomes_a_multi_select_and_reads_back_whole():
    labels = [f"Check number {i}" for i in range(11)] + ["L" * 160]
    template = [{"id": "checks", "label": "Checklist", "kind": "checklist", "options": labels}]
    modal = build_template_modal(
        card(template=template), draft(template_answers={"checks": labels[:2]})
    )
    assert view_problems(modal) == []
    element = modal["blocks"][0]["element"]
    assert element["type"] == "multi_static_select"
    assert [o["value"] for o in element["initial_options"]] == labels[:2]

    chosen = [element["options"][0], element["options"][-1]]  # Slack sends the values back
    values = {f"{BlockId.TEMPLATE_FIELD}checks": {"value": {"selected_options": chosen}}}
    assert read_answers(template, values) == ({"checks": [labels[0], labels[-1]]}, {})


def test_a_short_checklist_stays_checkboxes():
    template = [{"id": "checks", "label": "Checklist", "kind": "checklist", "options": ["a", "b"]}]
    modal = build_template_modal(card(template=template), draft())
    assert modal["blocks"][0]["element"]["type"] == "checkboxes"


def test_a_template_too_long_for_one_modal_still_opens():
    template = [{"id": f"f{i}", "label": f"Field {i}", "kind": "text"} for i in range(120)]
    modal = build_template_modal(card(template=template), draft())
    assert view_problems(modal) == []
    assert "30 more fields do not fit" in str(modal["blocks"][-1])


def test_an_appeal_with_more_than_ten_files_offers_them_all_preselected():
    files = [
        ProofFile(
            id=i,
            delivery_id=7,
            slack_file_id=f"F{i}",
            name=f"file{i}.pdf",
            size=10,
            kind="sow",
            added_by=SELLER,
            added_at=NOW,
        )
        for i in range(11)
    ]
    modal = build_seller_appeal_modal(order_no="12345", files=files)
    assert view_problems(modal) == []
    proof = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.APPEAL_PROOF)
    assert proof["element"]["type"] == "multi_static_select"
    assert len(proof["element"]["initial_options"]) == 11
    few = build_seller_appeal_modal(order_no="12345", files=files[:3])
    assert (
        next(b for b in few["blocks"] if b.get("block_id") == BlockId.APPEAL_PROOF)["element"][
            "type"
        ]
        == "checkboxes"
    )
