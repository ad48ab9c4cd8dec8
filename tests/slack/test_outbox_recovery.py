"""Effectively-once posts: a post whose sender died (or lost Slack's answer) is looked for in
the conversation by its outbox id before it is sent again; and the fake Slack reads
conversations the way Slack does, so that look means something."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.bootstrap import make_client
from bot.core.settings import Settings
from bot.fakeslack.server import FakeSlack
from bot.slack.dispatcher import CLAIM_SECONDS, OutboxDispatcher
from bot.slack.outbox import enqueue, ref
from bot.slack.recovery import EVENT_TYPE
from storage.models import OutboxMessage, OutboxStatus
from tests.factories import CUSTOMER, SELLER
from tests.slack.conftest import Died, DiesAfterSlackAnswers, LosesTheAnswer


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user(SELLER, "sam")
        fake.add_user(CUSTOMER, "alex")
        fake.add_channel("COPS", [SELLER])
        yield fake


def post(session, clock, key: str, channel: object = SELLER, **payload) -> None:
    enqueue(
        session,
        key=key,
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": channel, "text": key, **payload},
    )
    session.commit()


def row(session_factory, key: str) -> OutboxMessage:
    with session_factory() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def texts(slack, channel=SELLER) -> list[str]:
    return [m.text for m in slack.messages_in(channel)]


def dies_after_slack_posted(make_dispatcher, clock) -> None:
    """A dispatcher takes the row, Slack posts it, the dispatcher dies; its lease runs out."""
    with pytest.raises(Died):
        make_dispatcher(caller=DiesAfterSlackAnswers).dispatch_due()
    clock.advance(seconds=CLAIM_SECONDS + 1)


def test_every_post_carries_its_outbox_id_and_nothing_is_read_back_when_all_goes_well(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "hello")

    make_dispatcher().drain()

    [message] = slack.dms(SELLER)
    outbox_id = row(session_factory, "hello").id
    assert message.metadata == {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": outbox_id}}
    assert slack.calls_to("conversations.history") == []


def test_a_dm_slack_posted_before_its_sender_died_is_found_and_not_posted_again(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "accepted")  # to a user id: Slack posts it in the bot's IM with them
    dies_after_slack_posted(make_dispatcher, clock)
    assert texts(slack) == ["accepted"] and row(session_factory, "accepted").result_ts is None

    make_dispatcher().drain()

    [message] = slack.dms(SELLER)
    sent = row(session_factory, "accepted")
    assert (sent.status, sent.result_channel, sent.result_ts) == (
        OutboxStatus.SENT,
        f"D{SELLER}",
        message.ts,
    )
    [look] = slack.calls_to("conversations.history")
    assert look.args["channel"] == f"D{SELLER}" and look.args["include_all_metadata"] in ("1", 1)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_thread_reply_is_looked_for_in_its_thread(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "case", channel="COPS")
    make_dispatcher().drain()
    post(session, clock, "decided", channel=ref("case"), thread_ts=ref("case"))
    dies_after_slack_posted(make_dispatcher, clock)

    make_dispatcher().drain()

    assert texts(slack, "COPS") == ["case", "decided"]
    assert row(session_factory, "decided").result_ts == slack.messages_in("COPS")[1].ts
    assert len(slack.calls_to("conversations.replies")) == 1


def test_a_post_slack_never_got_is_looked_for_then_sent_once(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "never arrived")
    with pytest.raises(Died):
        make_dispatcher(dies_calling=True).dispatch_due()
    clock.advance(seconds=CLAIM_SECONDS + 1)

    make_dispatcher().drain()

    assert texts(slack) == ["never arrived"]
    assert len(slack.calls_to("conversations.history")) == 1


def test_a_post_whose_answer_was_lost_on_the_way_back_is_not_posted_twice(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "answer lost")
    sender = make_dispatcher(caller=LosesTheAnswer)
    sender.drain()  # a connection error: retried after the first backoff, not the lease
    assert row(session_factory, "answer lost").status is OutboxStatus.PENDING

    clock.advance(seconds=2)
    make_dispatcher().drain()

    assert texts(slack) == ["answer lost"]
    assert row(session_factory, "answer lost").result_ts == slack.dms(SELLER)[0].ts


def test_a_post_whose_connection_dropped_after_slack_took_it_is_not_posted_again_blindly(
    slack, session, session_factory, clock
):
    """The bot's Slack client retries a dropped connection at once by itself (make_client),
    which for a post Slack already took means a second post. Posts go out without that
    retry: the outbox tries again after looking for the post."""
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET="x",
        SLACK_API_URL=slack.api_url,
    )
    sender = OutboxDispatcher(
        session_factory=session_factory,
        client=make_client(settings),
        clock=clock,
        channel_interval=0,
    )
    post(session, clock, "dropped")
    slack.hold("chat.postMessage", recorded=True).release(answer=False)  # Slack hangs up

    sender.drain()
    clock.advance(seconds=2)
    sender.drain()

    assert texts(slack) == ["dropped"]
    assert row(session_factory, "dropped").result_ts == slack.dms(SELLER)[0].ts


@pytest.mark.parametrize(
    ("status", "error", "looks"), [(429, "ratelimited", 0), (500, "fatal_error", 1)]
)
def test_only_an_answer_that_leaves_the_outcome_open_makes_the_next_attempt_look(
    make_dispatcher, slack, session, session_factory, clock, status, error, looks
):
    slack.fail("chat.postMessage", error, status=status, retry_after=1 if status == 429 else None)
    post(session, clock, "retried")
    sender = make_dispatcher()
    sender.drain()

    clock.advance(seconds=2)
    sender.drain()

    assert texts(slack) == ["retried"]
    assert len(slack.calls_to("conversations.history")) == looks


def test_a_conversation_the_bot_cannot_read_gets_the_post_again_and_says_so(
    make_dispatcher, slack, session, session_factory, clock, caplog
):
    slack.history_granted = False  # an app installed before the *:history scopes were added
    post(session, clock, "twice")
    dies_after_slack_posted(make_dispatcher, clock)

    with caplog.at_level(logging.WARNING, logger="bot.slack.dispatcher"):
        make_dispatcher().drain()

    assert texts(slack) == ["twice", "twice"]  # the duplicate the README owns up to
    assert row(session_factory, "twice").result_ts == slack.dms(SELLER)[1].ts
    assert "cannot read the conversation" in caplog.text and "missing_scope" in caplog.text


def test_a_429_on_the_look_waits_out_retry_after_then_finds_the_post(
    make_dispatcher, slack, session, session_factory, clock
):
    post(session, clock, "patient")
    dies_after_slack_posted(make_dispatcher, clock)
    slack.fail("conversations.history", "ratelimited", status=429, retry_after=30)
    sender = make_dispatcher()

    sender.drain()
    clock.advance(seconds=29)
    sender.drain()
    assert len(slack.calls_to("conversations.history")) == 1  # nothing inside the window

    clock.advance(seconds=1)
    sender.drain()
    assert texts(slack) == ["patient"]
    assert row(session_factory, "patient").status is OutboxStatus.SENT


# -- the fake Slack reads conversations as Slack does -------------------------------------------
def test_history_is_newest_first_bounded_and_shows_metadata_only_when_asked(slack):
    client = WebClient(token=slack.token, base_url=slack.api_url)
    for n in range(3):
        metadata = {"event_type": "t", "event_payload": {"n": n}}
        client.chat_postMessage(channel=SELLER, text=f"m{n}", metadata=metadata)
    parent = slack.dms(SELLER)[0]
    client.chat_postMessage(channel=SELLER, text="in a thread", thread_ts=parent.ts)
    dm = client.conversations_open(users=SELLER)["channel"]["id"]

    newest = client.conversations_history(channel=dm, limit=2)
    everything = client.conversations_history(channel=dm, include_all_metadata=True)
    since = client.conversations_history(channel=dm, oldest=parent.ts)
    thread = client.conversations_replies(channel=dm, ts=parent.ts, include_all_metadata=True)

    assert [m["text"] for m in newest["messages"]] == ["m2", "m1"] and newest["has_more"]
    assert all("metadata" not in m for m in newest["messages"])
    assert [m["metadata"]["event_payload"]["n"] for m in everything["messages"]] == [2, 1, 0]
    assert [m["text"] for m in since["messages"]] == ["m2", "m1"]  # oldest is exclusive
    assert [m["text"] for m in thread["messages"]] == ["m0", "in a thread"]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_history(channel=SELLER)  # a user id is not a conversation
