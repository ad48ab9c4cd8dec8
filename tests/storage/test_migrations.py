"""The migrations build exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, is_migrated, upgrade


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert current_revision(engine) == head_revision(engine)


def test_a_fresh_sqlite_file_migrates_and_reports_so(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not is_migrated(engine)
    upgrade(engine)
    assert is_migrated(engine)
    upgrade(engine)  # a second run is a no-op
    assert is_migrated(engine)


def test_sqlite_connections_enforce_foreign_keys_and_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_deliveries_submitted_before_zones_were_kept_have_none(tmp_path):
    """0002 adds Delivery.customer_tz; rows already there get NULL (the cached zone is used)."""
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO product (id, code, name) VALUES (1, 'P', 'Product');"))
        connection.execute(
            text(
                "INSERT INTO orders (id, order_no, product_id, amount, currency, imported_status,"
                " state, placed_at, duration, round, rejected_rounds, state_changed_at,"
                " created_at, updated_at) VALUES (1, '1', 1, 1, 'EUR', 'Processing',"
                " 'awaiting_acceptance', '2026-01-01', 'P1M', 1, 0, '2026-01-01', '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO delivery (order_id, round, state, holder, step, enabling_decided,"
                " created_at, updated_at) VALUES (1, 1, 'submitted', 'U1', 'submitted', 1,"
                " '2026-01-01', '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT customer_tz FROM delivery")).all() == [(None,)]
    engine.dispose()
