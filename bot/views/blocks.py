"""Small Block Kit constructors shared by the views."""

from __future__ import annotations

from typing import Any

SECTION_LIMIT = 3000


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
    return {"type": "section", "fields": [text(f"*{k}*\n{v}") for k, v in pairs[:10]]}


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
        "text": text(label, plain=True),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm(title: str, body: str, *, ok: str = "OK", deny: str = "Cancel") -> dict[str, Any]:
    return {
        "title": text(title, plain=True),
        "text": text(body),
        "confirm": text(ok, plain=True),
        "deny": text(deny, plain=True),
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def mention(user_or_email: str) -> str:
    return user_or_email if "@" in user_or_email else f"<@{user_or_email}>"
