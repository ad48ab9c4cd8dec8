"""A customer with no Slack account gets the delivery by e-mail, opens the signed link, reads
the proof, accepts, and the seller sees it in Slack. Also the page's refusals, over HTTP."""

from __future__ import annotations

import hashlib

import httpx
from sqlmodel import select

from bot.bootstrap import build_scheduler
from bot.core.audit import events_for
from bot.orders.queries import get_order
from storage.models import OutboxMessage, OutboxStatus
from storage.states import SupervisionState
from tests.factories import SELLER
from tests.webaccept.conftest import html_of, link_in, text_of
from tests.webaccept.helpers import BUYER, PROOF, csrf_of, deliver, post

CUSTOMER_DETAILS = ("Pat Buyer", BUYER)


def state_of(session, order_no="12345"):
    session.expire_all()
    order = get_order(session, order_no)
    session.commit()
    return order.state


def test_no_slack_account_email_link_proof_accept_and_the_seller_is_told(
    mailbox_box, inbox, session
):
    box = mailbox_box
    deliver(box, session)

    (mail,) = inbox.to(BUYER)
    assert mail["Subject"] == "Order 12345: please accept the delivery of SecureVPN Enterprise"
    assert mail["From"] == "deliverybot@isv.example"
    body = text_of(mail)
    assert "Licence key delivered: VPN-1234-ABCD" in body
    assert hashlib.sha256(PROOF["SOW-signed.pdf"]).hexdigest() in body
    assert "If you accept now, your licence is valid 2 Feb 2026 – 2 Mar 2026" in body
    assert "Open the delivery" in html_of(mail)
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key.startswith("customer-"))).all()
    assert {(r.method, r.status) for r in row} >= {("email.send", OutboxStatus.SENT)}
    session.commit()

    link = link_in(mail)
    with httpx.Client() as client:
        page = client.get(link)
        assert page.status_code == 200
        assert "Delivery of order 12345" in page.text and "Number of seats: 25" in page.text
        assert "VPN-1234-ABCD" in page.text and "Pat Buyer" not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        file_url = page.text.split('href="')[1].split('"')[0]
        proof = client.get(box.url + file_url)
        assert proof.status_code == 200
        assert proof.content in PROOF.values()
        assert proof.headers["x-content-sha256"] == hashlib.sha256(proof.content).hexdigest()
        assert proof.headers["content-disposition"].startswith("attachment")

        done = client.post(link, data={"csrf": csrf_of(page.text), "action": "accept"})
        assert done.status_code == 200 and "Thank you: accepted" in done.text
        assert "valid 2 Feb 2026 – 2 Mar 2026" in done.text
        box.settle()

        again = client.post(link, data={"csrf": csrf_of(page.text), "action": "accept"})
        assert again.status_code == 409 and "was accepted" in again.text
        assert client.get(link).status_code == 409
        assert client.get(box.url + file_url).status_code == 409

    assert state_of(session) is SupervisionState.COMPLETED
    seller_dm = box.person(SELLER).last_dm()
    assert "Pat Buyer accepted your delivery of order *12345*" in seller_dm.text
    outcome = inbox.to(BUYER)[-1]
    assert "You accepted the delivery" in text_of(outcome)
    order = get_order(session, "12345")
    accepted = [e for e in events_for(session, order.id) if e.kind == "accept"]
    assert len(accepted) == 1 and accepted[0].actor == "customer-link"


def test_contact_email_orders_are_emailed_and_reminded_by_email(mailbox_box, inbox, session):
    box = mailbox_box
    # the customer is on Slack, but the order says e-mail
    deliver(box, session, contact="email")
    assert box.person("UCUSTOMER").dms() == []
    assert len(inbox.to(BUYER)) == 1

    box.clock.advance(days=1, hours=4)  # a working day later, in the customer's hours
    scheduler = build_scheduler(box.services, holder="test")
    for _ in range(3):
        scheduler.run_due()
        box.settle()
    scheduler.release()
    reminder = inbox.to(BUYER)[-1]
    assert reminder["Subject"] == "Reminder: order 12345 is waiting for your acceptance"
    assert "/accept/" in text_of(reminder)


def test_changes_need_a_reason_and_go_back_to_the_seller(mailbox_box, inbox, session):
    box = mailbox_box
    deliver(box, session)
    link = link_in(inbox.to(BUYER)[0])
    with httpx.Client() as client:
        empty = post(client, link, action="changes", reason="   ")
        assert empty.status_code == 400 and "Please say what needs to change" in empty.text
        assert state_of(session) is SupervisionState.AWAITING_ACCEPTANCE
        sent = post(client, link, action="changes", reason="Wrong seat count")
        assert sent.status_code == 200 and "Wrong seat count" in sent.text
    box.settle()
    assert state_of(session) is SupervisionState.AWAITING_DELIVERY
    assert "Wrong seat count" in box.person(SELLER).last_dm().text


def test_bad_links_are_clear_4xx_pages_that_change_nothing_and_name_no_one(
    mailbox_box, inbox, session
):
    box = mailbox_box
    deliver(box, session)
    link = link_in(inbox.to(BUYER)[0])
    body, _, signature = link.rpartition("/")[2].partition(".")
    base = link.rpartition("/")[0]
    with httpx.Client() as client:
        forged = client.get(f"{base}/{body}.{signature[:-2]}AA")
        tampered = client.get(f"{base}/{body[:-2]}xx.{signature}")
        no_csrf = client.post(link, data={"action": "accept"})
        for response, status in ((forged, 404), (tampered, 404), (no_csrf, 403)):
            assert response.status_code == status
            assert not any(detail in response.text for detail in CUSTOMER_DETAILS)
            assert "12345" not in response.text or status == 403
        assert "not valid" in forged.text and "Reload the page" in no_csrf.text

        limited = [client.get(f"{base}/x.y").status_code for _ in range(31)]
        assert limited[-1] == 429 and limited[0] == 404

        box.clock.advance(days=31)
        expired = client.get(link)
        assert expired.status_code == 410 and "expired" in expired.text
    assert state_of(session) is SupervisionState.AWAITING_ACCEPTANCE


def test_a_link_for_a_replaced_round_says_so(mailbox_box, inbox, session):
    box = mailbox_box
    deliver(box, session)
    first = link_in(inbox.to(BUYER)[0])
    with httpx.Client() as client:
        assert post(client, first, action="changes", reason="Add the SOW").status_code == 200
        box.settle()
        deliver(box, session)  # round 2
        second = link_in(inbox.to(BUYER)[-1])
        replaced = client.get(first)
        assert replaced.status_code == 410 and "replaced" in replaced.text
        assert client.get(second).status_code == 200


def test_a_failing_mail_server_is_retried_then_the_seller_is_told(mailbox_box, inbox, session):
    box = mailbox_box
    box.services.dispatcher.caller.senders["email.send"].config = None  # type: ignore[attr-defined]
    deliver(box, session)
    assert inbox.messages == []
    assert "couldn't reach the customer of order *12345*" in box.person(SELLER).last_dm().text
