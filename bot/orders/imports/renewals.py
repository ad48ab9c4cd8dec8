"""The staged renewals: which renew an order whose supervision is done (so are not supervised),
and the validity each such renewal continues, counted on its customer's calendar.

Decided in Python before the merge (calendar arithmetic in the customer's time zone), in file
order, a chunk of renewals at a time: the renewed order is as the rows before this one left
it (an earlier row of the file), else as the database holds it. Only the renewals are read;
what they decide is written back to `import_row` for the merge's set-based statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from bot.core.dates import zone
from bot.orders.calendar import CustomerZones
from bot.orders.imports.rules import SUPERVISION_DONE, decide_state, initial_state
from bot.orders.imports.staging import ROWS
from bot.orders.validity import renewal_validity
from storage.models import Order
from storage.rows import table_of
from storage.states import OrderStatus, SupervisionState

CHUNK = 5000

Outcome = tuple[SupervisionState | None, datetime | None]  # an order's state and validity end


def decide(connection: Connection) -> None:
    orders = table_of(Order)
    existing, renewed, renewed_row = orders.alias("existing"), orders.alias("renewed"), ROWS.alias()
    query = (
        select(
            ROWS.c.row_no,
            ROWS.c.order_no,
            ROWS.c.imported_status,
            ROWS.c.duration,
            ROWS.c.customer_user_id,
            ROWS.c.customer_email,
            existing.c.state,
            existing.c.round,
            existing.c.validity_end,
            renewed_row.c.row_no.label("renewed_row_no"),
            renewed_row.c.order_no.label("renewed_order_no"),
            renewed_row.c.imported_status.label("renewed_status"),
            renewed_row.c.renews_supervised.label("renewed_renews"),
            renewed_row.c.validity_end.label("renewed_new_end"),
            renewed.c.state.label("renewed_state"),
            renewed.c.round.label("renewed_round"),
            renewed.c.validity_end.label("renewed_end"),
        )
        .select_from(
            ROWS.outerjoin(existing, existing.c.order_no == ROWS.c.order_no)
            .outerjoin(renewed_row, renewed_row.c.order_no == ROWS.c.renewal_of)
            .outerjoin(renewed, renewed.c.order_no == ROWS.c.renewal_of)
        )
        .where(ROWS.c.renewal_of.is_not(None), ROWS.c.row_no > bindparam("after"))
        .order_by(ROWS.c.row_no)
        .limit(CHUNK)
    )
    write_back = (
        update(ROWS)
        .where(ROWS.c.row_no == bindparam("number"))
        .values(
            renews_supervised=True,
            state=bindparam("fresh"),
            validity_start=bindparam("start"),
            validity_end=bindparam("end"),
        )
    )
    after = 0
    while rows := connection.execute(query, {"after": after}).all():
        writes = _decided(rows, CustomerZones.load(connection, rows))
        if writes:
            connection.execute(write_back, writes)
        after = rows[-1].row_no


def _decided(rows: Sequence[Any], zones: CustomerZones) -> list[dict[str, Any]]:
    """The renewals of finished orders among `rows`, with the validity they continue."""
    outcomes: dict[str, Outcome] = {}  # the renewals of this chunk, once decided
    writes = []
    for row in rows:
        renewed = _renewed(row, outcomes)
        renews = renewed is not None and renewed[0] in SUPERVISION_DONE
        state = decide_state(
            row.imported_status,
            renews_supervised=renews,
            existing=row.state,
            rounds=row.round or 0,
        )
        if state is None:  # supervision keeps its own
            outcomes[row.order_no] = (row.state, row.validity_end)
            continue
        start = end = None
        if state is SupervisionState.NOT_SUPERVISED and renewed and renewed[1] is not None:
            validity = renewal_validity(
                renewed_end=renewed[1], duration=row.duration, tz=zone(zones.of(row))
            )
            start, end = validity.start, validity.end
        outcomes[row.order_no] = (state, end)
        if renews:
            fresh = initial_state(row.imported_status, renews_supervised=True)
            writes.append({"number": row.row_no, "fresh": fresh, "start": start, "end": end})
    return writes


def _renewed(row: Any, outcomes: dict[str, Outcome]) -> Outcome | None:
    """The renewed order as this row finds it: as an earlier row of the file left it, else as
    stored (None when it is neither stored nor earlier in the file)."""
    if row.renewed_row_no is None or row.renewed_row_no > row.row_no:
        return None if row.renewed_state is None else (row.renewed_state, row.renewed_end)
    if row.renewed_order_no in outcomes:  # a renewal earlier in this chunk
        return outcomes[row.renewed_order_no]
    # as staged (a renewal of an earlier chunk has its decision written back)
    return _outcome(
        row.renewed_status,
        renews=row.renewed_renews,
        end=row.renewed_new_end,
        stored=(row.renewed_state, row.renewed_end),
        rounds=row.renewed_round,
    )


def _outcome(
    status: OrderStatus, *, renews: bool, end: datetime | None, stored: Outcome, rounds: int | None
) -> Outcome:
    state = decide_state(status, renews_supervised=renews, existing=stored[0], rounds=rounds or 0)
    return stored if state is None else (state, end)
