"""The delivery template modal: one input per template field, prefilled with the draft's answers."""

from __future__ import annotations

from typing import Any

from bot.core.ids import BlockId, CallbackId
from bot.orders.queries import OrderCard
from bot.orders.template import MAX_FIELDS
from bot.slack.blocks import choices, context, option, section, text
from storage.models import Delivery


def build_template_modal(card: OrderCard, delivery: Delivery) -> dict[str, Any]:
    answers = delivery.template_answers or {}
    template = card.product.delivery_template or []
    blocks = [_template_input(item, answers.get(item["id"])) for item in template[:MAX_FIELDS]]
    if len(template) > MAX_FIELDS:  # imports refuse this; a modal holds at most 100 blocks
        blocks.append(
            context(
                f"{len(template) - MAX_FIELDS} more fields do not fit in one "
                "Slack form: ask for this product's template to be shortened."
            )
        )
    return {
        "type": "modal",
        "callback_id": CallbackId.TEMPLATE,
        "private_metadata": str(delivery.id),
        "title": text(f"Order {card.order.order_no}"[:24], plain=True),
        "submit": text("Save", plain=True),
        "close": text("Cancel", plain=True),
        "blocks": blocks or [section("This product has no template to fill in.")],
    }


def _template_input(item: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = item.get("kind", "text")
    element: dict[str, Any]
    if kind == "checklist":
        labels = item.get("options", [])
        options = [option(label, label) for label in labels]
        chosen = [options[i] for i, label in enumerate(labels) if label in (value or [])]
        element = choices(options, chosen=chosen)
    elif kind == "date":
        element = {"type": "datepicker"}
        if value:
            element["initial_date"] = value
    elif kind == "number":
        element = {"type": "number_input", "is_decimal_allowed": True}
        if value not in (None, ""):
            element["initial_value"] = str(value)
    else:
        element = {"type": "plain_text_input", "multiline": bool(item.get("multiline"))}
        if value:
            element["initial_value"] = str(value)
    element["action_id"] = "value"
    return {
        "type": "input",
        "block_id": f"{BlockId.TEMPLATE_FIELD}{item['id']}",
        "label": text(item["label"], plain=True),
        "element": element,
        "optional": not item.get("required", True),
    }
