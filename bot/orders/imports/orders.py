"""Checked order rows written to the database: an idempotent upsert by order number that never
undoes supervision, with one audit event per created or changed order, in the caller's
transaction (bot.orders.imports.rules says what a row does to its order).

`import_orders` takes rows already in a list (the demo, tests, small files) through the same
staging tables and merge as `deliverybot orders import` streams a file through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.orders.imports import staging
from bot.orders.imports.merge import merge
from bot.orders.imports.validation import OrderRow
from bot.orders.queries import stored_order_nos
from storage.bulk import chunks


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    state_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (no, from, to)


def import_orders(session: Session, rows: list[OrderRow], *, now: datetime) -> ImportReport:
    """`rows` as `validate_orders` returns them (each order number once, every renewal of an
    order in the rows or stored)."""
    connection = session.connection()
    stored = stored_order_nos(session, {row.order_no for row in rows})
    staging.create(connection)
    for chunk in chunks(rows, staging.CHUNK):
        staging.write(connection, chunk)
    staging.index(connection)
    report, updated = ImportReport(), set()
    for merged in merge(connection, now=now):
        updated.update(merged.updated)
        report.state_changes.extend(merged.state_changes)
    for row in rows:
        if row.order_no not in stored:
            report.created.append(row.order_no)
        elif row.order_no in updated:
            report.updated.append(row.order_no)
        else:
            report.unchanged.append(row.order_no)
    return report
