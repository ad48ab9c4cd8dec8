"""The seller's Home tab: orders by state, counts, Deliver buttons, Find order; republished
when one of their orders changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.core.ids import BlockId
from bot.fakeslack.records import Message
from bot.fakeslack.render import render_blocks
from bot.home import page as home
from bot.slack import outbox
from storage.models import Delivery, DeliveryState, Order, OutboxMessage
from storage.states import OrderStatus, SupervisionState
from tests.conftest import NOW
from tests.e2e.test_delivery_conversation import deliver_everything
from tests.factories import TEAMMATE, make_order, make_product


def home_text(person) -> str:
    return render_blocks(person.home()["blocks"])


def as_message(person, blocks) -> Message:
    """The Home tab's blocks, clickable like a message (Home clicks carry no response_url)."""
    return Message(channel="D" + person.id, ts="home", text="", blocks=blocks)


def test_the_home_tab_shows_the_sellers_orders_by_state(box, seller, clock, session):
    product = make_product(session)
    make_order(
        session,
        "1001",
        product=product,
        placed_at=datetime(2026, 1, 30, 10, tzinfo=UTC),
        now=datetime(2026, 2, 1, 10, tzinfo=UTC),
    )  # imported two days after it was placed
    make_order(
        session, "1005", product=product, round=1, now=datetime(2026, 2, 1, 10, tzinfo=UTC)
    )  # back from the customer for a day
    make_order(session, "1006", product=product, sellers=("sam@isv.example",))
    make_order(
        session,
        "1002",
        product=product,
        state=SupervisionState.AWAITING_ACCEPTANCE,
        now=datetime(2026, 1, 31, 10, tzinfo=UTC),
    )
    make_order(
        session,
        "1003",
        product=product,
        state=SupervisionState.COMPLETED,
        status=OrderStatus.COMPLETED,
        accepted_at=datetime(2026, 1, 20, tzinfo=UTC),
        validity_start=datetime(2026, 1, 1, tzinfo=UTC),
        validity_end=datetime(2026, 2, 1, tzinfo=UTC),
    )
    make_order(session, "1004", product=product, sellers=("USOMEONE",))
    session.commit()

    seller.opens_home()

    shown = home_text(seller)
    assert "Service Supervision" in shown
    assert "*3* awaiting delivery" in shown and "*1* awaiting acceptance" in shown
    assert "*1* completed" in shown
    assert "*1001*" in shown and "waiting for 3 days" in shown and "[Deliver]" in shown
    assert "*1005*" in shown and "waiting for 1 day" in shown
    assert "*1006*" in shown  # sold under the seller's e-mail
    assert "*1002*" in shown and "with the customer for 2 days" in shown
    assert "*1003*" in shown and "valid 1 Jan 2026 – 1 Feb 2026" in shown
    assert "1004" not in shown
    assert "[Find order]" in shown


def test_deliver_from_home_starts_the_delivery_and_home_follows_each_change(
    box, seller, teammate, session
):
    make_order(session, "12345")
    session.commit()
    seller.opens_home()

    seller.clicks("Deliver", message=as_message(seller, seller.home()["blocks"]))

    assert "Delivering order 12345" in render_blocks(seller.dms()[0].blocks)
    shown = home_text(seller)
    assert "*0* awaiting delivery" in shown and "*1* draft in progress" in shown
    assert shown.count("*12345*") == 1  # under the drafts only, with Continue instead of Deliver
    assert "held by you" in shown and "[Continue]" in shown and "[Deliver]" not in shown
    assert "held by @USELLER" in home_text(teammate)  # the teammate's Home follows too

    deliver_everything(seller)
    seller.clicks("Deliver")

    shown = home_text(seller)
    assert "*0* awaiting delivery" in shown and "*1* awaiting acceptance" in shown
    assert "*12345*" in shown and "with the customer since today" in shown


def test_find_order_opens_a_modal_and_shows_the_order(box, seller, stranger, session):
    make_order(session, "12345")
    session.commit()
    seller.opens_home()

    seller.clicks("Find order", message=as_message(seller, seller.home()["blocks"]))
    modal = seller.current_view()
    assert modal["blocks"][0]["block_id"] == BlockId.FIND_ORDER_INPUT

    missing = seller.submits({BlockId.FIND_ORDER_INPUT: {"value": {"value": "99999"}}}).json()
    found = seller.submits({BlockId.FIND_ORDER_INPUT: {"value": {"value": "12345"}}}).json()

    assert missing["response_action"] == "errors"
    assert "can't find order 99999" in missing["errors"][BlockId.FIND_ORDER_INPUT]
    assert found["response_action"] == "update"
    assert "SecureVPN Enterprise" in render_blocks(found["view"]["blocks"])


