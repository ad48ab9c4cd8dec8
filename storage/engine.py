"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from weakref import WeakKeyDictionary

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
    engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not connection.get_execution_options().get(READONLY, False):
            _count_write(connection)

    _settle_writes(engine)
    return engine


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
        blocked = _while_blocked.get(engine, nullcontext)
        holds = writer.acquire(blocking=False)
        if not holds:
            with blocked():
                holds = writer.acquire(timeout=WRITER_WAIT_SECONDS)
        connection.info["holds_writer"] = holds
        _begin_immediate(connection, blocked)
        _count_write(connection)  # once SQLite's lock is held, also past the writer wait

    def _release_writer(info):
        if info.pop("holds_writer", False):
            writer.release()

    _settle_writes(engine, _release_writer)


def _count_write(connection) -> None:
    """One more write transaction open in this thread: the thread's own count, which a
    connection given back by another thread settles (`_settle_writes`)."""
    if not hasattr(_writing, "count"):
        _writing.count = _Count()
    _writing.count.add(1)
    connection.info["counted"] = _writing.count


def _settle_writes(engine: Engine, release: Callable[[dict], None] = lambda info: None) -> None:
    """At a write transaction's end its count goes, and `release` frees what it held."""

    def _end(info):
        if count := info.pop("counted", None):
            count.add(-1)
        release(info)

    def _on_end(connection):
        # a connection lost mid-transaction is settled at its check-in: its .info would try
        # to reconnect, and raise in place of the error that says the database went away
        if not connection.invalidated:
            _end(connection.info)

    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)
    # a connection given back without commit or rollback (a session never closed)
    event.listen(engine, "checkin", lambda _dbapi_connection, record: _end(record.info))


class _Count:
    """A thread's open write transactions (settled from another thread by a garbage-collected
    session's connection, hence the lock)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, change: int) -> None:
        with self._lock:
            self.value = max(0, self.value + change)


def _begin_immediate(connection, blocked: Callable[[], AbstractContextManager]) -> None:
    """BEGIN IMMEDIATE, tried for FIRST_TRY_MS (the previous writer of this process may still
    be committing); only when another process holds SQLite's write lock (an `orders import`,
    say) is it tried again, within `blocked`, for the busy timeout (and through SQLAlchemy,
    so that its failure is reported as any other)."""
    info, raw = connection.info, connection.connection.dbapi_connection
    if "busy_timeout" not in info:  # as set at connect, the default's and any listener's
        (info["busy_timeout"],) = raw.execute("PRAGMA busy_timeout").fetchone()
    busy_timeout = int(info["busy_timeout"])
    raw.execute(f"PRAGMA busy_timeout={min(FIRST_TRY_MS, busy_timeout)}")
    try:
        raw.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.Error as error:
        busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_timeout}")
    with blocked() if busy else nullcontext():
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def yield_while_blocked(engine: Engine, blocked: Callable[[], AbstractContextManager]) -> None:
    """Wrap a write transaction's waits for SQLite's write lock (behind this process's writers,
    then another process's) in `blocked` (bot.web: the request's turn goes to the next). Not
    used on PostgreSQL, whose writers lock rows, not the database."""
    _while_blocked[engine] = blocked


_while_blocked: WeakKeyDictionary[Engine, Callable[[], AbstractContextManager]] = (
    WeakKeyDictionary()
)
_writing = threading.local()


def writing_here() -> int:
    """How many write transactions this thread has open (on SQLite each holds the write lock;
    on PostgreSQL they may hold row locks)."""
    count = getattr(_writing, "count", None)
    return count.value if count else 0


READONLY = "deliverybot_readonly"
WRITER_WAIT_SECONDS = 30  # then fall back to SQLite's own busy timeout
FIRST_TRY_MS = 50


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
