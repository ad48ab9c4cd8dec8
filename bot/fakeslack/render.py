"""Block Kit as plain text, for the demo's transcript and for readable test failures."""

from __future__ import annotations

import re
from typing import Any

_DATE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]*)>")
_USER = re.compile(r"<@(\w+)>")
_CHANNEL = re.compile(r"<#(\w+)(?:\|[^>]*)?>")


def plain(text: str, names: dict[str, str] | None = None) -> str:
    text = _DATE.sub(r"\1", text)
    text = _USER.sub(lambda m: "@" + (names or {}).get(m.group(1), m.group(1)), text)
    return _CHANNEL.sub(r"#\1", text)


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return obj.get("text", "")
    return str(obj or "")


def render_blocks(blocks: list[dict[str, Any]], names: dict[str, str] | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text(block['text'])} ==")
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            for field in block.get("fields", []):
                lines.append("  " + _text(field).replace("\n", ": ", 1))
            if block.get("accessory"):
                lines.append(_element(block["accessory"]))
        elif kind == "context":
            lines.append("  " + " ".join(_text(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("  ---")
        elif kind == "actions":
            lines.append("  " + "  ".join(_element(e) for e in block.get("elements", [])))
        elif kind == "input":
            lines.append(f"  {_text(block.get('label'))}: {_element(block.get('element', {}))}")
        elif kind == "rich_text":
            lines.append("  (rich text)")
    return plain("\n".join(lines), names)


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type", "")
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind == "overflow":
        return "[…]"
    chosen = element.get("initial_option") or element.get("initial_date")
    if chosen:
        return f"<{_text(chosen.get('text')) if isinstance(chosen, dict) else chosen} ▾>"
    label = _text(element.get("placeholder")) or kind
    return f"<{label}>"