def test_long_lists_are_cut_short_but_counted_in_full(box, seller, session):
    product = make_product(session)
    for n in range(12):
        make_order(session, f"{3000 + n}", product=product)
    for n in range(11):
        order = make_order(session, f"{4000 + n}", product=product)
        session.add(
            Delivery(
                order_id=order.id,
                round=1,
                state=DeliveryState.DRAFT,
                holder=seller.id,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.commit()

    seller.opens_home()

    shown = home_text(seller)
    assert "*12* awaiting delivery" in shown and "*11* drafts in progress" in shown
    assert "…and 2 more" in shown  # awaiting delivery: 10 of the 12 without a draft shown
    assert "…and 1 more" in shown  # drafts: 10 of 11 shown


def test_a_home_rendered_before_a_change_is_not_sent_after_it(box, seller, session):
    """The Home is rendered from a read-only session and queued afterwards: if a change
    republished it meanwhile, the older rendering is dropped instead of shown last."""
    order = make_order(session, "12345")
    session.commit()
    now = box.clock.now()
    with box.services.read_session_factory() as read:
        before = home.render(read, user=seller.id, now=now)
    with box.session_factory() as write:
        write.get(Order, order.id).state = SupervisionState.AWAITING_ACCEPTANCE
        home.republish_for_order(write, order=write.get(Order, order.id), now=now)
        write.commit()

    with box.session_factory() as write:
        assert home.queue_rendered(write, user=seller.id, rendered=before, now=now) is False
    with box.services.read_session_factory() as read:
        fresh = home.render(read, user=seller.id, now=now)
    with box.session_factory() as write:
        assert home.queue_rendered(write, user=seller.id, rendered=fresh, now=now) is True


def test_changes_in_a_row_make_one_home_publish_showing_the_last(box, seller, session):
    """A change asks for the Home in one short write; the outbox renders it when it sends it,
    so changes made before it goes out share one publish that shows all of them."""
    first, second = make_order(session, "12345"), make_order(session, "12346")
    session.commit()
    now = box.clock.now()
    for order in (first, second):
        with box.session_factory() as write:
            write.get(Order, order.id).state = SupervisionState.AWAITING_ACCEPTANCE
            home.republish_for_order(write, order=write.get(Order, order.id), now=now)
            write.commit()

    box.settle()

    published = [call.args["user_id"] for call in box.slack.calls_to("views.publish")]
    assert sorted(published) == sorted({seller.id, TEAMMATE})  # once per seller
    assert "*2* awaiting acceptance" in home_text(seller)


def test_a_change_locks_one_queued_home_request_so_changes_at_once_do_not_deadlock(
    box, seller, engine
):
    """Two starts at once may each queue a Home request. A change then joins the oldest and
    locks only it: changes that locked every queued request, each in the order it met them,
    deadlocked one another (PostgreSQL; SQLite's writers take turns)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    now = box.clock.now()
    with box.session_factory() as write:
        for n in range(2):
            outbox.enqueue(
                write,
                key=f"{home.REFRESH}:{seller.id}:{n}",
                method="views.publish",
                payload={"user_id": seller.id},
                now=now,
                meta={"purpose": home.REFRESH, "user": seller.id},
            )
        write.commit()
    with box.session_factory() as change, box.session_factory() as other:
        home.publish_for_user(change, user=seller.id, now=now)  # open: holds its locks
        locked = []
        for n in range(2):
            try:
                with other.begin_nested():
                    other.execute(
                        select(OutboxMessage.id)
                        .where(OutboxMessage.key == f"{home.REFRESH}:{seller.id}:{n}")
                        .with_for_update(nowait=True)
                    )
            except OperationalError:
                locked.append(n)
        change.commit()
    assert locked == [0]
    with box.session_factory() as read:
        assert read.exec(select(func.count()).select_from(OutboxMessage)).one() == 2  # joined
