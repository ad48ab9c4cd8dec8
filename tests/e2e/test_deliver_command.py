"""/deliver over signed HTTP: listing, details, help, and the refusals."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.slack import directory
from bot.slack.inbound import turns
from storage.states import OrderStatus, SupervisionState
from tests.e2e.test_delivery_conversation import at_once
from tests.factories import make_order, make_product


def blocks_text(blocks) -> str:
    parts = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for item in block.get("fields", []) + block.get("elements", []):
            if isinstance(item, dict) and "text" in item:
                parts.append(
                    item["text"] if isinstance(item["text"], str) else item["text"]["text"]
                )
        if block.get("accessory"):
            parts.append(block["accessory"]["text"]["text"])
    return "\n".join(parts)


def test_lists_waiting_orders_newest_first_with_deliver_buttons(box, seller, session):
    product = make_product(session)
    make_order(session, "1001", product=product, placed_at=datetime(2026, 1, 5, tzinfo=UTC))
    make_order(session, "1002", product=product, placed_at=datetime(2026, 1, 20, tzinfo=UTC))
    make_order(session, "1003", product=product, sellers=("USOMEONE",))
    make_order(
        session,
        "1004",
        product=product,
        state=SupervisionState.COMPLETED,
        status=OrderStatus.COMPLETED,
    )
    session.commit()

    response = seller.runs("/deliver")

    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    shown = blocks_text(reply["blocks"])
    assert "Orders waiting for delivery (2)" in shown
    assert shown.index("1002") < shown.index("1001")
    assert "1003" not in shown and "1004" not in shown
    assert "1,200.00 EUR" in shown and "<!date^" in shown
    buttons = [b["accessory"] for b in reply["blocks"] if b.get("accessory")]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Deliver", "1002"),
        ("Deliver", "1001"),
    ]


def test_a_long_list_shows_the_newest_and_counts_them_all(box, seller, session):
    product = make_product(session)
    for n in range(55):
        make_order(
            session,
            f"{2000 + n}",
            product=product,
            placed_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
        )
    session.commit()

    shown = blocks_text(seller.runs("/deliver").json()["blocks"])

    assert "Orders waiting for delivery (55)" in shown
    assert "Showing the newest 20 of 55" in shown
    assert "2054" in shown and "2034" not in shown


def test_a_count_past_a_hundred_is_shown_as_100_plus(box, seller, session):
    """Counting every waiting order was most of a list's reads; past a hundred the exact
    number tells a seller nothing more."""
    product = make_product(session)
    for n in range(101):
        make_order(session, f"{3000 + n}", product=product, sellers=(seller.id,))
    session.commit()

    shown = blocks_text(seller.runs("/deliver").json()["blocks"])

    assert "Orders waiting for delivery (100+)" in shown
    assert "Showing the newest 20 of 100+" in shown


def test_deliver_an_order_starts_in_the_dm_with_its_details_and_template(box, seller, session):
    make_order(session, "12345")
    session.commit()

    pointer = blocks_text(seller.runs("/deliver 12345").json()["blocks"])
    shown = blocks_text(seller.dms()[0].blocks)

    assert "order 12345 in our DM" in pointer
    assert "Delivering order 12345" in shown
    assert "SecureVPN Enterprise" in shown
    assert "Licence key delivered" in shown and "Installed, Activated, Admin trained" in shown
    assert "Alex Buyer" in shown
    assert "1 month" in shown


def test_unknown_order_suggests_a_close_match_of_the_callers_own(box, seller, session):
    make_order(session, "12345")
    make_order(session, "12346", sellers=("USOMEONE",))
    session.commit()

    shown = blocks_text(seller.runs("/deliver 1234").json()["blocks"])

    assert "can't find order 1234" in shown
    assert "12345" in shown and "12346" not in shown


def test_a_stranger_learns_nothing_about_the_order(box, stranger, session):
    make_order(session, "12345")
    session.commit()

    shown = blocks_text(stranger.runs("/deliver 12345").json()["blocks"])

    assert "isn't one of yours" in shown
    assert "SecureVPN" not in shown and "Alex" not in shown and "1,200" not in shown


def test_a_seller_named_by_email_is_recognised(box, session):
    make_order(session, "777", sellers=("sam@isv.example",))
    session.commit()

    shown = blocks_text(box.person("USELLER").runs("/deliver 777").json()["blocks"])

    assert "order 777 in our DM" in shown


def test_renewal_of_a_completed_order_is_not_supervised(box, seller, session):
    make_order(session, "500", state=SupervisionState.COMPLETED, status=OrderStatus.COMPLETED)
    make_order(session, "501", state=SupervisionState.NOT_SUPERVISED, renewal_of="500")
    session.commit()

    shown = blocks_text(seller.runs("/deliver 501").json()["blocks"])

    assert "Supervision does not apply to order 501" in shown and "500" in shown


def test_help_explains_usage(box, seller):
    shown = blocks_text(seller.runs("/deliver help").json()["blocks"])
    assert "/deliver 12345" in shown and "/deliver cancel 12345" in shown


def test_bad_signature_is_refused_and_nothing_processed(box, session):
    make_order(session, "12345")
    session.commit()
    response = box.driver.post_form(
        {"command": "/deliver", "text": "", "user_id": "USELLER"}, signature="v0=deadbeef"
    )
    assert response.status_code == 401
    assert box.slack.calls_to("users.info") == []


def test_stale_signature_is_refused(box):
    import time

    response = box.driver.post_form(
        {"command": "/deliver", "text": "", "user_id": "USELLER"}, timestamp=int(time.time()) - 600
    )
    assert response.status_code == 401


def test_healthz_reports_a_migrated_database(box):
    import httpx

    assert httpx.get(f"{box.url}/healthz").json() == {"ok": True}


def test_healthz_answers_within_a_second_while_another_process_locks_sqlite(box, database_url):
    import sqlite3
    import time

    import httpx

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL has no database-wide lock")
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        started = time.monotonic()
        response = httpx.get(f"{box.url}/healthz", timeout=10)
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (response.status_code, response.json()) == (
        503,
        {"ok": False, "database": "not answering"},
    )
    assert waited < 2.5  # not the 30 s busy timeout
    assert httpx.get(f"{box.url}/healthz").json() == {"ok": True}


def test_a_start_waiting_for_another_process_write_holds_up_no_one_else(
    box, seller, session, database_url, monkeypatch
):
    """An `orders import` in another process holds SQLite's write lock: a start waits for it,
    and lists are still answered meanwhile."""
    import sqlite3

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL has no database-wide lock")
    product = make_product(session)
    make_order(session, "12345", product=product)
    make_order(session, "12346", product=product)
    session.commit()
    seller.runs("/deliver")  # the seller's profile is cached: the start's only wait is the lock
    monkeypatch.setattr(box.driver, "settle", lambda: None)  # the outbox would wait for the lock
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started: dict = {}
    starting = threading.Thread(target=lambda: started.update(seller.runs("/deliver 12345").json()))
    try:
        starting.start()
        time.sleep(0.3)  # the start is waiting for the lock
        began = time.monotonic()
        listed = seller.runs("/deliver").json()
        took = time.monotonic() - began
        assert starting.is_alive()
    finally:
        other.execute("ROLLBACK")
        other.close()
    starting.join(timeout=30)
    box.settle()

    assert "Orders waiting for delivery (2)" in blocks_text(listed["blocks"])
    assert took < 1.0
    assert "Let's deliver order 12345" in blocks_text(started["blocks"])  # once the lock came


def test_two_first_requests_by_one_person_at_once_both_answer(box, seller, session, monkeypatch):
    """Both learn about the seller from Slack and cache it at the same moment (on PostgreSQL
    the second insert of the profile is a unique violation)."""
    make_order(session, "12345")
    session.commit()
    both_caching = threading.Barrier(2)
    remember = directory.remember

    def together(session, data, *, now):
        with turns.waiting():  # on SQLite requests take turns: let the other catch up
            both_caching.wait(timeout=10)
        return remember(session, data, now=now)

    monkeypatch.setattr(directory, "remember", together)
    replies = at_once(lambda: seller.runs("/deliver"), lambda: seller.runs("/deliver"))

    assert [reply.status_code for reply in replies] == [200, 200]
    assert all(
        "Orders waiting for delivery (1)" in blocks_text(r.json()["blocks"]) for r in replies
    )


def listed_while_a_reply_is_held(
    box, seller, click, held: str = "response_url"
) -> tuple[dict, float]:
    """`seller`'s /deliver, and how long it took, asked while Slack holds the call `click`
    makes (by default the reply it sends through its response_url)."""
    slow = box.slack.hold(held)
    clicking = threading.Thread(target=click)
    clicking.start()
    slow.wait_reached()
    started = time.monotonic()
    listed = seller.runs("/deliver").json()
    took = time.monotonic() - started
    slow.release()
    clicking.join(timeout=30)
    return listed, took


def test_a_slow_reply_through_response_url_holds_up_no_one_else(box, seller, session):
    """Older orders comes back through the click's response_url; while Slack is slow to take
    it, other requests are still answered."""
    from bot.fakeslack.records import Message

    product = make_product(session)
    for n in range(25):
        make_order(session, f"{3000 + n}", product=product)
    session.commit()
    listed = seller.runs("/deliver").json()
    shown = Message(
        channel="D" + seller.id, ts="1.1", text="", blocks=listed["blocks"], ephemeral_to=seller.id
    )
    again, took = listed_while_a_reply_is_held(
        box, seller, lambda: seller.clicks("Older orders", message=shown)
    )

    assert "Orders waiting for delivery (25)" in blocks_text(again["blocks"])
    assert took < 5
    assert "Showing 5 older of 25" in blocks_text(seller.responses()[-1]["blocks"])


def test_a_listener_calling_slack_through_bolts_client_holds_up_no_one_else(box, seller):
    """A listener may use the `client` and `say` Bolt gives it: while Slack is slow to answer
    them, other requests are still answered."""
    box.slack.add_user("UOTHER", "olga")
    seller.runs("/deliver")  # the seller's profile is cached: the next list asks Slack nothing

    @box.app.command("/whois")
    def whois(ack, client, say, command):
        ack()
        found = client.users_info(user=command["text"])
        say(f"That is {found['user']['name']}.")

    again, took = listed_while_a_reply_is_held(
        box, seller, lambda: seller.runs("/whois UOTHER"), held="users.info"
    )

    assert "No orders are waiting for your delivery" in blocks_text(again["blocks"])
    assert took < 5
    assert "That is olga." in [m.text for m in seller.dms()]


def test_older_orders_pages_through_the_whole_list_newest_first(box, seller, session):
    from bot.fakeslack.records import Message

    product = make_product(session)
    for n in range(45):
        make_order(
            session,
            f"{2000 + n}",
            product=product,
            placed_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n // 2),  # ties too
        )
    session.commit()

    reply, seen = seller.runs("/deliver").json(), []
    for page in (1, 2, 3):
        buttons = [b["accessory"]["value"] for b in reply["blocks"] if b.get("accessory")]
        seen += buttons
        if page < 3:
            shown = Message(
                channel="D" + seller.id,
                ts="1.1",
                text="",
                blocks=reply["blocks"],
                ephemeral_to=seller.id,
            )
            seller.clicks("Older orders", message=shown)
            reply = seller.responses()[-1]

    assert len(seen) == 45 and len(set(seen)) == 45  # each order once, none left out
    assert seen[0] == "2044" and seen[-1] == "2000"
    assert "Showing 5 older of 45" in blocks_text(reply["blocks"])
    assert "Older orders" not in blocks_text(reply["blocks"])  # the last page
