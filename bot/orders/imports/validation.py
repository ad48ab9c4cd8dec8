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
from typing import Any, NamedTuple

from bot.core.durations import normalize_duration
from bot.orders.imports import people
from bot.orders.imports.files import REQUIRED
from bot.orders.states import parse_status
from storage.states import OrderStatus

CURRENCY = re.compile(r"^[A-Z]{3}$")
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
ORDER_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
MAX_ORDER_NO = 36  # a UUID fits
CENT, TOO_LARGE = Decimal("0.01"), Decimal("1e16")
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


class OrderRow(NamedTuple):
    """A checked row (a tuple: an import makes millions, and a frozen dataclass costs 7× more)."""

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
    problems: people.Problems = []
    if "_error" in record:
        problems.append(("row", record["_error"]))
        return None, _errors(number, order_no, problems)
    values = _parsed(record, problems)
    placed_at = values.get("placed_at")
    if placed_at is not None and placed_at > now + CLOCK_SKEW:
        problems.append(
            (
                "placed_at",
                f"in the future ({placed_at.isoformat()}, and it is now "
                f"{now.astimezone(UTC).isoformat(timespec='minutes')})",
            )
        )
    code = values.get("product_code")
    if code is not None and code not in product_ids:
        problems.append(("product_code", f"unknown product {code!r} (import it first)"))
    sellers = people.sellers(record.get("sellers"), problems)
    user_id, email, name, channel = people.customer(record, problems)
    renewal_of = values.get("renewal_of")
    if renewal_of and renewal_of == order_no:
        problems.append(("renewal_of", "an order cannot renew itself"))
    if problems:
        return None, _errors(number, order_no, problems)
    return OrderRow(
        number,
        values["order_no"],
        product_ids[values["product_code"]],
        values["amount"],
        values["currency"],
        values["status"],
        values["placed_at"],
        values["duration"],
        sellers,
        user_id,
        email,
        name,
        channel,
        renewal_of,
        values.get("contact"),
    ), []


def _parsed(record: dict[str, Any], problems: people.Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    get = record.get
    for field, parse, seen in _PARSERS:
        raw = get(field)
        if raw is None or not (raw.strip() if type(raw) is str else people.text(raw)):
            if field in REQUIRED:
                problems.append((field, "missing"))
            continue
        if seen is not None and type(raw) is str:
            found = seen.get(raw)
            if found is None:
                if len(seen) >= people.REMEMBERED:
                    seen.clear()
                found = seen[raw] = _outcome(parse, raw)
            value, problem = found
            if problem is None:
                values[field] = value
            else:
                problems.append((field, problem))
            continue
        try:
            values[field] = parse(raw)
        except ValueError as error:
            problems.append((field, str(error)))
    return values


def _outcome(parse: Callable[[Any], Any], raw: Any) -> tuple[Any, str | None]:
    try:
        return parse(raw), None
    except ValueError as error:
        return None, str(error)


def _errors(number: int, order_no: str | None, problems: people.Problems) -> list[RowError]:
    return [RowError(number, order_no, field, message) for field, message in problems]


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
    if len(text) <= MAX_ORDER_NO and ORDER_NO.fullmatch(text):
        return text
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
    if amount >= TOO_LARGE:
        raise ValueError(f"too large ({value!r})")
    cents = amount.quantize(CENT)
    if amount != cents:
        raise ValueError(f"more than 2 decimals ({value!r})")
    return cents


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


# (field, parser, outcomes by raw value when a file repeats a few values on every row, or None)
_PARSERS: tuple[tuple[str, Callable[[Any], Any], dict[str, tuple[Any, str | None]] | None], ...] = (
    ("order_no", _order_no, None),
    ("product_code", lambda v: str(v).strip(), {}),
    ("amount", _amount, None),
    ("currency", _currency, {}),
    ("status", lambda v: parse_status(str(v)), {}),
    ("placed_at", _placed_at, None),
    ("duration", lambda v: normalize_duration(str(v)), {}),
    ("renewal_of", _order_no, None),
    ("contact", lambda v: _contact(str(v)), {}),
)
