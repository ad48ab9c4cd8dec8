"""Order lists, order details and help, as Block Kit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.core.dates import slack_date
from bot.core.durations import describe_duration
from bot.core.ids import COMMAND, ActionId
from bot.orders.queries import OrderCard
from bot.orders.waiting import WaitingOrder
from bot.slack.blocks import actions, button, context, divider, fields, header, mention, section
from storage.states import SupervisionState

LIST_LIMIT = 20  # each order is two blocks; a message holds at most 50
COUNT_UP_TO = 100  # a list's total is counted up to here, then shown as "100+" (counting to
# 1,000 was most of the reads of a list)

STATE_WORDS = {
    SupervisionState.AWAITING_DELIVERY: "waiting for your delivery",
    SupervisionState.AWAITING_ACCEPTANCE: "with the customer for acceptance",
    SupervisionState.COMPLETED: "completed",
    SupervisionState.NOT_SUPERVISED: "a renewal: supervision does not apply",
    SupervisionState.NOT_DELIVERABLE: "not deliverable (payment pending or cancelled)",
}


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def customer_line(card: OrderCard) -> str:
    order = card.order
    who = [
        f"<@{order.customer_user_id}>" if order.customer_user_id else None,
        order.customer_name,
        order.customer_email,
        f"<#{order.customer_channel}>" if order.customer_channel else None,
    ]
    return " · ".join(part for part in who if part) or "unknown"


def order_fields(card: OrderCard, *extra: tuple[str, str]) -> dict[str, Any]:
    """What every view of an order shows: product, amount, status, placement, customer,
    duration (and `extra`)."""
    order = card.order
    return fields(
        ("Product", card.product.name),
        ("Amount", money(card.order.amount, card.order.currency)),
        ("Status", order.status.value),
        ("Placed", slack_date(order.placed_at)),
        ("Customer", customer_line(card)),
        ("Duration", describe_duration(order.duration)),
        *extra,
    )


def deliver_line(order_no: str, product: str, detail: str) -> dict[str, Any]:
    """One order waiting for delivery, with its Deliver button."""
    return section(
        f"*{order_no}* · {product}{detail}",
        accessory=button("Deliver", ActionId.DELIVER, order_no, style="primary"),
    )


def build_order_list(
    orders: list[WaitingOrder], *, total: int, older: str | None = None, first: bool = True
) -> list[dict[str, Any]]:
    """A page of the orders waiting for delivery, newest first; `older`: the value of the
    button that shows the next page (None on the last one)."""
    if not orders:
        return [
            section(
                "No orders are waiting for your delivery. :tada:\n"
                f"Type `{COMMAND} ORDER_NO` to look at a particular order."
            )
        ]
    shown_total = f"{COUNT_UP_TO:,}+" if total > COUNT_UP_TO else f"{total:,}"
    blocks = [header(f"Orders waiting for delivery ({shown_total})")]
    for order in orders[:LIST_LIMIT]:
        amount = money(order.amount, order.currency)
        detail = f"\n{amount} · {order.status.value} · placed {slack_date(order.placed_at)}"
        blocks.append(deliver_line(order.order_no, order.product, detail))
    if total > LIST_LIMIT:
        which = f"the newest {LIST_LIMIT}" if first else f"{len(orders[:LIST_LIMIT])} older"
        blocks.append(
            context(f"Showing {which} of {shown_total}. Type `{COMMAND} ORDER_NO` for any other.")
        )
    if older:
        blocks.append(actions(button("Older orders", ActionId.OLDER_ORDERS, older)))
    return blocks


def page_value(order: WaitingOrder) -> str:
    """The Older orders button's value: where the next page starts (keyset: the last order
    shown, "17|2026-01-31T10:00:00+00:00")."""
    return f"{order.id}|{order.placed_at.isoformat()}"


def build_order_details(card: OrderCard) -> list[dict[str, Any]]:
    order = card.order
    blocks = [
        header(f"Order {order.order_no}"),
        order_fields(
            card,
            ("Sellers", ", ".join(mention(s) for s in card.sellers) or "—"),
            ("Supervision", STATE_WORDS[order.state]),
        ),
    ]
    if order.renewal_of:
        blocks.append(context(f"Renews order {order.renewal_of}."))
    if order.validity_start and order.validity_end:
        blocks.append(
            section(
                f"*Licence valid* {slack_date(order.validity_start)} – "
                f"{slack_date(order.validity_end)}"
            )
        )
    blocks += [divider(), section(template_text(card))]
    if order.state is SupervisionState.AWAITING_DELIVERY:
        blocks.append(actions(button("Deliver", ActionId.DELIVER, order.order_no, style="primary")))
    return blocks


def template_text(card: OrderCard) -> str:
    template = card.product.delivery_template or []
    if not template:
        return "*Delivery template*\nThis product has no delivery template."
    lines = ["*Delivery template* (what you fill in when you deliver)"]
    for item in template:
        required = "" if item.get("required", True) is False else " _(required)_"
        options = item.get("options")
        extra = f": {', '.join(options)}" if options else ""
        lines.append(f"• {item['label']}{extra}{required}")
    return "\n".join(lines)


def build_help() -> list[dict[str, Any]]:
    return [
        section(
            "*How to deliver with me*\n"
            f"• `{COMMAND}` lists the orders waiting for your delivery.\n"
            f"• `{COMMAND} 12345` shows order 12345 and starts its delivery.\n"
            f"• `{COMMAND} cancel 12345` discards a delivery draft.\n"
            f"• `{COMMAND} help` shows this.\n"
            "Your orders by state are on my *Home* tab."
        )
    ]


def build_error(message: str) -> list[dict[str, Any]]:
    return [section(f":warning: {message}")]
