"""Order files read into raw records: CSV (spreadsheet exports) or JSON.

Keys are normalised to our field names (people write "Order No", "seller", "product");
each record carries the row number a person would look for: in a CSV the spreadsheet row
(the header is row 1), in JSON the position in the list (from 1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

Records = list[tuple[int, dict[str, Any]]]

# header spellings people use -> our field
ALIASES = {
    "order_no": "order_no",
    "order": "order_no",
    "order_number": "order_no",
    "order_id": "order_no",
    "product_code": "product_code",
    "product": "product_code",
    "code": "product_code",
    "amount": "amount",
    "price": "amount",
    "total": "amount",
    "currency": "currency",
    "status": "status",
    "order_status": "status",
    "placed_at": "placed_at",
    "placed": "placed_at",
    "placement_time": "placed_at",
    "duration": "duration",
    "term": "duration",
    "sellers": "sellers",
    "seller": "sellers",
    "customer": "customer",
    "customer_user_id": "customer_user_id",
    "customer_id": "customer_user_id",
    "customer_email": "customer_email",
    "customer_name": "customer_name",
    "customer_channel": "customer_channel",
    "channel": "customer_channel",
    "slack_connect_channel": "customer_channel",
    "renewal_of": "renewal_of",
    "renews": "renewal_of",
}
# columns `deliverybot orders list --csv` writes that an import does not read
EXPORT_ONLY = {
    "product_name",
    "state",
    "round",
    "enabling_time",
    "accepted_at",
    "accepted_by",
    "validity_start",
    "validity_end",
}
REQUIRED = ("order_no", "product_code", "amount", "currency", "status", "placed_at", "duration")
# what a spreadsheet runs as a formula when a cell starts with it: `orders list --csv` writes such
# a cell with a leading single quote (bot.orders.listing), and the import takes the quote off
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, shape)."""


def read_records(path: Path) -> tuple[Records, list[str]]:
    """(row number, record) pairs with normalised keys, and the columns nobody reads."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{path.name} is not UTF-8 text ({error.reason})") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        return _json_records(text, path.name)
    return _csv_records(text)


def stream_records(path: Path) -> tuple[Iterator[tuple[int, dict[str, Any]]], list[str]]:
    """Like `read_records`, reading a CSV file a line at a time (constant memory): the
    records as an iterator, and the columns nobody reads. JSON is read whole."""
    with path.open(encoding="utf-8-sig", newline="") as probe:
        try:
            start = probe.read(64).lstrip()
        except UnicodeDecodeError as error:
            raise ImportFileError(f"{path.name} is not UTF-8 text ({error.reason})") from None
    if path.suffix.lower() == ".json" or start.startswith(("[", "{")):
        whole, ignored = read_records(path)
        return iter(whole), ignored
    handle = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except UnicodeDecodeError as error:
        handle.close()
        raise ImportFileError(f"{path.name} is not UTF-8 text ({error.reason})") from None
    try:
        keys, ignored = _header(header)
    except ImportFileError:
        handle.close()
        raise

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        with handle:
            try:
                yield from _rows(reader, keys)
            except UnicodeDecodeError as error:
                raise ImportFileError(f"{path.name} is not UTF-8 text ({error.reason})") from None

    return records(), ignored


def _json_records(text: str, name: str) -> tuple[Records, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"{name} is not valid JSON: {error}") from None
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        data = data["orders"]
    if not isinstance(data, list):
        raise ImportFileError(f'{name}: expected a list of orders (or {{"orders": [...]}})')
    records, ignored = [], set()
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            records.append((number, {"_error": "expected an object with the order's fields"}))
            continue
        record, unknown = _normalise(item)
        ignored |= unknown
        records.append((number, record))
    return records, sorted(ignored)


def _csv_records(text: str) -> tuple[Records, list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    keys, ignored = _header(next(reader, None))
    return list(_rows(reader, keys)), ignored


def _header(header: list[str] | None) -> tuple[list[str], list[str]]:
    """The normalised keys of a CSV header, and the columns nobody reads."""
    if not header:
        raise ImportFileError("the CSV file is empty (expected a header row)")
    keys = [_key(column) for column in header]
    missing = [f for f in REQUIRED if f not in {ALIASES.get(k) for k in keys}]
    if missing:
        raise ImportFileError(
            f"the CSV header lacks {', '.join(missing)} (it has: {', '.join(header)})"
        )
    ignored = sorted(
        {column for column, key in zip(header, keys, strict=True) if key not in ALIASES}
        - EXPORT_ONLY
    )
    return keys, ignored


def _rows(reader: Any, keys: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    known = [(i, ALIASES[key]) for i, key in enumerate(keys) if key in ALIASES]
    fields = [field for _, field in known]
    pick = itemgetter(*(i for i, _ in known))  # REQUIRED: several columns, so a tuple
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        joined = "".join(values)
        if not joined.strip():
            continue
        if "'" in joined:
            values = [_unquoted(value) for value in values]
        if len(values) >= len(keys):
            record = dict(zip(fields, pick(values), strict=True))
        else:
            record = {field: values[i] for i, field in known if i < len(values)}
        if len(values) > len(keys):
            record["_error"] = f"{len(values)} values for {len(keys)} columns"
        yield start, record


def _unquoted(cell: str) -> str:
    """A cell as it was before `orders list --csv` quoted it against formula injection."""
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith(FORMULA_STARTS) else cell


def _key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace(".", " ").split())


def _normalise(item: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    record, unknown = {}, set()
    for name, value in item.items():
        key = ALIASES.get(_key(str(name)))
        if key:
            record[key] = value
        elif _key(str(name)) not in EXPORT_ONLY:
            unknown.add(str(name))
    return record, unknown
