"""The customer's side over signed HTTP: the delivery DM, Accept, Request changes, refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import cli as main_cli
from bot.core.audit import events_for
from bot.core.ids import ActionId, BlockId
from bot.fakeslack.driver import buttons, label
from bot.fakeslack.render import render_blocks
from bot.orders.queries import get_order, order_json
from bot.supervision.views.customer import REASON_INPUT
from storage.models import OutboxMessage, OutboxStatus
from storage.states import OrderStatus, SupervisionState
from tests.e2e.test_deliver_command import listed_while_a_reply_is_held
from tests.factories import CUSTOMER, SELLER, make_order, make_submitted_delivery

EXAMPLES = Path(__file__).parents[2] / "examples"
JAN_1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
FEB_1 = datetime(2026, 2, 1, 15, 0, tzinfo=UTC)


def shown(message) -> str:
    return render_blocks(message.blocks) if message.blocks else message.text


def refuses_as_not_the_customer(text: str, action: str, order_no: str = "12345") -> bool:
    """The refusal anyone but the customer gets: what they can't do, naming no one."""
    customer = ("Alex Buyer", "admin@buyer.example", CUSTOMER)
    return f"Only the customer of order {order_no} can {action} it" in text and not any(
        detail in text for detail in customer
    )


def labels(message) -> list[str]:
    return [label(element) for _, element in buttons(message.blocks)]


def submit(box, session, order_no="12345", *, enabling_time=None, files=None, **order_kw):
    order = get_order(session, order_no) or make_order(session, order_no, **order_kw)
    delivery = make_submitted_delivery(
        session,
        order,
        now=box.clock.now(),
        files=files,
        enabling_time=enabling_time,
        files_dir=box.files_dir,
    )
    session.commit()
    box.settle()
    return order, delivery


def reload(session, order_no="12345"):
    """The order as it is now; the read transaction is closed so the app can write (SQLite)."""
    session.expire_all()
    order = get_order(session, order_no)
    session.commit()
    return order


def test_the_customer_sees_what_was_delivered_with_its_proof_and_the_validity(
    box, customer, session
):
    box.clock.set(FEB_1)
    submit(box, session, files={"SOW-signed.pdf": b"%PDF sow", "licence.png": b"png bytes"})

    delivery_dm, files_dm = customer.dms()
    text = shown(delivery_dm)
    assert "Delivery of order 12345" in text and "SecureVPN Enterprise" in text
    assert f"@{SELLER} delivered" in text
    assert "Licence key delivered: VPN-1234-ABCD" in text and "Number of seats: 25" in text
    assert "Not stated" in text
    assert "If you accept now, your licence is valid 1 Feb 2026 – 1 Mar 2026" in text
    assert labels(delivery_dm) == ["Accept", "Request changes", "Open in browser"]
    _, _, accept = customer.find_button("Accept", delivery_dm)
    assert accept["confirm"]["confirm"]["text"] == "OK"
    assert sorted(f["name"] for f in files_dm.files) == ["SOW-signed.pdf", "licence.png"]
    shared = {f["name"]: box.slack.file_contents[f["id"]] for f in files_dm.files}
    assert shared["SOW-signed.pdf"] == b"%PDF sow"


def test_seed_scenario_no_enabling_time_is_valid_from_acceptance(box, customer, seller, session):
    """A 1-month order bought Jan 1, accepted Feb 1, no enabling time: valid Feb 1 – Mar 1."""
    box.clock.set(FEB_1)
    submit(box, session, placed_at=JAN_1)

    customer.clicks("Accept")

    order = reload(session)
    assert order.state is SupervisionState.COMPLETED and order.status is OrderStatus.COMPLETED
    assert (order.validity_start, order.validity_end) == (
        FEB_1,
        datetime(2026, 3, 1, 15, 0, tzinfo=UTC),
    )
    message = customer.dms()[0]
    assert labels(message) == []
    assert "Accepted by you on" in shown(
        message
    ) and "licence valid 1 Feb 2026 – 1 Mar 2026" in shown(message)
    told = seller.last_dm()
    assert "accepted your delivery of order *12345*" in told.text and "Completed" in told.text


