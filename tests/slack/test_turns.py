"""Requests take turns in arrival order (one at a time on SQLite, a few on PostgreSQL), and one
waiting on Slack lets the rest run."""

import threading
import time

from bot.slack.inbound.turns import Turns, waiting


def _queued(turns: Turns, count: int, order: list[int]) -> list[threading.Thread]:
    """`count` threads asking for a turn one after another, each noting when it got it."""

    def run(n: int) -> None:
        with turns.turn():
            order.append(n)

    threads, before = [], len(turns._queue)
    for n in range(count):
        threads.append(threading.Thread(target=run, args=(n,)))
        threads[-1].start()
        _until_queued(turns, before + n + 1)  # each has asked before the next starts
    return threads


def _until_queued(turns: Turns, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(turns._queue) < count and time.monotonic() < deadline:
        time.sleep(0.001)


def test_turns_go_in_arrival_order():
    turns, order = Turns(), []
    with turns.turn():
        threads = _queued(turns, 5, order)
        assert order == []  # nobody runs while the turn is held
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]


def test_a_few_run_at_once_and_the_rest_wait_in_order():
    """PostgreSQL's requests run four at once (two here)."""
    turns, order = Turns(at_once=2), []
    done = threading.Event()

    def beside() -> None:
        with turns.turn():
            order.append("beside")
            done.wait(timeout=5)

    with turns.turn():
        other = threading.Thread(target=beside)
        other.start()
        deadline = time.monotonic() + 5
        while not order and time.monotonic() < deadline:
            time.sleep(0.001)
        threads = _queued(turns, 2, order)
        assert order == ["beside"]  # it got the second place; the others wait for one
    for thread in threads:
        thread.join(timeout=5)
    assert order == ["beside", 0, 1]
    done.set()
    other.join(timeout=5)


def test_a_request_waiting_lets_the_queued_ones_run_then_comes_back_behind_them():
    turns, order = Turns(), []
    answered = threading.Event()

    def slow() -> None:
        with turns.turn():
            order.append("slow asks Slack")
            with waiting():
                answered.wait(timeout=5)
            order.append("slow done")

    with turns.turn():
        first = threading.Thread(target=slow)
        first.start()
        _until_queued(turns, 1)
        others = _queued(turns, 2, order)
    for thread in others:
        thread.join(timeout=5)
    assert order == ["slow asks Slack", 0, 1]
    answered.set()
    first.join(timeout=5)
    assert order[-1] == "slow done"


def test_a_request_that_waited_for_a_lock_comes_back_ahead_of_the_queue():
    """It holds what writers outside the turns (the outbox, another process) need."""
    turns, order = Turns(), []
    in_wait, locked = threading.Event(), threading.Event()

    def writer() -> None:
        with turns.turn():
            with waiting(back_first=True):
                in_wait.set()
                locked.wait(timeout=5)
            order.append("writer")

    first = threading.Thread(target=writer)
    first.start()
    in_wait.wait(timeout=5)
    with turns.turn():  # the turn it gave up
        others = _queued(turns, 2, order)
        locked.set()
        _until_queued(turns, 3)  # it is back
    for thread in (first, *others):
        thread.join(timeout=5)
    assert order == ["writer", 0, 1]


def test_waiting_outside_a_turn_changes_nothing():
    turns, order = Turns(), []
    with waiting():  # an outbox worker's call: it holds no turn
        pass
    with turns.turn():
        threads = _queued(turns, 1, order)
        assert order == []
    threads[0].join(timeout=5)
    assert order == [0]


def test_a_request_in_a_write_transaction_keeps_its_turn_while_it_waits(engine):
    """The next requests could be waiting for its locks (SQLite's write lock, PostgreSQL's
    row locks): were it to give its turn up, it could never have it back."""
    from sqlalchemy import text

    from storage.engine import make_session_factory

    turns, order = Turns(), []
    with turns.turn(), make_session_factory(engine)() as session:
        session.execute(text("SELECT 1"))  # the write transaction has begun
        threads = _queued(turns, 1, order)
        with waiting():
            time.sleep(0.05)
            assert order == []
        session.commit()
        with waiting():  # committed: the turn goes to the next meanwhile
            threads[0].join(timeout=5)
            assert order == [0]


def test_a_session_never_closed_stops_counting_as_writing_once_collected(tmp_path):
    """Else its thread would keep every later turn through its waits on Slack."""
    import gc

    from sqlalchemy import text

    from storage.engine import make_engine, make_session_factory, writing_here

    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    sessions = make_session_factory(engine)

    def forgets_to_close() -> None:
        session = sessions()
        session.execute(text("SELECT 1"))
        assert writing_here() == 1

    forgets_to_close()
    gc.collect()
    assert writing_here() == 0
    with sessions() as session:  # and the write lock was given back
        session.execute(text("SELECT 1"))
        assert writing_here() == 1
    assert writing_here() == 0
    engine.dispose()


def test_a_write_begun_after_the_writer_wait_ran_out_counts_too(tmp_path, monkeypatch):
    """Past WRITER_WAIT_SECONDS the transaction waits in SQLite's busy timeout and then holds
    SQLite's lock all the same: it must not give its turn away."""
    from sqlalchemy import text

    from storage import engine as engines

    monkeypatch.setattr(engines, "WRITER_WAIT_SECONDS", 0.05)
    engine = engines.make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    sessions = engines.make_session_factory(engine)
    holder_in, holder_out = threading.Event(), threading.Event()

    def holds_the_writer() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))
            holder_in.set()
            holder_out.wait(timeout=5)

    holder = threading.Thread(target=holds_the_writer)
    holder.start()
    holder_in.wait(timeout=5)
    threading.Timer(0.2, holder_out.set).start()  # its BEGIN IMMEDIATE waits for this
    with sessions() as session:
        session.execute(text("SELECT 1"))
        assert engines.writing_here() == 1
    assert engines.writing_here() == 0
    holder.join(timeout=5)
    engine.dispose()
