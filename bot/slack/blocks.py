"""Small Block Kit constructors shared by the views."""

from __future__ import annotations

from typing import Any

SECTION_LIMIT = 3000
# Slack refuses the whole message beyond these (bot/fakeslack/limits.py has the full list).
FIELD_LIMIT = 2000  # each of a section's (at most 10) fields
BUTTON_TEXT_LIMIT = 75
CONFIRM_TITLE_LIMIT = 100
CONFIRM_TEXT_LIMIT = 300
CONFIRM_BUTTON_LIMIT = 30
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
CHECKBOXES_LIMIT = 10
SELECT_OPTIONS_LIMIT = 100


def shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def listing(items: list[str], *, limit: int, separator: str = ", ") -> str:
    """`items` joined, as many as fit in `limit` characters, then "… and N more"."""
    shown: list[str] = []
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        tail = f"{separator}… and {rest} more" if rest else ""
        candidate = separator.join([*shown, item]) + tail
        if len(candidate) > limit:
            break
        shown.append(item)
    else:
        return separator.join(shown)
    more = f"… and {len(items) - len(shown)} more"
    return separator.join([*shown, more]) if shown else shorten(more, limit)


def text(value: str, *, plain: bool = False) -> dict[str, Any]:
    if plain:
        return {"type": "plain_text", "text": value[:150], "emoji": True}
    return {"type": "mrkdwn", "text": value[:SECTION_LIMIT]}


def header(value: str) -> dict[str, Any]:
    return {"type": "header", "text": text(value, plain=True)}


def section(value: str, *, accessory: dict | None = None, block_id: str | None = None) -> dict:
    block: dict[str, Any] = {"type": "section", "text": text(value)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(*pairs: tuple[str, str]) -> dict[str, Any]:
    shown = [text(shorten(f"*{k}*\n{v}", FIELD_LIMIT)) for k, v in pairs[:10]]
    return {"type": "section", "fields": shown}


def context(value: str) -> dict[str, Any]:
    return {"type": "context", "elements": [text(value)]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    label: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    confirm: dict | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": text(shorten(label, BUTTON_TEXT_LIMIT), plain=True),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm(title: str, body: str, *, ok: str = "OK", deny: str = "Cancel") -> dict[str, Any]:
    """A confirmation dialog; callers fit `body` (e.g. with `listing`), this only guards."""
    return {
        "title": text(shorten(title, CONFIRM_TITLE_LIMIT), plain=True),
        "text": text(shorten(body, CONFIRM_TEXT_LIMIT)),
        "confirm": text(shorten(ok, CONFIRM_BUTTON_LIMIT), plain=True),
        "deny": text(shorten(deny, CONFIRM_BUTTON_LIMIT), plain=True),
    }


def option(label: str, value: str) -> dict[str, Any]:
    return {
        "text": text(shorten(label, OPTION_TEXT_LIMIT), plain=True),
        "value": value[:OPTION_VALUE_LIMIT],
    }


def choices(options: list[dict[str, Any]], *, chosen: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick several: checkboxes while Slack allows them (10), else a multi-select (100)."""
    shown = options[:SELECT_OPTIONS_LIMIT]
    kind = "checkboxes" if len(shown) <= CHECKBOXES_LIMIT else "multi_static_select"
    element: dict[str, Any] = {"type": kind, "options": shown}
    initial = [item for item in chosen if item in shown]
    if initial:
        element["initial_options"] = initial
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def mention(user_or_email: str) -> str:
    return user_or_email if "@" in user_or_email else f"<@{user_or_email}>"
