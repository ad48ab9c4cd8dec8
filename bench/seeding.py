"""Seeding a benchmark database fast: N orders for one seller (Core executemany on SQLite,
COPY on PostgreSQL, rows written by psycopg), and a database of its own (a SQLite file, or a
fresh PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Order, OrderSeller, Product
from storage.rows import table_of

SELLER = "USELLER"
CHUNK = 20_000


@contextmanager
def database(kind: str, folder: Path, pg_url: str | None, name: str) -> Iterator[Engine]:
    """A migrated, empty database: `sqlite` (a file in `folder`) or `pg` (a schema)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / (name + '.db')}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    assert pg_url, "PostgreSQL needs --pg URL (or TEST_DATABASE_URL)"
    admin = make_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"))
    engine = make_engine(url_of_schema(pg_url, name), pool_size=20)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        admin.dispose()


def url_of_schema(pg_url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use `schema` (so another process can open it)."""
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}options=-csearch_path%3D{schema}"


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def seed_orders(engine: Engine, count: int, *, seller: str = SELLER, prefix: str = "B") -> None:
    """`count` orders awaiting delivery, all sold by `seller`, placed a minute apart."""
    placed = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        product_id = connection.execute(
            insert(table_of(Product))
            .values(code=f"BENCH{prefix}", name="Bench product", delivery_template=[])
            .returning(table_of(Product).c.id)
        ).scalar_one()
        first_id = (connection.execute(text("SELECT max(id) FROM orders")).scalar() or 0) + 1
    postgres = engine.dialect.name == "postgresql"
    superuser = postgres and _is_superuser(engine)
    for start in range(0, count, CHUNK):
        rows = range(start, min(count, start + CHUNK))
        orders = [
            {
                "id": first_id + n,
                "order_no": f"{prefix}{n:07d}",
                "product_id": product_id,
                "amount": 100,
                "currency": "EUR",
                "imported_status": "Processing",
                "state": "awaiting_delivery",
                "placed_at": placed + timedelta(minutes=n),
                "duration": "P1M",
                "round": 0,
                "rejected_rounds": 0,
                "state_changed_at": placed,
                "created_at": placed,
                "updated_at": placed,
            }
            for n in rows
        ]
        sellers = [{"order_id": first_id + n, "seller": seller} for n in rows]
        with engine.begin() as connection:
            if postgres:
                if superuser:  # rows consistent by construction: no per-row foreign-key check
                    connection.execute(text("SET LOCAL session_replication_role = replica"))
                _copy(connection, "orders", orders)
                _copy(connection, "orderseller", sellers)
            else:
                connection.execute(insert(table_of(Order)), orders)
                connection.execute(insert(table_of(OrderSeller)), sellers)
    with engine.begin() as connection:
        if postgres:
            connection.execute(text("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))"))
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))


def _is_superuser(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(text("SELECT current_setting('is_superuser')")).scalar() == "on"


def _copy(connection, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
