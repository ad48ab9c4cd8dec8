"""Order rows checked one by one, before anything is written.

`validate_orders(records, product_ids=..., now=..., known_orders=...)` turns the records of
`bot.orders.imports.files` into typed `OrderRow`s and `RowError`s naming the row and the field.
Pure but for `known_orders`, which says which renewed orders the database already holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from bot.core.durations import normalize_duration
from bot.orders.imports import people
from bot.orders.imports.files import REQUIRED
from bot.orders.states import parse_status
from storage.states import OrderStatus

CURRENCY = re.compile(r"^[A-Z]{3}$")
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
ORDER_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
MAX_ORDER_NO = 36  # a UUID fits
CLOCK_SKEW = timedelta(minutes=10)  # how far past `now` a placement is a fast clock, not an error
# Which of these order numbers the database holds (renewals may name orders imported before).
KnownOrders = Callable[[set[str]], set[str]]


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
    contact: str | None = None  # "email": reach the customer by e-mail only


@dataclass(frozen=True)
class Checked:
    rows: list[OrderRow]
    errors: list[RowError]


def nothing_stored(order_nos: set[str]) -> set[str]:
    return set()


def validate_orders(
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    product_ids: dict[str, int],
    now: datetime,
    known_orders: KnownOrders = nothing_stored,
) -> Checked:
    """Every row checked; placements may not be later than `now` (give or take CLOCK_SKEW);
    a renewal must name an order in the file or in the database (`known_orders`)."""
    rows, errors = [], []
    first_seen: dict[str, int] = {}
    invalid: set[str] = set()
    for number, record in records:
        row, row_errors = check_record(number, record, product_ids, now)
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
        elif row_errors[0].order_no:
            invalid.add(row_errors[0].order_no)
        errors.extend(row_errors)
    rows = _renewing_known_orders(rows, errors, invalid, known_orders)
    errors.sort(key=lambda error: error.row)
    return Checked(rows, errors)


def _renewing_known_orders(
    rows: list[OrderRow], errors: list[RowError], invalid: set[str], known_orders: KnownOrders
) -> list[OrderRow]:
    """The rows whose renewed order is in the file (a valid row) or in the database; the
    others become errors, and so, in turn, do the rows renewing those."""
    refs = {row.renewal_of for row in rows if row.renewal_of} - {row.order_no for row in rows}
    stored = known_orders(refs) if refs else set()
    while True:
        in_file = {row.order_no for row in rows}
        orphans = [
            row
            for row in rows
            if row.renewal_of and row.renewal_of not in in_file and row.renewal_of not in stored
        ]
        if not orphans:
            return rows
        for row in orphans:
            renewed = row.renewal_of
            message = (
                f"order {renewed}'s own row is invalid (fix it first)"
                if renewed in invalid
                else f"there is no order {renewed}, in this file or already imported"
            )
            errors.append(RowError(row.row, row.order_no, "renewal_of", message))
            invalid.add(row.order_no)
        rows = [row for row in rows if row not in orphans]


def check_record(
    number: int, record: dict[str, Any], product_ids: dict[str, int], now: datetime
) -> tuple[OrderRow | None, list[RowError]]:
    order_no = people.text(record.get("order_no"))
    errors: list[RowError] = []

    def fail(field: str, message: str) -> None:
        errors.append(RowError(number, order_no or None, field, message))

    if "_error" in record:
        fail("row", record["_error"])
        return None, errors
    values: dict[str, Any] = {}
    for field, parse in _PARSERS.items():
        raw = record.get(field)
        if people.text(raw) is None:
            if field in REQUIRED:
                fail(field, "missing")
            continue
        try:
            values[field] = parse(raw)
        except ValueError as error:
            fail(field, str(error))
    if "placed_at" in values and values["placed_at"] > now + CLOCK_SKEW:
        fail(
            "placed_at",
            f"in the future ({values['placed_at'].isoformat()}, and it is now "
            f"{now.astimezone(UTC).isoformat(timespec='minutes')})",
        )
    if "product_code" in values and values["product_code"] not in product_ids:
        fail("product_code", f"unknown product {values['product_code']!r} (import it first)")
    sellers = people.sellers(record.get("sellers"), fail)
    customer = people.customer(record, fail)
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
        contact=values.get("contact"),
        **customer,
    ), errors


def _contact(value: str) -> str | None:
    """How to reach the customer: `email` (by e-mail only) or `slack` (Slack first)."""
    wanted = value.strip().lower().replace("-", "")
    if wanted in ("email", "mail"):
        return "email"
    if wanted in ("slack", ""):
        return None
    raise ValueError(f"contact is email or slack, not {value!r}")


def _order_no(value: Any) -> str:
    text = people.text(value)
    if text is None:
        raise ValueError("missing")
    if any(char.isspace() for char in text):
        raise ValueError(f"contains a space ({text!r})")
    if len(text) > MAX_ORDER_NO:
        raise ValueError(f"longer than {MAX_ORDER_NO} characters")
    if not ORDER_NO.fullmatch(text):
        raise ValueError(
            f"use letters, digits and - _ . / only, starting with a letter or digit ({text!r})"
        )
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
    "contact": lambda v: _contact(str(v)),
}
