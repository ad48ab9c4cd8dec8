"""A large order file imported in chunks with constant memory, still all or nothing.

Pass one checks every row (`check_stream`) and spools the valid ones to a temporary file, a
chunk at a time, keeping only what crosses rows: the order numbers seen (duplicates, and the
renewals that name an order in the file) and the renewals themselves. Pass two
(`import_spooled`) writes the spooled chunks with `import_orders` in the caller's one
transaction: nothing is written when any row is invalid (unless skipped), and a failure half
way leaves the database as it was. PostgreSQL then gets an ANALYZE, so its planner knows the
tables' new sizes.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import text
from sqlmodel import Session

from bot.orders.imports.orders import CHUNK, ImportReport, Progress, import_orders
from bot.orders.imports.validation import (
    KnownOrders,
    OrderRow,
    RowError,
    check_record,
    nothing_stored,
)
from storage.states import OrderStatus

STATE_CHANGES_KEPT = 1000  # listed in the report; the rest are counted


@dataclass
class Spooled:
    """What pass one found: the valid rows' chunks (in `spool`), and every error."""

    spool: BinaryIO
    chunks: int = 0
    rows: int = 0
    records: int = 0
    errors: list[RowError] = field(default_factory=list)
    dropped: set[int] = field(default_factory=set)  # spooled rows found invalid afterwards

    def read(self) -> Iterator[list[OrderRow]]:
        self.spool.seek(0)
        for _ in range(self.chunks):
            chunk: list[tuple] = pickle.load(self.spool)
            yield [_decoded(values) for values in chunk if values[0] not in self.dropped]

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


@dataclass
class Totals:
    """An import's outcome, counted (the order numbers are not kept: there may be millions)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)
    more_state_changes: int = 0

    def add(self, report: ImportReport) -> None:
        self.created += len(report.created)
        self.updated += len(report.updated)
        self.unchanged += len(report.unchanged)
        room = STATE_CHANGES_KEPT - len(self.state_changes)
        self.state_changes.extend(report.state_changes[:room])
        self.more_state_changes += max(0, len(report.state_changes) - room)


@contextmanager
def spooled_check(
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    product_ids: dict[str, int],
    now: datetime,
    known_orders: KnownOrders = nothing_stored,
) -> Iterator[Spooled]:
    """Pass one, as `validate_orders` checks a list: the same errors, in row order."""
    with tempfile.TemporaryFile(prefix="deliverybot-import-") as spool:
        found = Spooled(spool)
        seen: set[str] = set()  # valid rows' order numbers
        duplicates: dict[str, list[int]] = {}
        invalid: set[str] = set()
        renewals: list[tuple[int, str, str]] = []  # (row, order no., renewed order no.)
        chunk: list[OrderRow] = []
        for number, record in records:
            found.records += 1
            row, row_errors = check_record(number, record, product_ids, now)
            if row and row.order_no in seen:
                duplicates.setdefault(row.order_no, []).append(number)
                row = None
            if row:
                seen.add(row.order_no)
                if row.renewal_of:
                    renewals.append((row.row, row.order_no, row.renewal_of))
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    _spool(found, chunk)
                    chunk = []
            elif row_errors and row_errors[0].order_no:
                invalid.add(row_errors[0].order_no)
            found.errors.extend(row_errors)
        if chunk:
            _spool(found, chunk)
        if duplicates:
            found.errors.extend(_duplicate_errors(found, duplicates))
        _orphans(found, seen, invalid, renewals, known_orders)
        found.errors.sort(key=lambda error: error.row)
        yield found


def _spool(found: Spooled, chunk: list[OrderRow]) -> None:
    rows = [_encoded(row) for row in chunk]
    pickle.dump(rows, found.spool, protocol=pickle.HIGHEST_PROTOCOL)
    found.chunks += 1
    found.rows += len(chunk)


_FIELDS = list(OrderRow._fields)
_AMOUNT, _STATUS, _PLACED = (_FIELDS.index(name) for name in ("amount", "status", "placed_at"))


def _encoded(row: OrderRow) -> tuple:
    """A row as a tuple of plain values (`row` first): these pickle about six times faster
    than the dataclass with its Decimal, enum and datetime."""
    values = [getattr(row, name) for name in _FIELDS]
    values[_AMOUNT] = str(row.amount)
    values[_STATUS] = row.status.value
    values[_PLACED] = row.placed_at.isoformat()
    return tuple(values)


def _decoded(values: tuple) -> OrderRow:
    plain = list(values)
    plain[_AMOUNT] = Decimal(plain[_AMOUNT])
    plain[_STATUS] = OrderStatus(plain[_STATUS])
    plain[_PLACED] = datetime.fromisoformat(plain[_PLACED])
    return OrderRow(*plain)


def _duplicate_errors(found: Spooled, duplicates: dict[str, list[int]]) -> list[RowError]:
    """ "appears again (first at row N)": the first rows are looked up in the spool (only when
    the file has duplicates, so the common case keeps no row numbers)."""
    first: dict[str, int] = {}
    for chunk in found.read():
        for row in chunk:
            if row.order_no in duplicates and row.order_no not in first:
                first[row.order_no] = row.row
    return [
        RowError(number, no, "order_no", f"appears again (first at row {first[no]})")
        for no, numbers in duplicates.items()
        for number in numbers
    ]


def _orphans(
    found: Spooled,
    seen: set[str],
    invalid: set[str],
    renewals: list[tuple[int, str, str]],
    known_orders: KnownOrders,
) -> None:
    """Renewals of an order in neither the file (a valid row) nor the database become errors,
    and so, in turn, do the rows renewing those (as `validate_orders` does)."""
    refs = {renewed for _, _, renewed in renewals} - seen
    stored = known_orders(refs) if refs else set()
    while True:
        orphans = [r for r in renewals if r[2] not in seen and r[2] not in stored]
        if not orphans:
            return
        for number, order_no, renewed in orphans:
            message = (
                f"order {renewed}'s own row is invalid (fix it first)"
                if renewed in invalid
                else f"there is no order {renewed}, in this file or already imported"
            )
            found.errors.append(RowError(number, order_no, "renewal_of", message))
            invalid.add(order_no)
            seen.discard(order_no)
            found.dropped.add(number)
        renewals = [r for r in renewals if r not in orphans]


def import_spooled(
    session: Session, found: Spooled, *, now: datetime, progress: Progress | None = None
) -> Totals:
    """Pass two: every valid row written, chunk by chunk, in the session's transaction (the
    caller commits); then `analyze` once committed."""
    totals = Totals()
    for chunk in found.read():
        totals.add(import_orders(session, chunk, now=now, progress=progress))
    return totals


def analyze(session: Session) -> None:
    """PostgreSQL: fresh planner statistics for the tables a large import grew."""
    if session.get_bind().dialect.name == "postgresql":
        for table in ("orders", "orderseller", "auditevent"):
            session.execute(text(f"ANALYZE {table}"))
        session.commit()
