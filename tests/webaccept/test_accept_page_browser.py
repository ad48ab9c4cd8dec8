"""The accept page in a real headless browser (Debian's chromium driven by Playwright), and a
Slack click racing a page click. Outside CI a missing chromium skips these; in CI it fails."""

from __future__ import annotations

import os
import shutil
import threading

import httpx
import pytest
from sqlmodel import func, select

from bot.core.audit import events_for
from bot.orders.queries import get_order
from storage.models import AuditEvent, OutboxMessage
from storage.states import SupervisionState
from tests.factories import CUSTOMER, SELLER
from tests.webaccept.conftest import link_in
from tests.webaccept.helpers import BUYER, csrf_of, deliver

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests need chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def state_of(session, order_no="12345"):
    session.expire_all()
    order = get_order(session, order_no)
    session.commit()
    return order.state


def test_accept_in_the_browser_then_the_replayed_link_shows_the_outcome(
    browser, mailbox_box, inbox, session
):
    box = mailbox_box
    deliver(box, session)
    link = link_in(inbox.to(BUYER)[0])
    context = browser.new_context(java_script_enabled=False)
    page, twin = context.new_page(), context.new_page()
    page.set_default_timeout(5000)
    page.goto(link)
    twin.goto(link)  # the same form open twice: the second click is a double submit
    assert page.get_by_role("heading", name="Delivery of order 12345").is_visible()
    assert page.get_by_label("What needs to change?").is_visible()
    page.get_by_role("button", name="Accept").click()
    assert "Thank you: accepted" in page.content()
    box.settle()
    assert state_of(session) is SupervisionState.COMPLETED
    assert "accepted your delivery of order *12345*" in box.person(SELLER).last_dm().text

    twin.get_by_role("button", name="Accept").click()
    assert "was accepted" in twin.content()
    replay = page.goto(link)
    assert replay is not None and replay.status == 409
    order = get_order(session, "12345")
    assert [e.kind for e in events_for(session, order.id)].count("accept") == 1
    session.commit()
    context.close()


def test_request_changes_on_a_phone_with_a_screenshot(
    browser, mailbox_box, inbox, session, tmp_path
):
    box = mailbox_box
    deliver(box, session)
    link = link_in(inbox.to(BUYER)[0])
    phone = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = phone.new_page()
    page.set_default_timeout(5000)
    response = page.goto(link)
    assert response is not None and response.status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing runs off a phone's screen
    page.screenshot(path=str(tmp_path / "accept-page-phone.png"), full_page=True)
    assert (tmp_path / "accept-page-phone.png").stat().st_size > 10_000
    page.get_by_label("What needs to change?").fill("The seat count should be 30")
    page.get_by_role("button", name="Request changes").click()
    assert "Sent to the seller" in page.content()
    box.settle()
    assert state_of(session) is SupervisionState.AWAITING_DELIVERY
    assert "The seat count should be 30" in box.person(SELLER).last_dm().text
    phone.close()


def test_forged_and_expired_links_in_the_browser(browser, mailbox_box, inbox, session):
    box = mailbox_box
    deliver(box, session)
    link = link_in(inbox.to(BUYER)[0])
    page = browser.new_page()
    forged = page.goto(link[:-3] + "abc")
    assert forged is not None and forged.status == 404
    assert "This link is not valid" in page.content() and BUYER not in page.content()
    box.clock.advance(days=40)
    expired = page.goto(link)
    assert expired is not None and expired.status == 410
    page.close()


def test_a_slack_click_and_a_page_click_at_once_complete_once(
    mailbox_box, inbox, session, database_url
):
    """The customer is on Slack and opens "Open in browser" too; both clicks race."""
    box = mailbox_box
    deliver(box, session, customer_user_id=CUSTOMER, customer_email="admin@buyer.example")
    customer = box.person(CUSTOMER)
    (dm,) = [m for m in customer.dms() if "Delivery of order" in (m.text or "") or m.blocks]
    urls = [e.get("url") for b in dm.blocks if b.get("type") == "actions" for e in b["elements"]]
    link = next(u for u in urls if u)
    client = httpx.Client()
    csrf = csrf_of(client.get(link).text)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def page_click():
        start.wait()
        results["page"] = client.post(link, data={"csrf": csrf, "action": "accept"}).status_code

    def slack_click():
        start.wait()
        customer.clicks("Accept", message=dm)
        results["slack"] = True

    threads = [threading.Thread(target=page_click), threading.Thread(target=slack_click)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    client.close()
    box.settle()
    assert state_of(session) is SupervisionState.COMPLETED
    order = get_order(session, "12345")
    accepts = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.order_id == order.id, AuditEvent.kind == "accept")
    ).one()
    told = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.key.startswith("seller-accepted:"))
    ).one()
    session.commit()
    assert (accepts, told) == (1, 1)
    assert results["page"] in (200, 409)