def test_seed_scenario_enabling_time_jan_1_is_valid_jan_1_to_feb_1(box, customer, session):
    """The same order with enabling time Jan 1: valid Jan 1 – Feb 1 whenever it is accepted."""
    box.clock.set(FEB_1)
    submit(box, session, placed_at=JAN_1, enabling_time=JAN_1)
    assert "Your licence is valid 1 Jan 2026 – 1 Feb 2026" in shown(customer.dms()[0])

    customer.clicks("Accept")

    order = reload(session)
    assert (order.validity_start, order.validity_end) == (
        JAN_1,
        datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
    )
    assert "licence valid 1 Jan 2026 – 1 Feb 2026" in shown(customer.dms()[0])
    shown_json = order_json(session, order)
    assert shown_json["state"] == "completed" and shown_json["status"] == "Completed"
    assert shown_json["validity_start"].startswith("2026-01-01")
    assert shown_json["validity_end"].startswith("2026-02-01")


def test_a_stranger_cannot_accept_and_the_attempt_is_audited(box, customer, stranger, session):
    submit(box, session)

    stranger.clicks("Accept", message=customer.dms()[0])

    assert refuses_as_not_the_customer(stranger.responses()[-1]["text"], "accept")
    order = reload(session)
    assert order.state is SupervisionState.AWAITING_ACCEPTANCE
    assert labels(customer.dms()[0]) == ["Accept", "Request changes", "Open in browser"]
    refused = [e for e in events_for(session, order.id) if e.kind == "refused"]
    assert [(e.actor, e.detail["action"]) for e in refused] == [(stranger.id, "accept")]
    assert box.slack.calls_to("chat.update") == []


def test_a_seller_cannot_accept_their_own_delivery(box, customer, seller, session):
    submit(box, session)

    seller.clicks("Accept", message=customer.dms()[0])

    assert refuses_as_not_the_customer(seller.responses()[-1]["text"], "accept")
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE


def test_an_order_known_by_email_only_is_accepted_by_the_user_with_that_email(
    box, customer, session
):
    submit(box, session, customer_user_id=None)
    assert box.slack.calls_to("users.lookupByEmail")

    customer.clicks("Accept")

    assert reload(session).accepted_by == CUSTOMER


def test_a_second_click_says_where_the_order_stands_and_changes_nothing(box, customer, session):
    submit(box, session)
    message = copy.deepcopy(customer.dms()[0])
    customer.clicks("Accept", message=message)
    updates = len(box.slack.calls_to("chat.update"))

    customer.clicks("Accept", message=message)  # an old copy of the message, still with buttons

    assert "was already accepted on" in customer.responses()[-1]["text"]
    assert len(box.slack.calls_to("chat.update")) == updates
    order = reload(session)
    assert [e.kind for e in events_for(session, order.id)].count("accept") == 1


def test_request_changes_returns_the_order_to_the_seller_with_the_reason(
    box, customer, seller, session
):
    submit(box, session)

    customer.clicks("Request changes")
    modal = customer.current_view()
    assert modal["blocks"][1]["block_id"] == BlockId.CHANGES_REASON
    customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "The SOW is not signed."}}})

    order = reload(session)
    assert order.state is SupervisionState.AWAITING_DELIVERY and order.rejected_rounds == 1
    message = customer.dms()[0]
    assert labels(message) == []
    assert "You asked for changes" in shown(message) and "The SOW is not signed." in shown(message)
    told = seller.last_dm()
    assert "The SOW is not signed." in told.text and "round 1" in told.text
    _, _, again = seller.find_button("Deliver again", told)
    assert (again["action_id"], again["value"]) == (ActionId.DELIVER, "12345")


def test_an_empty_reason_is_refused_in_the_modal(box, customer, session):
    submit(box, session)
    customer.clicks("Request changes")

    response = customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "   "}}})

    assert response.json()["response_action"] == "errors"
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE


def test_the_second_round_counts_rounds_and_the_first_rounds_buttons_are_stale(
    box, customer, session
):
    submit(box, session)
    first = copy.deepcopy(customer.dms()[0])
    customer.clicks("Request changes")
    customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "Missing SOW"}}})
    submit(box, session)
    second = customer.dms()[-1]
    assert "2 (you asked for changes 1 time)" in shown(second)

    customer.clicks("Accept", message=first)  # the first round's message, as it was

    assert "earlier delivery (round 1)" in customer.responses()[-1]["text"]
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE
    customer.clicks("Accept", message=second)
    assert reload(session).state is SupervisionState.COMPLETED


