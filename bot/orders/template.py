"""The product's delivery template: reading a filled-in modal and checking it. Pure."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.ids import BlockId
from bot.slack.blocks import OPTION_VALUE_LIMIT

MAX_FIELDS = 90  # one input block each; a modal holds at most 100 blocks
MAX_OPTIONS = 100  # a multi-select's limit (checkboxes hold 10)
MAX_OPTION_LENGTH = 75  # an option's text


def read_answers(
    template: list[dict[str, Any]], values: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers by field id, errors by block id) from a view_submission's state values."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in template:
        block_id = f"{BlockId.TEMPLATE_FIELD}{item['id']}"
        element = (values.get(block_id) or {}).get("value") or {}
        value, problem = _value(item, element)
        if problem:
            errors[block_id] = problem
        elif value in (None, "", []) and item.get("required", True):
            errors[block_id] = f"{item['label']} is required."
        else:
            answers[item["id"]] = value
    return answers, errors


def _value(item: dict[str, Any], element: dict[str, Any]) -> tuple[Any, str | None]:
    kind = item.get("kind", "text")
    if kind == "checklist":
        chosen = [o["value"] for o in element.get("selected_options") or []]
        return [_full_label(item.get("options") or [], value) for value in chosen], None
    if kind == "date":
        return element.get("selected_date"), None
    raw = (element.get("value") or "").strip()
    if kind == "number" and raw:
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            return None, f"{item['label']} must be a number, like 25."
        return (int(number) if number == number.to_integral_value() else float(number)), None
    return raw, None


def _full_label(options: list[str], value: str) -> str:
    """The option a selected value stands for (values are cut to Slack's 150 characters)."""
    return next((label for label in options if label[:OPTION_VALUE_LIMIT] == value), value)
