"""The people columns of an order row: its sellers and its customer, read and checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Fail = Callable[[str, str], None]  # records an error: (field, message)


def text(value: Any) -> str | None:
    if value is None:
        return None
    stripped = (value if isinstance(value, str) else str(value)).strip()
    return stripped or None


def sellers(raw: Any, fail: Fail) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else re.split(r"[;,\s]+", text(raw) or "")
    found: list[str] = []
    bad = False
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if EMAIL.match(item):
            item = item.lower()
        elif not SLACK_USER.match(item):
            fail("sellers", f"{item!r} is neither a Slack user id (U…) nor an e-mail")
            bad = True
            continue
        if item not in found:
            found.append(item)
    if not found and not bad:
        fail("sellers", "missing (Slack user ids or e-mails, separated by ';')")
    return tuple(found)


def customer(record: dict[str, Any], fail: Fail) -> dict[str, str | None]:
    found: dict[str, str | None] = {
        "customer_user_id": None,
        "customer_email": None,
        "customer_name": None,
        "customer_channel": None,
    }
    given = record.get("customer")
    if isinstance(given, dict):
        for key in ("user_id", "email", "name", "channel"):
            found[f"customer_{key}"] = text(given.get(key))
    else:
        for part in (text(given) or "").split(";"):
            part = part.strip()
            if SLACK_USER.match(part):
                found["customer_user_id"] = part
            elif EMAIL.match(part):
                found["customer_email"] = part
            elif part:
                found["customer_name"] = part
    for key in found:
        found[key] = text(record.get(key)) or found[key]
    checks = (
        ("customer_user_id", SLACK_USER, "a Slack user id (U…)"),
        ("customer_email", EMAIL, "an e-mail"),
        ("customer_channel", SLACK_CHANNEL, "a Slack channel id (C…)"),
    )
    for key, pattern, what in checks:
        value = found[key]
        if value and not pattern.match(value):
            fail(key, f"{value!r} is not {what}")
    if found["customer_email"]:
        found["customer_email"] = found["customer_email"].lower()
    if not (found["customer_user_id"] or found["customer_email"] or found["customer_channel"]):
        fail("customer", "missing: give a Slack user id, an e-mail or a Slack Connect channel")
    return found
