"""Short replies of the delivery conversation: pointers, take-over, date echoes, questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.ids import COMMAND, ActionId
from bot.orders import OrderCard
from bot.views.blocks import actions, button, confirm, section

Rendered = tuple[list[dict[str, Any]], str]


def build_taken_over_notice(card: OrderCard, new_holder: str) -> Rendered:
    no = card.order.order_no
    message = (
        f":arrow_right: <@{new_holder}> took over your delivery of order {no}. "
        "The draft went with them; nothing was lost."
    )
    return [section(message)], message


def build_pointer(order_no: str, *, resumed: bool) -> list[dict[str, Any]]:
    verb = "Picking up where you left off with" if resumed else "Let's deliver"
    return [section(f"{verb} order {order_no} in our DM (my *Messages* tab). :point_left:")]


def build_held_by(error_text: str, delivery_id: int) -> list[dict[str, Any]]:
    return [
        section(f":lock: {error_text}"),
        actions(
            button(
                "Take over",
                ActionId.TAKE_OVER,
                str(delivery_id),
                confirm=confirm(
                    "Take over this delivery?",
                    "The teammate holding it will be told.",
                    ok="Take over",
                ),
            )
        ),
    ]


def build_date_echo(
    order_no: str,
    typed: str,
    reading: str,
    validity: str,
    *,
    alternative: datetime | None,
    alternative_text: str | None,
    delivery_id: int,
    note: str = "",
) -> Rendered:
    blocks = [section(f"Order {order_no} · got it: “{typed}” → *{reading}* ({validity}).{note}")]
    if alternative is not None:
        blocks[0] = section(
            f"Order {order_no} · got it: “{typed}” → *{reading}*, reading it month first "
            f"({validity}). Did you mean *{alternative_text}* (day first)?"
        )
        blocks.append(
            actions(
                button(
                    f"Use {alternative_text}",
                    ActionId.ENABLING_USE,
                    f"{delivery_id}|{alternative.isoformat()}",
                )
            )
        )
    return blocks, f"Order {order_no}: enabling time {reading}"


def build_which_delivery(file_name: str, file_id: str, order_nos: list[str]) -> Rendered:
    if not order_nos:
        message = (
            f"I got *{file_name}*, but no delivery is open and no order is waiting for "
            f"yours. Type `{COMMAND}` to see your orders."
        )
        return [section(message)], message
    blocks = [
        section(f"I got *{file_name}*. Which delivery does it belong to?"),
        actions(
            *[
                button(f"Order {no}", ActionId.FILE_ATTACH, f"{no}|{file_id}")
                for no in order_nos[:5]
            ]
        ),
    ]
    return blocks, f"Which delivery does {file_name} belong to?"
