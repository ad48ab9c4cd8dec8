"""SQLite writers take turns, a turn is always given back, and a lost connection says so."""

import gc
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.engine import make_engine, make_session_factory, writing_here
from storage.migrate import upgrade


def write_session_starts_within(factory, seconds: float) -> bool:
    started = time.monotonic()
    with factory() as session:
        session.execute(text("SELECT 1"))
        session.commit()
    return time.monotonic() - started < seconds


def test_a_turn_is_given_back_however_the_session_ends(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)

    session = factory()
    session.execute(text("SELECT 1"))
    session.close()  # closed without commit
    assert write_session_starts_within(factory, 2)

    session = factory()
    session.execute(text("SELECT 1"))
    del session  # never closed: the connection goes back to the pool on collection
    gc.collect()
    assert write_session_starts_within(factory, 2)


def test_readers_do_not_wait_for_a_writer(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    upgrade(engine)
    writer = make_session_factory(engine)()
    writer.execute(
        text("INSERT INTO processedevent (event_id, received_at) VALUES ('e1', '2026-01-01')")
    )
    done = threading.Event()

    def read() -> None:
        with make_session_factory(engine, readonly=True)() as reader:
            reader.execute(text("SELECT count(*) FROM processedevent")).scalar()
        done.set()

    threading.Thread(target=read).start()
    assert done.wait(2), "a read waited for the writer's transaction"
    writer.rollback()
    writer.close()


def test_a_connection_lost_mid_transaction_surfaces_as_the_database_going_away(engine):
    """The outage's own error, which the background loops log as one line ("the database
    cannot be reached"), not an error of the transaction's bookkeeping."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a server backend to terminate")
    with pytest.raises(OperationalError), make_session_factory(engine)() as session:
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            other.commit()
        session.execute(text("SELECT 1"))
    assert writing_here() == 0
