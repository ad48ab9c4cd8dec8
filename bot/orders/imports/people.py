"""The people columns of an order row: its sellers and its customer, read and checked."""

from __future__ import annotations

import re
from typing import Any

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SEPARATORS = re.compile(r"[;,\s]+")
CUSTOMER_KEYS = ("customer_user_id", "customer_email", "customer_name", "customer_channel")
REMEMBERED = 4096  # distinct sellers cells parsed once each (a file repeats the same few)

Problems = list[tuple[str, str]]  # (field, message), appended to by the checks
_sellers_seen: dict[str, tuple[tuple[str, ...], Problems]] = {}


def text(value: Any) -> str | None:
    if value is None:
        return None
    stripped = (value if isinstance(value, str) else str(value)).strip()
    return stripped or None


def sellers(raw: Any, problems: Problems) -> tuple[str, ...]:
    if not isinstance(raw, str):
        found, own = _sellers(raw)
    elif raw in _sellers_seen:
        found, own = _sellers_seen[raw]
    else:
        if len(_sellers_seen) >= REMEMBERED:
            _sellers_seen.clear()
        found, own = _sellers_seen[raw] = _sellers(raw)
    problems.extend(own)
    return found


def _sellers(raw: Any) -> tuple[tuple[str, ...], Problems]:
    items = raw if isinstance(raw, list) else SEPARATORS.split(text(raw) or "")
    found: list[str] = []
    problems: Problems = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if EMAIL.match(item):
            item = item.lower()
        elif not SLACK_USER.match(item):
            problems.append(("sellers", f"{item!r} is neither a Slack user id (U…) nor an e-mail"))
            continue
        if item not in found:
            found.append(item)
    if not found and not problems:
        problems.append(("sellers", "missing (Slack user ids or e-mails, separated by ';')"))
    return tuple(found), problems


def customer(record: dict[str, Any], problems: Problems) -> tuple[str | None, ...]:
    """(user id, e-mail, name, channel), from the `customer` column (a dict, or parts separated
    by ';') overridden by the customer_* columns."""
    user_id = email = name = channel = None
    given = record.get("customer")
    if isinstance(given, dict):
        user_id, email, name, channel = (
            text(given.get(key)) for key in ("user_id", "email", "name", "channel")
        )
    elif given is not None:
        for part in (text(given) or "").split(";"):
            part = part.strip()
            if SLACK_USER.match(part):
                user_id = part
            elif EMAIL.match(part):
                email = part
            elif part:
                name = part
    get = record.get
    user_id = text(get("customer_user_id")) or user_id
    email = text(get("customer_email")) or email
    name = text(get("customer_name")) or name
    channel = text(get("customer_channel")) or channel
    if user_id and not SLACK_USER.match(user_id):
        problems.append(("customer_user_id", f"{user_id!r} is not a Slack user id (U…)"))
    if email:
        if not EMAIL.match(email):
            problems.append(("customer_email", f"{email!r} is not an e-mail"))
        email = email.lower()
    if channel and not SLACK_CHANNEL.match(channel):
        problems.append(("customer_channel", f"{channel!r} is not a Slack channel id (C…)"))
    if not (user_id or email or channel):
        problems.append(
            ("customer", "missing: give a Slack user id, an e-mail or a Slack Connect channel")
        )
    return user_id, email, name, channel
