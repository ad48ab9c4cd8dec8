"""An order file staged in temporary tables, in one pass with constant memory, before any order
is touched.

`stage` checks each record (`check_record`) and writes the valid rows to `import_row` and
their sellers to `import_seller` a chunk at a time (COPY on PostgreSQL, executemany on
SQLite). What crosses rows is then asked of the database, so nothing about the file is held
in memory but its errors: an order number given twice, and renewals of orders in neither the
file nor the database (in turn, the rows renewing those). `bot.orders.imports.merge` then
writes the staged rows into the orders in the same transaction: a rollback leaves nothing,
and the tables go with it (at commit too on PostgreSQL; `drop` on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    Table,
    delete,
    exists,
    false,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable
from sqlmodel import Session

from bot.orders.imports.rules import DESCRIPTIVE, every_decision, initial_state
from bot.orders.imports.validation import OrderRow, RowError, check_record
from storage import bulk
from storage.models import Order, OrderSeller
from storage.rows import table_of
from storage.states import OrderStatus
from storage.types import UTCDateTime

CHUNK = 10_000  # rows checked, then written in one COPY or executemany

_orders = table_of(Order)
_metadata = MetaData()
_temporary: dict[str, Any] = {"prefixes": ["TEMPORARY"], "postgresql_on_commit": "DROP"}
# the checked rows, in the orders' own column types (so SQL compares them exactly); whether a
# row renews an order whose supervision is done, and the validity it continues, are filled in
# by bot.orders.imports.renewals, whether it changes its stored order by .existing
ROWS = Table(
    "import_row",
    _metadata,
    Column("row_no", Integer, primary_key=True, autoincrement=False),
    Column("order_no", _orders.c.order_no.type, nullable=False),
    *(Column(name, _orders.c[name].type) for name in DESCRIPTIVE),
    Column("state", _orders.c.state.type, nullable=False),  # as a new order (initial_state)
    Column("renews_supervised", Boolean, nullable=False, server_default=false()),
    Column("validity_start", UTCDateTime),
    Column("validity_end", UTCDateTime),
    Column("changed", Boolean, nullable=False, server_default=false()),  # its stored order differs
    **_temporary,
)
SELLERS = Table(
    "import_seller",
    _metadata,
    Column("row_no", Integer, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("seller", table_of(OrderSeller).c.seller.type, nullable=False),
    **_temporary,
)
# decide_state's every answer for a stored order, for SQL to look up (state None: supervision
# keeps the one it reached)
DECISIONS = Table(
    "import_decision",
    _metadata,
    Column("status", _orders.c.imported_status.type, primary_key=True),
    Column("renews_supervised", Boolean, primary_key=True),
    Column("existing", _orders.c.state.type, primary_key=True),
    Column("first_round", Boolean, primary_key=True),
    Column("state", _orders.c.state.type),
    **_temporary,
)
_BY_ORDER_NO = Index("ix_import_row_order_no", ROWS.c.order_no)  # built once the rows are in
# OrderRow's fields, but for its sellers, are import_row's first columns
_STAGED = ("row_no", "order_no", *DESCRIPTIVE, "state")
_SELLERS = OrderRow._fields.index("sellers")
_NEW_STATE = {status: (initial_state(status, renews_supervised=False),) for status in OrderStatus}


@dataclass
class Staged:
    """What `stage` found: how many records, how many rows wait in `import_row`, the errors."""

    records: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


def create(connection: Connection) -> None:
    drop(connection)
    if connection.dialect.name == "postgresql":  # hash joins over a whole file, in memory
        connection.execute(text("SET LOCAL work_mem = '64MB'"))
    for table in (ROWS, SELLERS, DECISIONS):
        connection.execute(CreateTable(table))
    decisions = [
        {
            "status": status,
            "renews_supervised": renews,
            "existing": existing,
            "first_round": first_round,
            "state": state,
        }
        for status, renews, existing, first_round, state in every_decision()
    ]
    connection.execute(insert(DECISIONS), decisions)


def drop(connection: Connection) -> None:
    for table in (ROWS, SELLERS, DECISIONS):
        connection.execute(DropTable(table, if_exists=True))


def write(connection: Connection, rows: Sequence[OrderRow]) -> None:
    """Checked rows into the staging tables (not yet indexed by order number)."""
    if not rows:
        return
    staged = (row[:_SELLERS] + row[_SELLERS + 1 :] + _NEW_STATE[row.status] for row in rows)
    bulk.copy_rows(connection, ROWS, _STAGED, staged)
    bulk.copy_rows(
        connection,
        SELLERS,
        ("row_no", "position", "seller"),
        ((row.row, n, seller) for row in rows for n, seller in enumerate(row.sellers)),
    )


def index(connection: Connection) -> None:
    """Once every row is written: the order number index, and (PostgreSQL, which never
    analyzes temporary tables itself) statistics for the planner."""
    connection.execute(CreateIndex(_BY_ORDER_NO))
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE import_row, import_seller, import_decision"))


def stage(
    session: Session,
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    product_ids: dict[str, int],
    now: datetime,
) -> Staged:
    """Every record checked, the valid rows staged: the same errors, in row order, as
    `validate_orders` finds in a list. Invalid rows are not staged (as with --skip-invalid)."""
    connection = session.connection()
    create(connection)
    found = Staged()
    invalid: set[str] = set()  # order numbers of invalid rows, for the renewals' message
    chunk: list[OrderRow] = []
    for number, record in records:
        found.records += 1
        row, errors = check_record(number, record, product_ids, now)
        if row is None:
            found.errors.extend(errors)
            if errors[0].order_no:
                invalid.add(errors[0].order_no)
            continue
        chunk.append(row)
        if len(chunk) >= CHUNK:
            write(connection, chunk)
            found.rows += len(chunk)
            chunk = []
    write(connection, chunk)
    found.rows += len(chunk)
    index(connection)
    found.rows -= _drop_duplicates(connection, found.errors)
    found.rows -= _drop_orphans(connection, found.errors, invalid)
    found.errors.sort(key=lambda error: error.row)
    return found


def _drop_duplicates(connection: Connection, errors: list[RowError]) -> int:
    """A valid row whose order number an earlier valid row has: "appears again"."""
    first = (
        select(ROWS.c.order_no, func.min(ROWS.c.row_no).label("first"))
        .group_by(ROWS.c.order_no)
        .having(func.count() > 1)
        .subquery()
    )
    again = (
        select(ROWS.c.row_no, ROWS.c.order_no, first.c.first)
        .join(first, first.c.order_no == ROWS.c.order_no)
        .where(ROWS.c.row_no > first.c.first)
    )
    found = connection.execute(again).all()
    errors.extend(
        RowError(number, order_no, "order_no", f"appears again (first at row {at})")
        for number, order_no, at in found
    )
    _drop(connection, [number for number, _, _ in found])
    return len(found)


def _drop_orphans(connection: Connection, errors: list[RowError], invalid: set[str]) -> int:
    """Renewals of an order in neither the file (a valid row) nor the database, then the
    rows renewing those, until none is left."""
    renewed = ROWS.alias("renewed")
    orphans = (
        select(ROWS.c.row_no, ROWS.c.order_no, ROWS.c.renewal_of)
        .where(ROWS.c.renewal_of.is_not(None))
        .where(~exists().where(renewed.c.order_no == ROWS.c.renewal_of))
        .where(~exists().where(_orders.c.order_no == ROWS.c.renewal_of))
        .order_by(ROWS.c.row_no)
    )
    dropped = 0
    while found := connection.execute(orphans).all():
        for number, order_no, renewal_of in found:
            message = (
                f"order {renewal_of}'s own row is invalid (fix it first)"
                if renewal_of in invalid
                else f"there is no order {renewal_of}, in this file or already imported"
            )
            errors.append(RowError(number, order_no, "renewal_of", message))
        invalid.update(order_no for _, order_no, _ in found)
        _drop(connection, [number for number, _, _ in found])
        dropped += len(found)
    return dropped


def _drop(connection: Connection, numbers: list[int]) -> None:
    for chunk in bulk.chunks(numbers, bulk.SQLITE_IN):
        for table in (ROWS, SELLERS):
            connection.execute(delete(table).where(table.c.row_no.in_(chunk)))