def test_an_unreachable_customer_reaches_the_seller_with_contact_details(
    box, customer, seller, session
):
    submit(
        box,
        session,
        customer_user_id="UGONE",
        customer_email="nobody@buyer.example",
        customer_channel="CGONE",
    )

    told = seller.last_dm()
    assert "couldn't reach the customer of order *12345*" in told.text
    assert (
        "Alex Buyer" in told.text and "nobody@buyer.example" in told.text and "CGONE" in told.text
    )
    assert customer.dms() == []
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE
    failed = session.exec(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).one()
    assert failed.key.startswith("customer-delivery:")
    kinds = [e.kind for e in events_for(session, reload(session).id)]
    assert "customer_unreachable" in kinds


def test_a_slack_connect_channel_is_used_when_no_user_can_be_found(box, customer, seller, session):
    box.slack.users[CUSTOMER].team_id = "TBUYER"  # a guest from the buyer's workspace
    box.slack.add_channel("CBUYER", [CUSTOMER, SELLER])
    submit(box, session, customer_user_id=None, customer_email=None, customer_channel="CBUYER")
    message = box.slack.messages_in("CBUYER")[0]

    seller.clicks("Accept", message=message)
    assert reload(session).state is SupervisionState.AWAITING_ACCEPTANCE
    customer.clicks("Accept", message=message)

    assert reload(session).state is SupervisionState.COMPLETED


ORDERS_HEADER = (
    "order_no,product_code,amount,currency,status,placed_at,duration,sellers,"
    "customer_user_id,customer_email,customer_name,customer_channel,renewal_of"
)


