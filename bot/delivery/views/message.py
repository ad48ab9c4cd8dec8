"""The seller's delivery message: one message for the whole delivery, updated in place.

It shows every step still open in full (its inputs), so the seller may answer them in any
order, as a DM conversation allows (drop files before choosing a date); a step that is done
shrinks to a one-line summary with a button to change it. Once the draft is submitted,
cancelled or taken over, the inputs go and a line says how it ended; the summaries stay as
the record of what was delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.ids import COMMAND, DeliveryStep
from bot.delivery.views import steps
from bot.orders.queries import OrderCard
from bot.orders.views import order_fields
from bot.slack.blocks import header, section
from storage.models import Delivery, ProofFile

Rendered = tuple[list[dict[str, Any]], str]


@dataclass(frozen=True)
class Shown:
    """What the delivery message shows: the draft and what was read about it."""

    card: OrderCard
    delivery: Delivery
    files: list[ProofFile]  # on the draft
    failed: list[ProofFile]  # that could not be fetched from Slack
    required: tuple[str, ...]  # proof kinds
    missing_kinds: list[str]  # required proof not attached yet, in words
    missing_fields: list[str]  # required template fields not answered yet
    reason: str | None  # the customer's reason for changes, in the round before
    tz: str  # the reader's
    outcome: str | None = None  # "submitted", "cancelled", "taken_over": nothing left to do
    by: str | None = None  # who ended it


def done_steps(shown: Shown) -> set[DeliveryStep]:
    done = set()
    if shown.delivery.enabling_decided:
        done.add(DeliveryStep.ENABLING)
    if not shown.missing_kinds and all(row.sha256 for row in shown.files):
        done.add(DeliveryStep.FILES)
    if not shown.missing_fields:
        done.add(DeliveryStep.TEMPLATE)
    return done


def in_full(shown: Shown) -> set[DeliveryStep]:
    """The steps shown with their inputs: the open ones, and the one the seller asked to
    change (`Delivery.step`; the template's summary opens its form directly)."""
    if shown.outcome is not None:
        return set()
    full = set(DeliveryStep) - done_steps(shown)
    asked = shown.delivery.step
    if asked in (DeliveryStep.ENABLING, DeliveryStep.FILES):
        full.add(DeliveryStep(asked))
    return full


def build_delivery_message(shown: Shown) -> Rendered:
    card, delivery = shown.card, shown.delivery
    no = card.order.order_no
    blocks = [header(f"Delivering order {no} (round {delivery.round})")]
    ending, text = _ending(shown)
    if ending:
        blocks.append(section(ending))
    if shown.reason:
        blocks.append(
            section(
                f":leftwards_arrow_with_hook: *The customer asked for changes:*\n"
                f">{shown.reason}\nThis round starts from your previous delivery."
            )
        )
    blocks.append(order_fields(card))
    blocks += _steps(shown)
    if shown.outcome is None:
        missing = shown.missing_kinds + shown.missing_fields
        blocks += steps.review(card, delivery, shown.files, missing)
    return blocks, text


def _steps(shown: Shown) -> list[dict[str, Any]]:
    card, delivery, tz = shown.card, shown.delivery, shown.tz
    live = shown.outcome is None
    full, done = in_full(shown), done_steps(shown)
    blocks: list[dict[str, Any]] = []
    if DeliveryStep.ENABLING in full:
        blocks += steps.enabling_full(card, delivery, tz=tz)
    else:
        blocks.append(steps.enabling_line(card, delivery, tz=tz, live=live))
    if DeliveryStep.FILES in full:
        blocks += steps.files_full(
            delivery, shown.files, required=shown.required, failed=shown.failed
        )
    else:
        blocks.append(
            steps.files_line(delivery, shown.files, done=DeliveryStep.FILES in done, live=live)
        )
    if DeliveryStep.TEMPLATE in full:
        blocks += steps.template_full(card, delivery)
    else:
        blocks.append(
            steps.template_line(card, delivery, done=DeliveryStep.TEMPLATE in done, live=live)
        )
    return blocks


def _ending(shown: Shown) -> tuple[str | None, str]:
    """How the delivery ended (none while it is open), and the message's notification text."""
    no = shown.card.order.order_no
    match shown.outcome:
        case "submitted":
            done = f"Delivered. Order {no} is now with the customer for acceptance."
            return f":white_check_mark: {done}", done
        case "cancelled":
            return (
                f":wastebasket: <@{shown.by}> cancelled this draft of order {no}. It stays in "
                f"the audit trail; `{COMMAND} {no}` starts a new one."
            ), f"Draft of order {no} cancelled"
        case "taken_over":
            return (
                f":arrow_right: <@{shown.by}> took over this delivery; it continues in their "
                "DM. This message is kept for the record."
            ), f"Order {no}: taken over"
    return None, f"Delivering order {no}"
