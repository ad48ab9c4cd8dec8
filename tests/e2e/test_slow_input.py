"""A page pasted into the DM and a body past the size limit, arriving together, are each
answered well within Slack's 3-second ack deadline, and another seller's `/deliver` at the same
moment is answered at once: nothing a person sends can hold the bot (or SQLite's write lock)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

import httpx

from bot.core.dates import warm_up
from bot.demo.sandbox import SIGNING_SECRET
from tests.e2e.test_delivery_conversation import draft_of
from tests.factories import SELLER, TEAMMATE, make_order

SLACK_ACK_DEADLINE = 3.0


def signed_post(url: str, body: bytes) -> httpx.Response:
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with httpx.Client(timeout=30) as client:
        return client.post(url, content=body, headers=headers)


def test_a_pasted_page_and_a_huge_body_hold_up_no_one(box, seller, teammate, session):
    make_order(session, "12345", sellers=(SELLER,))
    make_order(session, "777", sellers=(TEAMMATE,))
    session.commit()
    seller.runs("/deliver 12345")
    box.settle()
    warm_up()  # as `deliverybot serve` does before it listens
    page = ("Licence activated for all seats, see the attached screenshots. " * 700)[:40_000]
    huge = b"payload=" + b"x" * (1024 * 1024)
    start = threading.Barrier(3)
    answered: dict[str, tuple[float, httpx.Response]] = {}

    def timed(name, send):
        start.wait()
        began = time.monotonic()
        response = send()
        answered[name] = (time.monotonic() - began, response)

    requests = {
        "paste": lambda: seller.says(page),
        "huge": lambda: signed_post(box.driver.app_url, huge),
        "deliver": lambda: teammate.runs("/deliver 777"),
    }
    threads = [threading.Thread(target=timed, args=item) for item in requests.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    (paste_took, paste), (huge_took, huge_answer), (deliver_took, deliver) = (
        answered[name] for name in ("paste", "huge", "deliver")
    )
    assert paste.status_code == 200 and paste_took < SLACK_ACK_DEADLINE
    assert huge_answer.status_code == 413 and huge_took < SLACK_ACK_DEADLINE
    assert "order 777 in our DM" in deliver.text and deliver_took < 1.5, deliver_took
    box.settle()
    said = seller.last_dm().text
    assert "I couldn't read “Licence activated for all seats" in said and len(said) < 300
    assert draft_of(session, "12345").enabling_decided is False
