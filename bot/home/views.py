"""The seller's Home tab ("Service Supervision") as Block Kit. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.dates import format_local, slack_date, utc
from bot.core.ids import COMMAND, ActionId, BlockId, CallbackId
from bot.orders.queries import OrderCard
from bot.orders.views import deliver_line, money
from bot.reporting.summary import Summary
from bot.slack.blocks import button, context, divider, header, section, text
from storage.models import Delivery, Order
from storage.states import SupervisionState

MAX_BLOCKS = 100  # a Home view holds at most 100 blocks


@dataclass(frozen=True)
class DraftLine:
    card: OrderCard
    delivery: Delivery


@dataclass(frozen=True)
class HomePage:
    user: str
    awaiting_delivery: list[OrderCard]
    drafts: list[DraftLine]
    awaiting_acceptance: list[OrderCard]
    completed: list[OrderCard]
    counts: dict[SupervisionState, int]
    draft_count: int
    now: datetime
    tz: str
    numbers: Summary | None = None  # the user's own deliveries, only theirs
    totals: Summary | None = None  # the marketplace's, for operations staff only


def waiting_for_delivery_since(order: Order) -> datetime:
    """Since it was placed; after the customer asked for changes, since it came back."""
    return order.state_changed_at if order.round else order.placed_at


def waited(moment: datetime, now: datetime) -> str:
    """'for 3 days', 'for 1 day' or 'since today'."""
    days = (now - utc(moment)).days
    return "since today" if days <= 0 else f"for {days} day{'s' if days != 1 else ''}"


def build_home(page: HomePage) -> dict[str, Any]:
    counts = page.counts
    blocks: list[dict[str, Any]] = [
        header("Service Supervision"),
        section(
            f"*{counts[SupervisionState.AWAITING_DELIVERY]}* awaiting delivery · "
            f"*{page.draft_count}* draft{'' if page.draft_count == 1 else 's'} in progress · "
            f"*{counts[SupervisionState.AWAITING_ACCEPTANCE]}* awaiting acceptance · "
            f"*{counts[SupervisionState.COMPLETED]}* completed",
            accessory=button("Find order", ActionId.FIND_ORDER),
        ),
    ]
    if page.numbers is not None and page.numbers.figures.deliveries:
        blocks.append(context(f"Your deliveries: {page.numbers.line()}"))
    if page.totals is not None:
        blocks.append(context(f"Marketplace (operations view): {page.totals.line()}"))
    blocks += [divider(), section("*Awaiting your delivery*")]
    for card in page.awaiting_delivery:
        since = waiting_for_delivery_since(card.order)
        amount = money(card.order.amount, card.order.currency)
        detail = f" · {amount}\nwaiting {waited(since, page.now)}"
        blocks.append(deliver_line(card.order.order_no, card.product.name, detail))
    if not page.awaiting_delivery:
        blocks.append(context("Nothing waiting for you. :tada:"))
    blocks += _more(len(page.awaiting_delivery), counts[SupervisionState.AWAITING_DELIVERY])
    blocks += [divider(), section("*Drafts in progress*")]
    for line in page.drafts:
        order, draft = line.card.order, line.delivery
        who = "you" if draft.holder == page.user else f"<@{draft.holder}>"
        blocks.append(
            section(
                f"*{order.order_no}* · {line.card.product.name} · round {draft.round}\n"
                f"held by {who} · last change {slack_date(draft.updated_at, fallback_tz=page.tz)}",
                accessory=button("Continue", ActionId.DELIVER, order.order_no),
            )
        )
    if not page.drafts:
        blocks.append(context("No drafts."))
    blocks += _more(len(page.drafts), page.draft_count)
    blocks += [divider(), section("*Awaiting the customer's acceptance*")]
    for card in page.awaiting_acceptance:
        order = card.order
        blocks.append(
            section(
                f"*{order.order_no}* · {card.product.name} · round {order.round}\n"
                f"with the customer {waited(order.state_changed_at, page.now)}"
            )
        )
    if not page.awaiting_acceptance:
        blocks.append(context("None."))
    blocks += _more(len(page.awaiting_acceptance), counts[SupervisionState.AWAITING_ACCEPTANCE])
    blocks += [divider(), section("*Recently completed*")]
    for card in page.completed:
        order = card.order
        valid = (
            f"valid {format_local(order.validity_start, page.tz, with_time=False)} – "
            f"{format_local(order.validity_end, page.tz, with_time=False)}"
            if order.validity_start and order.validity_end
            else "validity not recorded"
        )
        blocks.append(section(f"*{order.order_no}* · {card.product.name} · {valid}"))
    if not page.completed:
        blocks.append(context("None yet."))
    blocks.append(
        context(f"Type `{COMMAND}` in any channel to list your orders, `{COMMAND} help` for more.")
    )
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [context("(more not shown)")]
    return {"type": "home", "blocks": blocks}


def _more(shown: int, total: int) -> list[dict[str, Any]]:
    if total <= shown:
        return []
    return [context(f"…and {total - shown} more. Use *Find order* or `{COMMAND} ORDER_NO`.")]


def build_find_order_modal() -> dict[str, Any]:

    return {
        "type": "modal",
        "callback_id": CallbackId.FIND_ORDER,
        "title": text("Find order", plain=True),
        "submit": text("Find", plain=True),
        "close": text("Cancel", plain=True),
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.FIND_ORDER_INPUT,
                "label": text("Order No.", plain=True),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": text("12345", plain=True),
                },
            }
        ],
    }


def build_order_modal(details: list[dict[str, Any]], order_no: str) -> dict[str, Any]:

    return {
        "type": "modal",
        "title": text(f"Order {order_no}"[:24], plain=True),
        "close": text("Close", plain=True),
        "blocks": details,
    }