def cli(database_url, *args: str):
    result = CliRunner().invoke(main_cli, list(args), env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.stdout


def import_orders(database_url, tmp_path, *lines: str) -> None:
    path = tmp_path / f"orders-{lines[0][:3]}.csv"
    path.write_text("\n".join([ORDERS_HEADER, *lines]) + "\n")
    cli(database_url, "orders", "import", str(path))


def test_a_renewal_of_an_accepted_order_skips_supervision_and_continues_its_validity(
    box, customer, seller, session, database_url, tmp_path
):
    cli(database_url, "products", "import", str(EXAMPLES / "products.yaml"))
    common = f"SECUREVPN,1200.00,EUR,Processing,2026-01-01T09:00:00Z,1 month,{SELLER},{CUSTOMER},"
    import_orders(
        database_url,
        tmp_path,
        f"600,{common}admin@buyer.example,Alex Buyer,,",
        f"601,{common}admin@buyer.example,Alex Buyer,,600",
    )
    assert (
        reload(session, "601").state is SupervisionState.AWAITING_DELIVERY
    )  # 600 still supervised

    box.clock.set(FEB_1)
    submit(box, session, "600", enabling_time=JAN_1)
    customer.clicks("Accept")
    import_orders(database_url, tmp_path, f"602,{common}admin@buyer.example,Alex Buyer,,600")

    renewal = reload(session, "602")
    assert renewal.state is SupervisionState.NOT_SUPERVISED
    assert (renewal.validity_start, renewal.validity_end) == (
        datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    refusal = seller.runs("/deliver 602").json()
    assert "Supervision does not apply to order 602" in json.dumps(refusal)
    shown = json.loads(cli(database_url, "orders", "show", "600", "--json"))
    assert (shown["state"], shown["status"]) == ("completed", "Completed")
    assert (shown["validity_start"][:10], shown["validity_end"][:10]) == (
        "2026-01-01",
        "2026-02-01",
    )


def test_the_whole_flow_from_deliver_to_completed_through_a_round_of_changes(
    box, seller, customer, session
):
    from tests.e2e.test_delivery_conversation import deliver_everything

    make_order(session, "12345", placed_at=JAN_1)
    session.commit()
    box.clock.set(FEB_1)
    seller.runs("/deliver 12345")
    deliver_everything(seller)
    seller.clicks("Deliver")

    delivered, proof = customer.dms()
    assert "Your licence is valid 1 Jan 2026 – 1 Feb 2026" in shown(delivered)
    assert sorted(f["name"] for f in proof.files) == ["SOW-signed.pdf", "acceptance_report.pdf"]
    customer.clicks("Request changes")
    customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": "Seats should be 50."}}})
    assert "Seats should be 50." in seller.last_dm().text

    seller.clicks("Deliver again")
    seller.clicks("Deliver")
    second = customer.dms()[-2]
    assert "2 (you asked for changes 1 time)" in shown(second)
    customer.clicks("Accept", message=second)

    order = reload(session)
    assert (order.state, order.round, order.rejected_rounds) == (SupervisionState.COMPLETED, 2, 1)
    told = [m for m in seller.dms() if "accepted your delivery" in m.text]
    assert len(told) == 1 and told[0].thread_ts  # a reply in the thread of the seller's delivery


def test_proof_that_cannot_be_shared_is_reported_to_the_seller(box, customer, seller, session):
    order = make_order(session, "12345")
    make_submitted_delivery(
        session, order, now=box.clock.now(), files_dir=box.files_dir, files={"SOW.pdf": b"%PDF sow"}
    )
    session.commit()
    for stored in box.files_dir.rglob("*"):
        if stored.is_file():
            stored.unlink()  # the file store lost it

    box.settle()

    assert [m.text for m in customer.dms()][0].startswith("Order 12345 was delivered")
    assert len(customer.dms()) == 1
    assert "couldn't share its proof files with them (file_not_in_store)" in seller.last_dm().text


def test_a_stranger_cannot_ask_for_changes_and_gets_no_modal(box, customer, stranger, session):
    submit(box, session)

    stranger.clicks("Request changes", message=customer.dms()[0])

    assert refuses_as_not_the_customer(stranger.responses()[-1]["text"], "ask for changes to")
    assert box.slack.calls_to("views.open") == []


def test_clicks_never_ask_slack_while_holding_sqlites_write_lock(
    box, customer, seller, session, database_url
):
    from tests.e2e.test_reminders import calls_under_write_lock

    box.slack.users[CUSTOMER].team_id = "TBUYER"
    box.slack.add_channel("CBUYER", [CUSTOMER, SELLER])
    submit(box, session, customer_user_id=None, customer_email=None, customer_channel="CBUYER")
    locked_during = calls_under_write_lock(box, database_url)
    message = box.slack.messages_in("CBUYER")[0]

    customer.clicks("Request changes", message=copy.deepcopy(message))
    seller.clicks("Accept", message=message)
    customer.clicks("Accept", message=message)

    assert reload(session).state is SupervisionState.COMPLETED
    assert box.slack.calls_to("conversations.members") and box.slack.calls_to("users.info")
    assert locked_during == []


def test_an_unreachable_customer_escalates_to_the_seller_at_once_with_the_appeal_button(
    box, customer, seller, session
):
    from tests.e2e.test_reminders import work

    order = make_order(
        session,
        "12345",
        customer_user_id="UGONE",
        customer_email="nobody@buyer.example",
        customer_channel="CGONE",
    )
    make_submitted_delivery(session, order, now=box.clock.now(), files_dir=box.files_dir)
    session.commit()
    work(box)  # the worker plans reminders before the delivery message fails for good ...
    work(box)  # ... and at the same moment knows no reminder could reach them either

    escalation = seller.last_dm()
    assert "can't reach the customer of order *12345*" in shown(escalation)
    assert "nobody@buyer.example" in shown(escalation)
    assert labels(escalation) == ["Remind again now", "Initiate appeal"]


def test_accepting_refreshes_the_sellers_home(box, customer, seller, session):
    submit(box, session)
    seller.opens_home()
    assert "*1* awaiting acceptance" in render_blocks(seller.home()["blocks"])

    customer.clicks("Accept")

    assert "*0* awaiting acceptance" in render_blocks(seller.home()["blocks"])


def test_a_slow_refusal_through_response_url_holds_up_no_one_else(box, customer, seller, session):
    """A second Accept is refused through the click's response_url; while Slack is slow to
    take that reply, other requests are still answered."""
    submit(box, session)
    before = copy.deepcopy(customer.dms()[0])  # its buttons, as a second window still shows
    customer.clicks("Accept")
    listed, took = listed_while_a_reply_is_held(
        box, seller, lambda: customer.clicks("Accept", message=before)
    )

    assert "No orders are waiting for your delivery" in render_blocks(listed["blocks"])
    assert took < 1.0
    assert "already accepted" in customer.responses()[-1]["text"]
