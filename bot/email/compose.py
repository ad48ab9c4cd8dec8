"""An outbox e-mail row turned into the message: plain text and HTML, composed when it is sent
from the order as it then is (the validity "if you accept now" is now's), with a fresh signed
link. The Message-ID comes from the outbox key, so a resend after a crash is the same message."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import Any

from sqlmodel import Session

from bot.core.dates import format_local
from bot.email.facts import Facts, delivery_facts
from bot.email.links import Links
from bot.slack.outbox import PermanentFailure
from bot.supervision.notices import customer_delivery
from storage.models import Delivery, Order


def compose(
    session: Session, payload: dict[str, Any], *, links: Links | None, now: datetime, sender: str
) -> EmailMessage:
    delivery = session.get(Delivery, payload["delivery_id"])
    order = session.get(Order, delivery.order_id) if delivery else None
    if delivery is None or order is None:
        raise PermanentFailure("delivery_not_found")
    facts = delivery_facts(customer_delivery(session, order, delivery, now=now))
    link = links.url(order.order_no, delivery.id or 0, delivery.round, now=now) if links else None
    subject, opening = _words(payload, facts, order)
    lines = [opening, ""]
    if payload["template"] != "outcome":
        lines += [f"{label}: {value}" for label, value in facts.fields]
        lines += ["", "What was delivered:"]
        lines += [f"- {label}: {value}" for label, value in facts.answers] or ["- No details."]
        lines += ["", "Proof:"]
        lines += [f"- {f.name} ({f.kind}), SHA-256 {f.sha256}" for f in facts.files] or [
            "- No files were attached."
        ]
        lines += ["", facts.validity, ""]
        if link:
            expiry = format_local(now + links.lifetime, facts.tz) if links else ""
            lines += [
                "Read the proof, then accept the delivery or ask for changes here:",
                link,
                f"(The link is for you only and works until {expiry}.)",
            ]
        else:
            lines += ["Please reply to the seller to accept the delivery or ask for changes."]
    lines += ["", "— deliverybot, on behalf of the seller"]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = payload["to"]
    message["Date"] = format_datetime(now)
    digest = hashlib.sha256(payload["key"].encode()).hexdigest()[:32]
    message["Message-ID"] = make_msgid(idstring=digest, domain="deliverybot")
    message.set_content("\n".join(lines))
    message.add_alternative(_html(opening, facts, link, payload["template"]), subtype="html")
    return message


def _words(payload: dict[str, Any], facts: Facts, order: Order) -> tuple[str, str]:
    no, product = facts.order_no, facts.product
    template = payload["template"]
    if template == "reminder":
        when = ""
        if payload.get("auto_accept_at"):
            at = datetime.fromisoformat(payload["auto_accept_at"])
            when = f" Without an answer it will be accepted automatically on {format_local(at, facts.tz)}."
        return (
            f"Reminder: order {no} is waiting for your acceptance",
            f"A reminder: the delivery of {product} for your order {no} waits for you.{when}",
        )
    if template == "notice":
        on = format_local(datetime.fromisoformat(payload["at"]), facts.tz)
        return (
            f"Order {no} will be accepted automatically on {on}",
            f"Unless you accept it or ask for changes first, the delivery of {product} for "
            f"your order {no} will be accepted automatically on {on}.",
        )
    if template == "outcome":
        return f"Order {no}: {payload['text']}", payload["text"]
    return (
        f"Order {no}: please accept the delivery of {product}",
        f"The seller delivered {product} for your order {no} and asks you to accept it.",
    )


def _html(opening: str, facts: Facts, link: str | None, template: str) -> str:
    parts = [f"<p>{escape(opening)}</p>"]
    if template != "outcome":
        rows = "".join(
            f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
            for k, v in facts.fields
        )
        parts.append(f"<table>{rows}</table>")
        answers = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in facts.answers)
        parts.append(f"<h3>What was delivered</h3><ul>{answers or '<li>No details.</li>'}</ul>")
        files = "".join(
            f"<li>{escape(f.name)} ({escape(f.kind)})<br><small>SHA-256 {f.sha256}</small></li>"
            for f in facts.files
        )
        parts.append(f"<h3>Proof</h3><ul>{files or '<li>No files were attached.</li>'}</ul>")
        parts.append(f"<p><strong>{escape(facts.validity)}</strong></p>")
        if link:
            parts.append(
                f"<p><a href='{escape(link)}'>Open the delivery to accept it or ask for "
                "changes</a></p>"
            )
    parts.append("<p>— deliverybot, on behalf of the seller</p>")
    return "<html><body>" + "".join(parts) + "</body></html>"
