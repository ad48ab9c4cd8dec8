"""Order rows checked one by one, before anything is written.

Pure: `validate_orders(records, product_ids=...)` turns the records of `bot.order_files`
into typed `OrderRow`s and `RowError`s naming the row and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from bot.core.durations import normalize_duration
from bot.orders.imports.files import REQUIRED
from bot.orders.states import parse_status
from storage.states import OrderStatus

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
MAX_ORDER_NO = 100


@dataclass(frozen=True)
class RowError:
    row: int
    order_no: str | None
    field: str
    message: str

    def __str__(self) -> str:
        which = f" (order {self.order_no})" if self.order_no else ""
        return f"row {self.row}{which}: {self.field}: {self.message}"


@dataclass(frozen=True)
class OrderRow:
    row: int
    order_no: str
    product_id: int
    amount: Decimal
    currency: str
    status: OrderStatus
    placed_at: datetime
    duration: str
    sellers: tuple[str, ...]
    customer_user_id: str | None
    customer_email: str | None
    customer_name: str | None
    customer_channel: str | None
    renewal_of: str | None


@dataclass(frozen=True)
class Checked:
    rows: list[OrderRow]
    errors: list[RowError]


def validate_orders(
    records: Iterable[tuple[int, dict[str, Any]]], *, product_ids: dict[str, int]
) -> Checked:
    rows, errors = [], []
    first_seen: dict[str, int] = {}
    for number, record in records:
        row, row_errors = _check(number, record, product_ids)
        if row and row.order_no in first_seen:
            row_errors.append(
                RowError(
                    number,
                    row.order_no,
                    "order_no",
                    f"appears again (first at row {first_seen[row.order_no]})",
                )
            )
            row = None
        if row:
            first_seen[row.order_no] = number
            rows.append(row)
        errors.extend(row_errors)
    return Checked(rows, errors)


def _check(
    number: int, record: dict[str, Any], product_ids: dict[str, int]
) -> tuple[OrderRow | None, list[RowError]]:
    order_no = _text(record.get("order_no"))
    errors: list[RowError] = []

    def fail(field: str, message: str) -> None:
        errors.append(RowError(number, order_no or None, field, message))

    if "_error" in record:
        fail("row", record["_error"])
        return None, errors
    values: dict[str, Any] = {}
    for field, parse in _PARSERS.items():
        raw = record.get(field)
        if _text(raw) is None:
            if field in REQUIRED:
                fail(field, "missing")
            continue
        try:
            values[field] = parse(raw)
        except ValueError as error:
            fail(field, str(error))
    if "product_code" in values and values["product_code"] not in product_ids:
        fail("product_code", f"unknown product {values['product_code']!r} (import it first)")
    sellers = _sellers(record.get("sellers"), fail)
    customer = _customer(record, fail)
    if values.get("renewal_of") and values.get("renewal_of") == order_no:
        fail("renewal_of", "an order cannot renew itself")
    if errors:
        return None, errors
    return OrderRow(
        row=number,
        order_no=values["order_no"],
        product_id=product_ids[values["product_code"]],
        amount=values["amount"],
        currency=values["currency"],
        status=values["status"],
        placed_at=values["placed_at"],
        duration=values["duration"],
        sellers=sellers,
        renewal_of=values.get("renewal_of"),
        **customer,
    ), errors


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return text or None


def _order_no(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise ValueError("missing")
    if len(text) > MAX_ORDER_NO:
        raise ValueError(f"longer than {MAX_ORDER_NO} characters")
    return text


def _amount(value: Any) -> Decimal:
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if "," in text:  # thousands separators only: "1.200,50" must not become 1.2005
        if not THOUSANDS.match(text):
            raise ValueError(f"use a dot for decimals, e.g. 1200.50 ({value!r})")
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number ({value!r})") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"must be zero or more ({value!r})")
    if amount >= Decimal("1e16"):
        raise ValueError(f"too large ({value!r})")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"more than 2 decimals ({value!r})")
    return amount.quantize(Decimal("0.01"))


def _currency(value: Any) -> str:
    code = str(value).strip().upper()
    if not CURRENCY.match(code):
        raise ValueError(f"expected a 3-letter ISO 4217 code such as EUR ({value!r})")
    return code


def _placed_at(value: Any) -> datetime:
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 date/time ({text!r}), e.g. 2026-01-31T09:30:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@lru_cache(maxsize=256)
def _duration(value: str) -> str:
    return normalize_duration(value)


@lru_cache(maxsize=64)
def _status(value: str) -> OrderStatus:
    return parse_status(value)


_PARSERS = {
    "order_no": _order_no,
    "product_code": lambda v: str(v).strip(),
    "amount": _amount,
    "currency": _currency,
    "status": lambda v: _status(str(v)),
    "placed_at": _placed_at,
    "duration": lambda v: _duration(str(v)),
    "renewal_of": _order_no,
}


def _sellers(raw: Any, fail) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else re.split(r"[;,\s]+", _text(raw) or "")
    sellers: list[str] = []
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
        if item not in sellers:
            sellers.append(item)
    if not sellers and not bad:
        fail("sellers", "missing (Slack user ids or e-mails, separated by ';')")
    return tuple(sellers)


def _customer(record: dict[str, Any], fail) -> dict[str, str | None]:
    found: dict[str, str | None] = {
        "customer_user_id": None,
        "customer_email": None,
        "customer_name": None,
        "customer_channel": None,
    }
    given = record.get("customer")
    if isinstance(given, dict):
        for key in ("user_id", "email", "name", "channel"):
            found[f"customer_{key}"] = _text(given.get(key))
    else:
        for part in (_text(given) or "").split(";"):
            part = part.strip()
            if SLACK_USER.match(part):
                found["customer_user_id"] = part
            elif EMAIL.match(part):
                found["customer_email"] = part
            elif part:
                found["customer_name"] = part
    for key in found:
        found[key] = _text(record.get(key)) or found[key]
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
