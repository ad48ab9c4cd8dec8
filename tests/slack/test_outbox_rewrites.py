"""Rewrites of one message (chat.update, views.publish) end with the newest on screen, long
sends keep their lease, and what Slack refuses for good is recorded as failed."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.fakeslack.server import FakeSlack
from bot.slack.calls import SlackCaller
from bot.slack.dispatcher import CLAIM_SECONDS
from bot.slack.outbox import enqueue, enqueue_update
from storage.models import OutboxMessage, OutboxStatus
from tests.factories import SELLER
from tests.slack.conftest import Died

LONG_EMAIL = "alexandra.konstantinopoulou-vanderberg@emea-licensing.example-isv.com"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user(SELLER, "sam", email=LONG_EMAIL)
        yield fake


def rows(session_factory) -> dict[str, OutboxMessage]:
    with session_factory() as session:
        return {row.key: row for row in session.exec(select(OutboxMessage))}


def shown(slack) -> str:
    return slack.dms(SELLER)[0].text


def post_and_update(session, clock, *texts: str) -> None:
    enqueue(
        session,
        key="step",
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": SELLER, "text": "first"},
    )
    for text in texts:
        enqueue_update(
            session, key=f"step:{text}", of="step", text=text, blocks=[], now=clock.now()
        )
    session.commit()


def test_an_older_update_retried_after_a_newer_one_is_superseded(
    make_dispatcher, slack, session, session_factory, clock
):
    post_and_update(session, clock, "older")
    slack.fail("chat.update", "internal_error", status=500)
    sender = make_dispatcher()
    sender.drain()  # the post goes out, the older update fails for now
    assert rows(session_factory)["step:older"].status is OutboxStatus.PENDING

    enqueue_update(session, key="step:newer", of="step", text="newer", blocks=[], now=clock.now())
    session.commit()
    sender.drain()
    assert shown(slack) == "newer"

    clock.advance(seconds=30)
    sender.drain()  # the older one's retry is due now

    assert shown(slack) == "newer"
    older = rows(session_factory)["step:older"]
    newer = rows(session_factory)["step:newer"]
    assert (older.status, older.last_error) == (
        OutboxStatus.SUPERSEDED,
        f"superseded by outbox {newer.id}",
    )
    assert len(slack.calls_to("chat.update")) == 2  # the failed try, then the newer one


def test_of_several_queued_updates_only_the_newest_is_sent(
    make_dispatcher, slack, session, session_factory, clock
):
    post_and_update(session, clock, "one", "two", "three")

    make_dispatcher().drain()

    assert shown(slack) == "three"
    assert [c.args["text"] for c in slack.calls_to("chat.update")] == ["three"]
    statuses = {key: row.status for key, row in rows(session_factory).items()}
    assert statuses == {
        "step": OutboxStatus.SENT,
        "step:one": OutboxStatus.SUPERSEDED,
        "step:two": OutboxStatus.SUPERSEDED,
        "step:three": OutboxStatus.SENT,
    }


def test_home_views_of_one_user_keep_only_the_newest(
    make_dispatcher, slack, session, session_factory, clock
):
    for n in range(3):
        enqueue(
            session,
            key=f"home:{SELLER}:{n}",
            method="views.publish",
            now=clock.now(),
            payload={
                "user_id": SELLER,
                "view": {"type": "home", "blocks": [], "callback_id": f"v{n}"},
            },
        )
    session.commit()

    make_dispatcher().drain()

    assert len(slack.calls_to("views.publish")) == 1
    assert slack.home[SELLER]["callback_id"] == "v2"


def test_an_older_update_that_lands_after_a_newer_one_gets_the_newer_one_sent_again(
    make_dispatcher, slack, session, session_factory, clock
):
    """Two dispatchers: the older update's call is slow; meanwhile a newer one is queued and
    sent by the other dispatcher; the older one lands last."""
    post_and_update(session, clock, "older")
    other = make_dispatcher()
    other.send_one(rows(session_factory)["step"].id)  # the post is out, the update is not

    class Slow(SlackCaller):
        def call(self, method, payload):
            if payload.get("text") == "older":
                enqueue_update(
                    session, key="step:newer", of="step", text="newer", blocks=[], now=clock.now()
                )
                session.commit()
                other.drain()
            return super().call(method, payload)

    slow = Slow(WebClient(token=slack.token, base_url=slack.api_url), None)
    make_dispatcher(caller=slow).drain()

    assert [c.args["text"] for c in slack.calls_to("chat.update")] == ["newer", "older", "newer"]
    assert shown(slack) == "newer"
    assert rows(session_factory)["step:newer"].status is OutboxStatus.SENT


def test_sharing_files_holds_its_lease_long_enough_for_large_uploads(
    make_dispatcher, slack, session, session_factory, clock
):
    enqueue(
        session,
        key="share",
        method="files.share",
        now=clock.now(),
        payload={"channel": SELLER, "files": [{"sha256": "0" * 64, "name": "big.pdf"}]},
    )
    session.commit()
    uploading = make_dispatcher(dies_calling=True)
    with pytest.raises(Died):  # it was uploading 50 MB files when it died
        uploading.dispatch_due()

    clock.advance(seconds=CLAIM_SECONDS + 1)
    assert make_dispatcher().dispatch_due() == 0  # still its upload
    clock.advance(minutes=30)
    assert make_dispatcher().dispatch_due() == 1  # taken over


def test_a_send_whose_lease_passed_to_another_dispatcher_keeps_the_others_record(
    make_dispatcher, slack, session, session_factory, clock
):
    enqueue(
        session,
        key="m",
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": SELLER, "text": "m"},
    )
    session.commit()
    taken_over = []

    class Slow(SlackCaller):
        """Slack answers after the lease has passed to another dispatcher, which sent it too."""

        def call(self, method, payload):
            clock.advance(seconds=CLAIM_SECONDS + 1)
            make_dispatcher().drain()
            taken_over.append(rows(session_factory)["m"])
            return "DSTALE", "1.000001"

    slow = Slow(WebClient(token=slack.token, base_url=slack.api_url), None)
    make_dispatcher(caller=slow).drain()
    (taken_over,) = taken_over

    row = rows(session_factory)["m"]
    assert (row.result_channel, row.result_ts) == (taken_over.result_channel, taken_over.result_ts)
    assert row.attempts == 1


def test_a_reply_slack_refuses_through_response_url_is_a_failure(
    make_dispatcher, slack, session, session_factory, clock
):
    enqueue(
        session,
        key="reply",
        method="response_url",
        now=clock.now(),
        payload={
            "url": f"{slack.base_url}/respond/x",
            "body": {"blocks": [{"type": "divider"}] * 51},
        },
    )
    session.commit()

    make_dispatcher().drain()

    row = rows(session_factory)["reply"]
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "invalid_blocks")


def test_a_rate_limited_reply_through_response_url_is_sent_later_once(
    make_dispatcher, slack, session, session_factory, clock
):
    slack.fail("response_url", "ratelimited", status=429)
    enqueue(
        session,
        key="reply",
        method="response_url",
        now=clock.now(),
        payload={"url": f"{slack.base_url}/respond/x", "body": {"text": "Done."}},
    )
    session.commit()

    make_dispatcher().drain()
    assert rows(session_factory)["reply"].status is OutboxStatus.PENDING
    clock.advance(minutes=5)
    make_dispatcher().drain()

    assert [r["text"] for r in slack.responses] == ["Done."]
    assert rows(session_factory)["reply"].status is OutboxStatus.SENT


def test_a_message_to_a_person_known_by_a_long_email_is_queued_and_sent(
    make_dispatcher, slack, session, session_factory, clock
):
    assert len(LONG_EMAIL) > 64
    enqueue(
        session,
        key="hello",
        method="chat.postMessage",
        now=clock.now(),
        payload={"channel": LONG_EMAIL, "text": "hello"},
    )
    session.commit()

    make_dispatcher().drain()

    assert shown(slack) == "hello"
    assert rows(session_factory)["hello"].channel_key == LONG_EMAIL
