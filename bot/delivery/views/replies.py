"""Short replies of the delivery conversation: pointers, take-over, date echoes, questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.dates import format_local
from bot.core.ids import COMMAND, ActionId
from bot.delivery.views.steps import validity_preview
from bot.orders.queries import OrderCard
from bot.slack.blocks import actions, button, confirm, section
from storage.models import Delivery

Rendered = tuple[list[dict[str, Any]], str]
ECHO_LIMIT = 40  # characters of what the seller typed that a reply quotes back


@dataclass(frozen=True)
class Reading:
    """How a typed date was understood."""

    value: datetime  # the reading taken (before the placement-day rule)
    order: str | None = None  # "month first" / "day first" for an ambiguous date
    other: datetime | None = None  # the other reading
    other_refused: str | None = None  # why the other reading can't be the enabling time


def build_taken_over_notice(card: OrderCard, new_holder: str) -> Rendered:
    no = card.order.order_no
    message = (
        f":arrow_right: <@{new_holder}> took over your delivery of order {no}. "
        "The draft went with them; nothing was lost."
    )
    return [section(message)], message


def build_cancelled_notice(card: OrderCard, by: str) -> Rendered:
    no = card.order.order_no
    message = (
        f":wastebasket: <@{by}> cancelled your delivery draft of order {no}. The audit trail "
        f"keeps it; `{COMMAND} {no}` starts a new one."
    )
    return [section(message)], message


def build_cancelled(order_no: str, *, holder: str, by: str) -> Rendered:
    """The reply to whoever cancelled a draft (theirs, or a teammate's)."""
    whose = "the" if holder == by else f"<@{holder}>'s"
    told = "" if holder == by else " They have been told."
    message = (
        f"Discarded {whose} delivery draft of order {order_no}.{told} The audit trail keeps it."
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


def build_note(message: str) -> Rendered:
    return [section(message)], message


PLACEMENT_NOTE = " The order was placed that day, so I took the moment it was placed."


def echo(typed: str) -> str:
    """What the seller typed, as a reply quotes it: on one line, at most ECHO_LIMIT characters
    (a pasted page is not sent back)."""
    line = " ".join(typed.split())
    return line if len(line) <= ECHO_LIMIT else line[: ECHO_LIMIT - 1].rstrip() + "…"


def build_date_echo(
    card: OrderCard, delivery: Delivery, typed: str, reading: Reading, *, kept: datetime, tz: str
) -> Rendered:
    """How a typed date was understood: the reading taken and the validity it gives; for an
    ambiguous date, which reading that is and the other one (a button when it is possible)."""
    no = card.order.order_no
    shown = format_local(kept, tz)
    validity = validity_preview(card, kept, tz)
    note = PLACEMENT_NOTE if kept != reading.value else ""
    if reading.order is None:
        message = f"Order {no} · got it: “{echo(typed)}” → *{shown}* ({validity}).{note}"
        return [section(message)], message
    assert reading.other is not None  # an ambiguous date has both readings
    other = format_local(reading.other, tz)
    other_order = "day first" if reading.order == "month first" else "month first"
    message = (
        f"Order {no} · got it: “{echo(typed)}” → *{shown}*, reading it {reading.order} "
        f"({validity}).{note}"
    )
    if reading.other_refused:
        message += f" Read {other_order} it would be {other}, {reading.other_refused}."
        return [section(message)], message
    blocks = [
        section(f"{message} Did you mean *{other}* ({other_order})?"),
        actions(
            button(
                f"Use {other}", ActionId.ENABLING_USE, f"{delivery.id}|{reading.other.isoformat()}"
            )
        ),
    ]
    return blocks, f"Order {no}: enabling time {shown}"


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
