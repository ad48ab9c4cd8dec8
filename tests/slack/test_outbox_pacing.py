"""Pacing: about one post per second per channel, kept through the database so that every
dispatcher shares it, without a busy channel holding up any other; a workspace-wide rate;
a 429's Retry-After honoured per method by every dispatcher."""

from __future__ import annotations

import pytest

from bot.fakeslack.server import FakeSlack
from bot.slack.calls import SlackCaller
from tests.factories import CUSTOMER, SELLER
from tests.slack.test_outbox import post, texts

OTHER = "UOTHER"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        for user in (SELLER, CUSTOMER, OTHER):
            fake.add_user(user, user.lower())
        yield fake


def test_a_busy_channel_waits_its_turn_and_holds_up_no_other(
    make_dispatcher, slack, session, clock
):
    for n in range(3):
        post(session, clock, f"s{n}")
    post(session, clock, "c0", channel=CUSTOMER)
    session.commit()
    sender = make_dispatcher(channel_interval=1.0)

    sender.drain()
    assert texts(slack, SELLER) == ["s0"] and texts(slack, CUSTOMER) == ["c0"]

    clock.advance(seconds=0.5)
    sender.drain()
    assert texts(slack, SELLER) == ["s0"]  # not yet a second since the last post there

    clock.advance(seconds=0.5)
    sender.drain()
    clock.advance(seconds=1)
    sender.drain()
    assert texts(slack, SELLER) == ["s0", "s1", "s2"]


def test_two_dispatchers_share_one_channels_pace(make_dispatcher, slack, session, clock):
    for n in range(4):
        post(session, clock, f"s{n}")
    session.commit()
    first, second = make_dispatcher(channel_interval=1.0), make_dispatcher(channel_interval=1.0)

    first.drain()
    second.drain()
    assert texts(slack, SELLER) == ["s0"]

    clock.advance(seconds=1)
    second.drain()
    first.drain()
    assert texts(slack, SELLER) == ["s0", "s1"]


def test_a_post_that_leaves_late_holds_its_channel_an_interval_from_when_it_went_out(
    make_dispatcher, slack, session, clock
):
    class Slow(SlackCaller):  # a busy machine: the post leaves well after its claim
        def call(self, method, payload):
            clock.advance(seconds=0.9)
            return super().call(method, payload)

    for n in range(2):
        post(session, clock, f"s{n}")
    session.commit()

    make_dispatcher(channel_interval=1.0, caller=Slow).drain()
    clock.advance(seconds=0.5)  # a second and more after the claim, half a second after the post
    make_dispatcher(channel_interval=1.0).drain()
    assert texts(slack, SELLER) == ["s0"]

    clock.advance(seconds=0.5)
    make_dispatcher(channel_interval=1.0).drain()
    assert texts(slack, SELLER) == ["s0", "s1"]


def test_the_workspace_rate_is_shared_by_every_dispatcher(make_dispatcher, slack, session, clock):
    channels = [SELLER, CUSTOMER, OTHER]
    for n in range(9):
        post(session, clock, f"m{n}", channel=channels[n % 3])
    session.commit()
    first = make_dispatcher(channel_interval=0, workspace_rate=2.0)
    second = make_dispatcher(channel_interval=0, workspace_rate=2.0)

    first.drain()
    second.drain()
    assert sum(len(texts(slack, c)) for c in channels) == 2  # two a second, one second's burst

    clock.advance(seconds=5)  # an idle spell saves up no more than the burst
    second.drain()
    assert sum(len(texts(slack, c)) for c in channels) == 4


def test_a_429_holds_back_its_method_for_every_dispatcher(make_dispatcher, slack, session, clock):
    from bot.slack.outbox import enqueue

    slack.fail("views.publish", "ratelimited", status=429, retry_after=30, times=1)
    for n, user in enumerate((SELLER, CUSTOMER)):
        enqueue(
            session,
            key=f"home{n}",
            method="views.publish",
            now=clock.now(),
            payload={"user_id": user, "view": {"type": "home", "blocks": []}},
        )
    post(session, clock, "hello", channel=OTHER)
    session.commit()

    make_dispatcher(channel_interval=0).drain()
    make_dispatcher(channel_interval=0).drain()  # a replica that never saw the 429

    assert len(slack.calls_to("views.publish")) == 1  # the refused one; the other waits
    assert texts(slack, OTHER) == ["hello"]  # posting is not held back

    clock.advance(seconds=31)
    make_dispatcher(channel_interval=0).drain()
    assert len(slack.calls_to("views.publish")) == 3
