"""The appeal modals (the seller's, the customer's, operations' reason for a decision), as
Block Kit; `handlers.inputs` reads what was filled in."""

from __future__ import annotations

import json
from typing import Any

from bot.core.ids import BlockId, CallbackId
from bot.core.proof_kinds import kind_label
from bot.slack.blocks import (
    choices,
    option,
    section,
    text,
)
from bot.supervision.appeal_terms import (
    CUSTOMER_REASONS,
    DECISION_DAYS,
    DECISION_WORDS,
    SELLER_REASONS,
    Decision,
)
from storage.models import ProofFile

Blocks = list[dict[str, Any]]


def _option(value: str, label: str) -> dict[str, Any]:
    return option(label, value)


def _input(
    block_id: str, label: str, element: dict, *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": text(label, plain=True),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = text(hint, plain=True)
    return block


def _modal(callback_id: str, title: str, submit: str, blocks: Blocks, meta: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": text(title, plain=True),
        "submit": text(submit, plain=True),
        "close": text("Cancel", plain=True),
        "private_metadata": json.dumps(meta),
        "blocks": blocks,
    }


def _reason_input(reasons: dict[str, str]) -> dict[str, Any]:
    options = [_option(value, label) for value, label in reasons.items()]
    element = {
        "type": "static_select",
        "action_id": "value",
        "options": options,
        "placeholder": text("Choose a reason", plain=True),
    }
    return _input(BlockId.APPEAL_REASON, "Reason", element)


def _details_input(placeholder: str) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "placeholder": text(placeholder, plain=True),
    }
    return _input(BlockId.APPEAL_DETAILS, "What happened", element)


def _files_input() -> dict[str, Any]:
    element = {"type": "file_input", "action_id": "value", "max_files": 10}
    return _input(BlockId.APPEAL_FILES, "More proof", element, optional=True)


def build_seller_appeal_modal(*, order_no: str, files: list[ProofFile]) -> dict[str, Any]:
    blocks: Blocks = [
        section(
            f"Ask operations to decide order *{order_no}*. They answer within {DECISION_DAYS} working days."
        ),
        _reason_input(SELLER_REASONS),
        _details_input("The customer has not answered since …"),
    ]
    if files:
        options = [_option(str(f.id), f"{f.name} ({kind_label(f.kind)})") for f in files]
        element = {**choices(options, chosen=options), "action_id": "value"}
        blocks.append(
            _input(BlockId.APPEAL_PROOF, "Proof from the delivery", element, optional=True)
        )
    blocks.append(_files_input())
    letter = {"type": "plain_text_input", "action_id": "value", "multiline": True}
    blocks.append(
        _input(
            BlockId.APPEAL_LETTER,
            "Letter of commitment",
            letter,
            optional=True,
            hint="Required when the customer is unreachable: your commitment that "
            "the licence was delivered as described.",
        )
    )
    return _modal(
        CallbackId.SELLER_APPEAL,
        "Initiate appeal",
        "Send to operations",
        blocks,
        {"order_no": order_no},
    )


def build_customer_appeal_modal(*, order_no: str, why: str) -> dict[str, Any]:
    blocks: Blocks = [
        section(f"Ask operations to decide order *{order_no}* ({why})."),
        _reason_input(CUSTOMER_REASONS),
        _details_input("What is missing from the delivery …"),
        _files_input(),
    ]
    return _modal(
        CallbackId.CUSTOMER_APPEAL, "Appeal", "Send to operations", blocks, {"order_no": order_no}
    )


def build_decision_modal(*, appeal_id: int, order_no: str, decision: Decision) -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": "value", "multiline": True}
    blocks: Blocks = [
        section(
            f"*{DECISION_WORDS[decision]}* – order *{order_no}*. Both sides will read your reason."
        ),
        _input(BlockId.DECISION_REASON, "Reason", element),
    ]
    return _modal(
        CallbackId.OPS_DECISION,
        DECISION_WORDS[decision],
        "Decide",
        blocks,
        {"appeal_id": appeal_id, "decision": decision.value},
    )
