"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

SessionFactory = Callable[[], Session]


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe: take the write lock at BEGIN so a read-then-write
    transaction waits for the busy timeout instead of failing at once with SQLITE_BUSY."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers in this process queue on a lock in turn instead of polling SQLite's busy
    # handler, whose growing sleeps (up to 100 ms) gave p99s of over a second at 16 clients.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READONLY, False):
            return  # no BEGIN: each read sees the latest commit, as on PostgreSQL (below)
        if writer.acquire(timeout=WRITER_WAIT_SECONDS):
            connection.info["holds_writer"] = True
            _writing.transactions = writing_here() + 1
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def _release(connection):
        if connection.info.pop("holds_writer", False):
            _writing.transactions = max(0, writing_here() - 1)
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        """A connection given back without commit or rollback (a session never closed)."""
        if record.info.pop("holds_writer", False):
            writer.release()


_writing = threading.local()


def writing_here() -> int:
    """How many SQLite write transactions this thread has open (each holds the write lock)."""
    return getattr(_writing, "transactions", 0)


READONLY = "deliverybot_readonly"
WRITER_WAIT_SECONDS = 30  # then fall back to SQLite's own busy timeout


def make_session_factory(engine: Engine, *, readonly: bool = False) -> SessionFactory:
    """Sessions for work that writes, or (`readonly`) for work that only reads: on SQLite
    those never take the write lock, so reads never queue behind writers. They run without
    BEGIN and ROLLBACK (on PostgreSQL two round trips of every read session), which changes
    nothing read there: at READ COMMITTED each statement takes its own snapshot. SQLite's
    reads do the same (they took one snapshot for the whole session before)."""
    options: dict[str, object] = {READONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    bind = engine.execution_options(**options) if readonly else engine
    return sessionmaker(bind, class_=Session, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
