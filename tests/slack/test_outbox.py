"""The outbox against the fake Slack: every message goes out once, whatever fails on the way."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.fakeslack.server import FakeSlack
from bot.slack.dispatcher import CLAIM_SECONDS, MAX_ATTEMPTS
from bot.slack.outbox import MessageKind, enqueue, ref
from storage.models import OutboxMessage, OutboxStatus
from tests.factories import CUSTOMER, SELLER
from tests.slack.conftest import Died


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user(SELLER, "sam")
        fake.add_user(CUSTOMER, "alex")
        yield fake


def post(session, clock, key: str, channel: str = SELLER, **meta) -> None:
    enqueue(
        session,
        key=key,
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": channel, "text": key},
        meta=meta,
    )


def rows(session_factory) -> dict[str, OutboxMessage]:
    with session_factory() as session:
        return {row.key: row for row in session.exec(select(OutboxMessage))}


def texts(slack, user) -> list[str]:
    return [m.text for m in slack.dms(user)]


def test_a_message_is_sent_once_and_its_ts_kept_for_later_updates(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "hello")
    enqueue(
        session,
        key="hello:edit",
        method="chat.update",
        now=clock.now(),
        payload={"channel": ref("hello"), "ts": ref("hello"), "text": "hello, edited"},
    )
    enqueue(
        session,
        key="hello",
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": SELLER, "text": "a repeat of the same cause"},
    )
    session.commit()

    make_dispatcher().drain()
    make_dispatcher().drain()

    assert texts(slack, SELLER) == ["hello, edited"]
    sent = rows(session_factory)["hello"]
    assert sent.status is OutboxStatus.SENT and sent.result_ts == slack.dms(SELLER)[0].ts
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_429_storm_honours_retry_after_and_sends_every_message_once(
    make_dispatcher, slack, session, session_factory, clock
):
    slack.fail(
        "chat.postMessage",
        "ratelimited",
        status=429,
        retry_after=30,
        when=lambda args: args.get("channel") == SELLER,
    )
    for n in range(5):
        post(session, clock, f"m{n}")
    post(session, clock, "other channel", channel=CUSTOMER)
    session.commit()
    sender = make_dispatcher()

    sender.drain()
    assert texts(slack, CUSTOMER) == ["other channel"]  # another channel is not held back
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == SELLER]) == 1

    clock.advance(seconds=29)
    sender.drain()
    assert texts(slack, SELLER) == []
    assert len(slack.calls_to("chat.postMessage")) == 2  # nothing was tried inside the window

    clock.advance(seconds=1)
    sender.drain()
    assert texts(slack, SELLER) == [f"m{n}" for n in range(5)]
    assert all(r.status is OutboxStatus.SENT for r in rows(session_factory).values())


def test_server_errors_are_retried_with_growing_backoff(
    make_dispatcher, slack, session, session_factory, clock
):
    slack.fail("chat.postMessage", "internal_error", status=500, times=2)
    post(session, clock, "eventually")
    session.commit()
    sender = make_dispatcher()

    sender.drain()
    first = rows(session_factory)["eventually"]
    assert (first.attempts, first.last_error) == (1, "internal_error")
    assert first.due_at == clock.now() + timedelta(seconds=2)
    clock.advance(seconds=2)
    sender.drain()
    assert rows(session_factory)["eventually"].due_at == clock.now() + timedelta(seconds=4)
    clock.advance(seconds=4)
    sender.drain()

    assert texts(slack, SELLER) == ["eventually"]


def test_a_permanent_error_is_recorded_and_its_failure_handler_runs(
    make_dispatcher, slack, session, session_factory, clock
):
    told = []

    def tell(session, message, error, now):
        told.append((message.key, error))
        post(session, clock, f"could not reach {message.payload['channel']}")

    post(session, clock, "to nobody", channel="UNOBODY", purpose="test_notice")
    session.commit()

    kinds = {"test_notice": MessageKind(on_failure=tell)}
    make_dispatcher(kinds=kinds).drain()

    failed = rows(session_factory)["to nobody"]
    assert (failed.status, failed.last_error) == (OutboxStatus.FAILED, "channel_not_found")
    assert told == [("to nobody", "channel_not_found")]
    assert texts(slack, SELLER) == ["could not reach UNOBODY"]


def test_a_message_that_keeps_failing_gives_up_after_max_attempts(
    make_dispatcher, slack, session, session_factory, clock
):
    slack.fail("chat.postMessage", "internal_error", status=500, times=100)
    post(session, clock, "doomed")
    session.commit()
    sender = make_dispatcher()

    for _ in range(MAX_ATTEMPTS + 2):
        sender.drain()
        clock.advance(seconds=301)

    doomed = rows(session_factory)["doomed"]
    assert (doomed.status, doomed.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)


def test_an_update_of_a_message_that_failed_fails_too_instead_of_waiting_forever(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "first", channel="UNOBODY")
    enqueue(
        session,
        key="first:edit",
        method="chat.update",
        now=clock.now(),
        payload={"channel": ref("first"), "ts": ref("first"), "text": "edited"},
    )
    session.commit()

    make_dispatcher().drain()

    assert rows(session_factory)["first:edit"].status is OutboxStatus.FAILED
    assert slack.calls_to("chat.update") == []


def test_a_crash_between_commit_and_send_loses_nothing(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "committed, never sent")
    session.commit()
    crashed = make_dispatcher(dies_calling=True)
    with pytest.raises(Died):  # it took the row, then died before Slack answered
        crashed.dispatch_due()

    restarted = make_dispatcher()
    restarted.drain()
    assert texts(slack, SELLER) == []  # the dead one's lease still holds

    clock.advance(seconds=CLAIM_SECONDS + 1)
    restarted.drain()
    assert texts(slack, SELLER) == ["committed, never sent"]


def test_two_dispatchers_draining_together_send_each_message_once(
    make_dispatcher, slack, session, session_factory, clock
):
    for n in range(20):
        post(session, clock, f"m{n}", channel=SELLER if n % 2 else CUSTOMER)
    session.commit()
    senders = [make_dispatcher() for _ in range(3)]

    threads = [threading.Thread(target=s.drain) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent = sorted(texts(slack, SELLER) + texts(slack, CUSTOMER), key=lambda t: int(t[1:]))
    assert sent == [f"m{n}" for n in range(20)]
    assert len(slack.calls_to("chat.postMessage")) == 20


def test_any_number_of_messages_queue_in_one_call_in_their_order(session, clock):
    from bot.slack.outbox import Queued, enqueue_many

    calls = [
        Queued(key=f"m{n}", method="chat.postMessage", payload={"channel": SELLER, "text": "x"})
        for n in range(7000)  # 77,000 values: more than one PostgreSQL statement may carry
    ]
    enqueue_many(session, calls, now=clock.now())
    enqueue_many(session, calls[:2], now=clock.now())  # a key already queued is left as it is
    session.commit()
    keys = session.exec(select(OutboxMessage.key).order_by(OutboxMessage.id)).all()
    assert keys == [call.key for call in calls]
