"""Typed helpers for the row operations the bot does everywhere: fetching a row that must
exist, the key of a row that has been saved, and a compare-and-set UPDATE whose row count
decides who won."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Table
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def get_row(session: Session, model: type[Row], key: Any, **options: Any) -> Row:
    """The row of `model` with primary key `key`; LookupError when there is none (a row the
    caller's own data points at, so its absence is a bug, not a user error)."""
    row = session.get(model, key, **options)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} does not exist")
    return row


def saved_id(row: _Keyed) -> int:
    """The primary key of a row that has been flushed or loaded (None only before that)."""
    if row.id is None:
        raise LookupError(f"{type(row).__name__} has no id: it was never saved")
    return row.id


def changed_rows(
    session: Session, statement: Executable, params: dict[str, Any] | None = None
) -> int:
    """Run an UPDATE/DELETE (with `params` for its bound parameters) and return how many rows
    it changed."""
    result = cast("CursorResult[Any]", session.execute(statement, params))
    return result.rowcount


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model (for bulk inserts and upserts)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # SQLModel does not declare it
