"""Reminders, escalations, digests and the customer's appeal offer, as Block Kit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.dates import slack_date
from bot.core.ids import ActionId
from bot.orders.contacts import CustomerContact
from bot.slack.blocks import actions, button, confirm, context, fields, header, mention, section
from bot.supervision.views.customer import button_value

Blocks = list[dict[str, Any]]


def waited(since: datetime, now: datetime) -> str:
    days = (now - since).days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(int((now - since).total_seconds() // 3600), 1)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def decision_buttons(order_no: str, delivery_id: int) -> dict[str, Any]:
    """The same Accept / Request changes buttons as the delivery message itself."""
    value = button_value(order_no, delivery_id)
    return actions(
        button(
            "Accept",
            ActionId.ACCEPT,
            value,
            style="primary",
            confirm=confirm("Accept the delivery?", f"Order {order_no} will be completed."),
        ),
        button("Request changes", ActionId.REQUEST_CHANGES, value),
    )


def build_reminder(
    *,
    order_no: str,
    delivery_id: int | None,
    since: datetime,
    now: datetime,
    permalink: str | None,
    auto_accept_at: datetime | None,
) -> tuple[str, Blocks]:
    where = f"<{permalink}|the delivery>" if permalink else "the delivery above"
    text = (
        f":wave: A friendly reminder: order *{order_no}* was delivered {waited(since, now)} ago "
        f"and is waiting for you. Please look at {where} and accept it, or tell the seller "
        "what should change."
    )
    blocks: Blocks = [section(text)]
    if delivery_id is not None:
        blocks.append(decision_buttons(order_no, delivery_id))
    if auto_accept_at:
        blocks.append(
            context(
                f":hourglass: If I hear nothing, the delivery will be accepted automatically on "
                f"{slack_date(auto_accept_at)}."
            )
        )
    return f"Reminder: order {order_no} is waiting for your acceptance", blocks


def build_auto_accept_notice(
    *, order_no: str, delivery_id: int | None, at: datetime
) -> tuple[str, Blocks]:
    """Sent with the delivery when no reminder comes early enough to announce the automatic
    acceptance."""
    text = (
        f":hourglass: Please look at order *{order_no}* soon: if I hear nothing from you, the "
        f"delivery will be accepted automatically on {slack_date(at)}."
    )
    blocks: Blocks = [section(text)]
    if delivery_id is not None:
        blocks.append(decision_buttons(order_no, delivery_id))
    return f"Order {order_no} will be accepted automatically unless you answer", blocks


def build_escalation(
    *,
    order_no: str,
    since: datetime,
    now: datetime,
    reminded: int,
    contact: CustomerContact,
    unreachable: bool,
) -> tuple[str, Blocks]:
    if unreachable:
        lead = (
            f":rotating_light: I can't reach the customer of order *{order_no}*: my messages "
            f"to them do not arrive. It has waited {waited(since, now)} for acceptance."
        )
    else:
        lead = (
            f":rotating_light: Order *{order_no}* has waited {waited(since, now)} for acceptance "
            f"and the customer has not answered {reminded} reminder{'s' if reminded != 1 else ''}."
        )
    blocks: Blocks = [
        section(lead),
        fields(*_contact_fields(contact)),
        section("You could contact them directly. If that does not help, operations can decide."),
        actions(
            button("Remind again now", ActionId.REMIND_AGAIN, order_no),
            button("Initiate appeal", ActionId.INITIATE_APPEAL, order_no, style="danger"),
        ),
    ]
    return f"Order {order_no}: the customer is not responding", blocks


def _contact_fields(contact: CustomerContact) -> list[tuple[str, str]]:
    pairs = [
        ("Customer", contact.name or "unknown"),
        ("E-mail", f"<mailto:{contact.email}|{contact.email}>" if contact.email else "unknown"),
        ("Slack profile", mention(contact.user_id) if contact.user_id else "not in Slack"),
        ("Time zone", contact.tz),
    ]
    if contact.channel:
        pairs.append(("Shared channel", f"<#{contact.channel}>"))
    return pairs


def build_auto_accepted(
    *, order_no: str, start: datetime, end: datetime, days: int | None
) -> tuple[str, Blocks]:
    text = (
        f":white_check_mark: Order *{order_no}* was accepted automatically after {days} days "
        f"without an answer. The licence is valid {slack_date(start, with_time=False)} – "
        f"{slack_date(end, with_time=False)}."
    )
    return f"Order {order_no} was accepted automatically", [section(text)]


def build_digest(
    rows: list[tuple[str, str, int]], now: datetime, *, total: int | None = None
) -> tuple[str, Blocks]:
    """rows: (order no., product name, whole days late), the longest-waiting first; `total`:
    how many are late in all (more than the rows shown)."""
    total = len(rows) if total is None else total
    lines = [
        f"• *{no}* – {product}: {_late(days)} past the stated delivery time"
        for no, product, days in rows
    ]
    if total > len(rows):
        lines.append(f"…and {total - len(rows):,} more. Type `/deliver` to list them.")
    blocks: Blocks = [
        header("Orders waiting too long for delivery"),
        section("\n".join(lines)),
        context("Type `/deliver <order no.>` to deliver one."),
    ]
    return f"{total:,} order(s) are past their delivery time", blocks


def _late(days: int) -> str:
    return "less than a day" if days < 1 else f"{days} day{'s' if days != 1 else ''}"


def build_appeal_offer(*, order_no: str, why: str) -> tuple[str, Blocks]:
    text = (
        f"Order *{order_no}*: {why}. If you cannot settle it with the seller, you can ask "
        "the marketplace's operations team to decide."
    )
    return f"You can appeal order {order_no}", [
        section(text),
        actions(button("Appeal", ActionId.CUSTOMER_APPEAL, order_no)),
    ]
