"""Many rows in few statements, on SQLite and PostgreSQL.

SQLite: one prepared statement run by the driver's `executemany` (a C loop). PostgreSQL:
one `INSERT … SELECT FROM unnest(array, array, …)` per chunk, so the SQL text stays small
(psycopg re-parses a multi-row VALUES statement on every call; arrays bind in binary), or
COPY for rows that need no upsert (`copy_rows`).
Values are given as Python values (enums, dicts for JSON, aware datetimes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

SQLITE_IN = 500  # order_no IN (...) lookups
PG_CHUNK = 5000


def insert_or_skip(
    table: Table,
    conflict_on: Sequence[str],
    *,
    where: ColumnElement[bool] | TextClause | None = None,
    returning: Sequence[ColumnElement[Any]] = (),
) -> dict[str, Any]:
    """`INSERT … ON CONFLICT (conflict_on) [WHERE where] DO NOTHING [RETURNING …]` by dialect
    name, built once: run with its rows as parameters, it is compiled once (a VALUES list
    built per call is compiled anew each time)."""
    statements = {}
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
        statement = dialect.insert(table).on_conflict_do_nothing(
            index_elements=list(conflict_on), index_where=where
        )
        statements[name] = statement.returning(*returning) if returning else statement
    return statements


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        upsert(connection, table, rows)


def upsert(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    key: str | None = None,
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert `rows`; on a clash on unique column `key`, set the `update` columns.

    Returns the `returning` columns of every row written.
    """
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        return [
            found
            for start in range(0, len(rows), PG_CHUNK)
            for found in _pg_upsert(
                connection, table, rows[start : start + PG_CHUNK], key, update, returning
            )
        ]
    statement = sqlite.insert(table)
    if key:
        statement = statement.on_conflict_do_update(
            index_elements=[key], set_={name: statement.excluded[name] for name in update}
        )
    _sqlite_executemany(connection, table, statement.values({name: None for name in rows[0]}), rows)
    if not returning:
        return []
    if key is None:
        raise ValueError("on SQLite, returning needs the unique key to find the rows by")
    wanted = [row[key] for row in rows]
    columns = [table.c[name] for name in returning]
    found: list[tuple] = []
    for start in range(0, len(wanted), SQLITE_IN):
        chunk = wanted[start : start + SQLITE_IN]
        found.extend(
            tuple(row)
            for row in connection.execute(select(*columns).where(table.c[key].in_(chunk)))
        )
    return found


def _pg_upsert(connection, table, rows, key, update, returning) -> list[tuple]:
    names = list(rows[0])
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(
        f"CAST(%b AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names
    )
    columns = ", ".join(quote(name) for name in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) SELECT * FROM unnest({arrays})"
    if key:
        sets = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update)
        sql += f" ON CONFLICT ({quote(key)}) DO UPDATE SET {sets}"
    if returning:
        sql += f" RETURNING {', '.join(quote(name) for name in returning)}"
    params = [_pg_array(rows, name, table.c[name].type) for name in names]
    # psycopg itself, binary: SQLAlchemy would dump the arrays as escaped text
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall() if returning else []


def copy_rows(
    connection: Connection, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Rows given as tuples of Python values (in `names` order) into `table`, the fastest way
    each database takes them: COPY on PostgreSQL, executemany on SQLite (converted by the
    columns' types, as SQLAlchemy would). No JSON columns."""
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        listed = ", ".join(quote(name) for name in names)
        statement = f"COPY {quote(table.name)} ({listed}) FROM STDIN"
        psycopg: Any = connection.connection.driver_connection
        with psycopg.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    dialect = connection.dialect
    compiled = (
        insert(table).values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    )
    order = [names.index(name) for name in compiled.positiontup or ()]
    processors = [
        table.c[names[i]].type.dialect_impl(dialect).bind_processor(dialect) for i in order
    ]
    converted = [(at, process) for at, process in enumerate(processors) if process is not None]
    in_order = order == list(range(len(names)))
    values = []
    for row in rows:
        value = list(row) if in_order else [row[i] for i in order]
        for at, process in converted:
            value[at] = process(value[at])
        values.append(tuple(value))
    if values:
        connection.exec_driver_sql(compiled.string, values)


def any_of(connection: Connection, column: Any, values: list[Any]) -> Any:
    """`column IN values`. On PostgreSQL as `IN (SELECT unnest(array))`: one parameter, and
    an index lookup per value even in the generic plan psycopg switches to after five runs
    (when a table just grew and has no statistics yet, `IN ($1…$5000)` would scan it)."""
    if connection.dialect.name == "postgresql":
        array = bindparam(None, values, type_=postgresql.ARRAY(column.type))
        return column.in_(select(func.unnest(array)).scalar_subquery())
    return column.in_(values)


def _pg_array(rows: list[dict], name: str, column_type: Any) -> list[Any]:
    values = [row[name] for row in rows]
    if isinstance(column_type, JSON):
        return [None if value is None else json.dumps(value) for value in values]
    if any(isinstance(value, Enum) for value in values):
        return [value.value if isinstance(value, Enum) else value for value in values]
    return values


def _sqlite_executemany(
    connection: Connection, table: Table, statement: Any, rows: list[dict]
) -> None:
    """The driver's own executemany, on values converted column by column, each distinct
    value once: SQLAlchemy's per-parameter processing costs more than SQLite's writing."""
    compiled = statement.compile(dialect=connection.dialect)
    columns = []
    for name in compiled.positiontup:
        process = _processor(compiled.binds[name].type, connection.dialect)
        if name in rows[0]:
            values = [row[name] for row in rows]
        else:  # a column default SQLAlchemy added to the statement
            default = table.c[name].default
            values = [default.arg if default is not None and default.is_scalar else None] * len(
                rows
            )
        columns.append(values if process is None else list(map(process, values)))
    connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


def _processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = converted = process(value)
            return converted
        except TypeError:  # unhashable: JSON
            return process(value)

    return convert


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
