"""Act 3 of the demo: order 12349's customer has no Slack account. The delivery is e-mailed
(the mail sink prints it); the customer opens the link, downloads a proof file, accepts over
real HTTP, and the seller reads "accepted" in Slack."""

from __future__ import annotations

import hashlib
import http.cookiejar
import re
import urllib.parse
import urllib.request
from collections.abc import Callable

from sqlmodel import Session, select

from bot.demo.mailsink import MailSink
from bot.demo.sandbox import Sandbox
from bot.fakeslack.transcript import Transcript
from bot.orders.imports.orders import import_orders
from bot.orders.imports.validation import validate_orders
from storage.models import Product

CUSTOMER_EMAIL = "pat@smallco.example"  # nobody in Slack has it


def customer_accepts_by_email(
    box: Sandbox,
    story: Transcript,
    sink: MailSink,
    *,
    seller_id: str,
    deliver: Callable[[str], None],
    worker_pass: Callable[[], int],
) -> str:
    """Returns the page's answer to Accept."""
    with box.session_factory() as session:
        record = {
            "order_no": "12349",
            "product_code": "SECUREVPN",
            "amount": "900.00",
            "currency": "EUR",
            "status": "Processing",
            "placed_at": "2026-02-01T09:00:00Z",
            "duration": "1 year",
            "sellers": seller_id,
            "customer_email": CUSTOMER_EMAIL,
            "customer_name": "Pat at SmallCo",
        }
        products = {"SECUREVPN": _product_id(session)}
        checked = validate_orders([(2, record)], product_ids=products, now=box.clock.now())
        assert not checked.errors, checked.errors
        import_orders(session, checked.rows, now=box.clock.now())
        session.commit()
    story.narrate(
        "Act 3: order 12349's customer, Pat, has no Slack account (users.lookupByEmail finds "
        "nobody). Sam delivers as usual; the bot e-mails the delivery instead."
    )
    deliver("12349")
    worker_pass()
    story.flush()
    sent = sink.messages[-1]
    story.narrate(f"The mail sink received an e-mail for {sent['To']}")
    story.out(f"  Subject: {sent['Subject']}")
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    for line in text.splitlines():
        story.out(f"  │ {line}")
    link = re.search(r"(http://\S+/accept/\S+)", text)
    assert link, "the e-mail has no accept link"
    url = link.group(1)

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(url, timeout=10) as response:
        page = response.read().decode()
        story.narrate(
            f"Pat opens the link: GET {urllib.parse.urlsplit(url).path[:40]}… → {response.status}"
        )
    file_path = re.search(r'href="(/accept/[^"]+/files/\d+)"', page)
    assert file_path
    with opener.open(box.url + file_path.group(1), timeout=10) as response:
        content = response.read()
        same = hashlib.sha256(content).hexdigest() == response.headers["X-Content-SHA256"]
        story.out(f"  Pat downloads a proof file ({len(content)} bytes; SHA-256 matches: {same})")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    form = urllib.parse.urlencode({"csrf": csrf.group(1), "action": "accept"}).encode()
    with opener.open(urllib.request.Request(url, data=form), timeout=10) as response:
        answer = re.sub(r"<[^>]+>", " ", response.read().decode())
        answer = " ".join(answer.split()[-40:])
        story.narrate(f"Pat clicks Accept on the page: POST → {response.status}")
    outcome = answer[answer.index("Thank you") :] if "Thank you" in answer else answer
    story.out(f"  {outcome}")
    worker_pass()
    story.flush()
    return outcome


def _product_id(session: Session) -> int:
    found = session.exec(select(Product.id).where(Product.code == "SECUREVPN")).first()
    assert found is not None
    return found
