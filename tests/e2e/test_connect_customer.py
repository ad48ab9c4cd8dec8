"""Who counts as the customer when the order names only a Slack Connect channel: a member of
the channel from the buyer's workspace, never a seller (named by user id or e-mail), nor a
colleague or operations staff from the bot's own workspace, wherever they are in the list."""

from __future__ import annotations

import pytest

from bot.core.audit import events_for
from storage.states import SupervisionState
from tests.e2e.test_acceptance import refuses_as_not_the_customer, reload, submit
from tests.e2e.test_deliver_command import blocks_text
from tests.e2e.test_reminders import work
from tests.factories import CUSTOMER, OPS, SELLER, STRANGER, TEAMMATE, make_order

BUYER_TEAM = "TBUYER"


@pytest.fixture
def connect(box):
    """The buyer's admin is a guest from another workspace in the shared channel CCONNECT."""
    box.slack.users[CUSTOMER].team_id = BUYER_TEAM
    box.slack.add_channel("CCONNECT", [SELLER, TEAMMATE, STRANGER, OPS, CUSTOMER])
    return "CCONNECT"


def submit_to_channel(box, session, channel, **kw):
    kw = {"customer_user_id": None, "customer_email": None, "customer_channel": channel} | kw
    submit(box, session, **kw)
    return box.slack.messages_in(channel)[0]


def test_a_seller_named_by_email_cannot_accept_as_the_customer(box, session, connect, seller):
    message = submit_to_channel(box, session, connect, sellers=("sam@isv.example",))

    seller.clicks("Accept", message=message)

    assert refuses_as_not_the_customer(seller.responses()[-1]["text"], "accept")
    order = reload(session)
    assert order.state is SupervisionState.AWAITING_ACCEPTANCE
    assert [e.actor for e in events_for(session, order.id) if e.kind == "refused"] == [SELLER]


@pytest.mark.parametrize("colleague", [STRANGER, OPS])
def test_a_member_of_the_bots_own_workspace_cannot_accept(box, session, connect, colleague):
    message = submit_to_channel(box, session, connect)

    box.person(colleague).clicks("Accept", message=message)

    assert refuses_as_not_the_customer(box.person(colleague).responses()[-1]["text"], "accept")
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE


def test_a_colleague_cannot_accept_while_slack_cannot_say_who_they_are(box, session, connect):
    """Their e-mail is cached from an earlier click; users.info is then rate-limited, so Slack
    cannot say which workspace they are from: they are refused, not taken for the customer."""
    message = submit_to_channel(box, session, connect)
    colleague = box.person(STRANGER)
    colleague.clicks("Request changes", message=message)
    box.slack.fail("users.info", "ratelimited", status=429, retry_after=30, times=5)

    colleague.clicks("Accept", message=message)

    assert refuses_as_not_the_customer(colleague.responses()[-1]["text"], "accept")
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE


def test_the_guest_from_the_buyers_workspace_accepts(box, session, connect, customer):
    message = submit_to_channel(box, session, connect, sellers=("sam@isv.example",))

    customer.clicks("Accept", message=message)

    order = reload(session)
    assert order.state is SupervisionState.COMPLETED and order.accepted_by == CUSTOMER


def test_with_a_customer_email_only_the_member_with_that_email_accepts(
    box, session, connect, customer
):
    box.slack.add_user("UGUEST", "gus", email="gus@buyer.example", team_id=BUYER_TEAM)
    box.slack.channels[connect].add("UGUEST")
    box.slack.fail("users.lookupByEmail", "users_not_found")  # Connect guests often aren't found
    message = submit_to_channel(box, session, connect, customer_email="Admin@Buyer.example")

    box.person("UGUEST").clicks("Accept", message=message)
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE
    customer.clicks("Accept", message=message)
    assert reload(session).accepted_by == CUSTOMER


def test_the_customer_is_found_past_the_first_thousand_members(box, session, customer):
    box.slack.users[CUSTOMER].team_id = BUYER_TEAM
    crowd = [f"U{n:05d}" for n in range(1500)]
    box.slack.add_channel("CBIG", [*crowd, "UZZCUSTOMER"])
    box.slack.users["UZZCUSTOMER"] = box.slack.users.pop(CUSTOMER)
    box.slack.users["UZZCUSTOMER"].id = "UZZCUSTOMER"  # sorts after the first 1,000 members
    message = submit_to_channel(box, session, "CBIG")

    box.person("UZZCUSTOMER").clicks("Accept", message=message)

    assert reload(session).accepted_by == "UZZCUSTOMER"
    pages = box.slack.calls_to("conversations.members")
    assert [call.args.get("cursor") or "" for call in pages] == ["", "1000"]


def test_only_the_guest_may_use_the_customers_appeal_button(box, session, connect, customer):
    from bot.supervision import reminders

    order = make_order(
        session,
        "12345",
        state=SupervisionState.AWAITING_DELIVERY,
        rejected_rounds=3,
        round=3,
        customer_user_id=None,
        customer_email=None,
        customer_channel=connect,
    )
    reminders.cancel_for_order(session, order=order, now=box.clock.now(), reason="changes")
    session.commit()
    work(box)
    offer = box.slack.messages_in(connect)[-1]
    assert "you have asked for changes 3 times" in blocks_text(offer.blocks)

    box.person(STRANGER).clicks("Appeal", offer)
    assert refuses_as_not_the_customer(box.person(STRANGER).responses()[-1]["text"], "appeal")
    assert not any(
        v.get("callback_id") == "appeal_customer_modal" for v in box.slack.views.values()
    )
    customer.clicks("Appeal", offer)
    assert any(v.get("callback_id") == "appeal_customer_modal" for v in box.slack.views.values())
