"""Delivering to a customer with no Slack account, and reading the page over HTTP."""

from __future__ import annotations

import re

import httpx

from bot.orders.queries import get_order
from bot.supervision import reminders
from tests.factories import make_order, make_submitted_delivery

BUYER = "pat@buyer-corp.example"  # nobody in the fake Slack has this e-mail
PROOF = {"SOW-signed.pdf": b"%PDF-1.7 statement of work", "licence.png": b"\x89PNG licence"}


def deliver(box, session, order_no: str = "12345", **order_kw):
    """Order `order_no` delivered to BUYER (Slack finds nobody), its outbox drained."""
    customer = {"customer_user_id": None, "customer_email": BUYER, "customer_name": "Pat Buyer"}
    order = get_order(session, order_no) or make_order(session, order_no, **customer | order_kw)
    delivery = make_submitted_delivery(
        session, order, now=box.clock.now(), files=PROOF, files_dir=box.files_dir
    )
    reminders.schedule_for_acceptance(session, order=order, now=box.clock.now())
    session.commit()
    box.settle()
    return order, delivery


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def post(client: httpx.Client, url: str, **form: str) -> httpx.Response:
    page = client.get(url)
    return client.post(url, data={"csrf": csrf_of(page.text), **form})
