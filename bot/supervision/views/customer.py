"""What the customer sees: the delivery to accept, how it ended, and the Request-changes modal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.dates import slack_date
from bot.core.durations import describe_duration
from bot.core.ids import ActionId, BlockId, CallbackId
from bot.core.proof_kinds import kind_label
from bot.orders.validity import Validity
from bot.slack.blocks import (
    CONFIRM_TEXT_LIMIT,
    actions,
    button,
    confirm,
    context,
    divider,
    fields,
    header,
    mention,
    section,
    text,
)
from storage.models import Delivery, Order, Product, ProofFile
from storage.rows import saved_id

REASON_INPUT = "reason"


@dataclass(frozen=True)
class CustomerDelivery:
    """One delivery round as the customer sees it."""

    order: Order
    product: Product
    delivery: Delivery
    files: list[ProofFile]
    validity: Validity  # fixed if the enabling time is stated, else a preview for "accepted now"
    tz: str | None = None  # the customer's zone, for text where Slack cannot localise


def button_value(order_no: str, delivery_id: int) -> str:
    return f"{order_no}|{delivery_id}"


def parse_button_value(value: str) -> tuple[str, int]:
    order_no, _, delivery_id = value.rpartition("|")
    return order_no, int(delivery_id)


def granted_validity(order: Order) -> Validity:
    """The validity an accepted or completed order was given (both ends are set then)."""
    if order.validity_start is None or order.validity_end is None:
        raise ValueError(f"order {order.order_no} has no validity yet")
    return Validity(order.validity_start, order.validity_end)


def period(validity: Validity, tz: str | None) -> str:
    start = slack_date(validity.start, fallback_tz=tz, with_time=False)
    end = slack_date(validity.end, fallback_tz=tz, with_time=False)
    return f"{start} – {end}"


def validity_line(item: CustomerDelivery) -> str:
    if item.delivery.enabling_time:
        return (
            f"*Your licence is valid {period(item.validity, item.tz)}* "
            "(from the service enabling time the seller stated)."
        )
    return (
        f"*If you accept now, your licence is valid {period(item.validity, item.tz)}* "
        f"({describe_duration(item.order.duration)} from the moment you accept)."
    )


def answers_text(product: Product, answers: dict[str, Any]) -> str:
    lines = ["*What was delivered*"]
    for field in product.delivery_template or []:
        value = answers.get(field["id"])
        if value in (None, "", []):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        lines.append(f"• {field['label']}: {shown}")
    return "\n".join(lines) if len(lines) > 1 else "*What was delivered*\nNo details were given."


def accept_question(item: CustomerDelivery) -> str:
    """The Accept confirmation: the validity always, the order number when it fits."""
    validity = validity_line(item).replace("*", "")
    named = f"Order {item.order.order_no} will be completed. {validity}"
    return named if len(named) <= CONFIRM_TEXT_LIMIT else f"The order will be completed. {validity}"


def files_text(files: list[ProofFile]) -> str:
    if not files:
        return "*Proof*\nNo files were attached."
    lines = ["*Proof* (the files follow this message)"]
    lines += [f"• {f.name} — {kind_label(f.kind).capitalize()}" for f in files]
    return "\n".join(lines)


def build_customer_delivery(item: CustomerDelivery, *, outcome: list[dict] | None = None) -> list:
    """The delivery with Accept / Request changes, or with `outcome` in place of the buttons."""
    order, delivery = item.order, item.delivery
    enabling = (
        slack_date(delivery.enabling_time, fallback_tz=item.tz)
        if delivery.enabling_time
        else "Not stated: the licence starts when you accept"
    )
    blocks = [
        header(f"Delivery of order {order.order_no}"),
        section(
            f"{mention(delivery.holder)} delivered *{item.product.name}* for your order "
            f"*{order.order_no}* and asks you to accept it."
        ),
        fields(
            ("Order", order.order_no),
            ("Product", item.product.name),
            ("Purchased", describe_duration(order.duration)),
            ("Service enabling time", enabling),
            ("Delivery round", round_text(delivery.round, order.rejected_rounds)),
        ),
        section(answers_text(item.product, delivery.template_answers or {})),
        section(files_text(item.files)),
        divider(),
        section(validity_line(item)),
    ]
    if outcome is not None:
        return blocks + outcome
    return blocks + [
        actions(
            button(
                "Accept",
                ActionId.ACCEPT,
                button_value(order.order_no, saved_id(delivery)),
                style="primary",
                confirm=confirm("Accept this delivery?", accept_question(item)),
            ),
            button(
                "Request changes",
                ActionId.REQUEST_CHANGES,
                button_value(order.order_no, saved_id(delivery)),
            ),
            block_id=BlockId.CUSTOMER_ACTIONS,
        )
    ]


def round_text(round_no: int, rejected: int) -> str:
    if not rejected:
        return f"{round_no}"
    return f"{round_no} (you asked for changes {rejected} time{'s' if rejected != 1 else ''})"


def accepted_outcome(
    order: Order, accepted_at: datetime, tz: str | None, *, how: str = "Accepted by you"
) -> list[dict]:
    validity = granted_validity(order)
    return [
        context(
            f":white_check_mark: {how} on {slack_date(accepted_at, fallback_tz=tz)} "
            f"· licence valid {period(validity, tz)}"
        )
    ]


def returned_outcome(delivery: Delivery, at: datetime, reason: str, tz: str | None) -> list[dict]:
    """Operations sent the order back to the seller while this delivery waited for the customer."""
    return [
        context(
            f":scales: Operations returned this delivery to the seller on "
            f"{slack_date(at, fallback_tz=tz)}: “{reason}”. {mention(delivery.holder)} "
            "will send a new delivery."
        )
    ]


def changes_outcome(order: Order, delivery: Delivery, at: datetime, tz: str | None) -> list[dict]:
    return [
        context(
            f":leftwards_arrow_with_hook: You asked for changes on "
            f"{slack_date(at, fallback_tz=tz)}: “{delivery.changes_reason}”. "
            f"{mention(delivery.holder)} will send a new delivery "
            f"(this was round {delivery.round}; changes asked {order.rejected_rounds} "
            f"time{'s' if order.rejected_rounds != 1 else ''})."
        )
    ]


def build_changes_modal(order_no: str, delivery_id: int, round_no: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.REQUEST_CHANGES,
        "private_metadata": button_value(order_no, delivery_id),
        "title": text("Request changes", plain=True),
        "submit": text("Send to seller", plain=True),
        "close": text("Cancel", plain=True),
        "blocks": [
            section(
                f"Tell the seller what is missing or wrong in delivery round {round_no} "
                f"of order *{order_no}*. They will deliver again."
            ),
            {
                "type": "input",
                "block_id": BlockId.CHANGES_REASON,
                "label": text("What needs to change?", plain=True),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "min_length": 1,
                    "max_length": 2000,
                },
            },
        ],
    }


def parse_changes_modal(view: dict[str, Any]) -> tuple[str, int, str]:
    order_no, delivery_id = parse_button_value(view.get("private_metadata", ""))
    values = view.get("state", {}).get("values", {})
    reason = values.get(BlockId.CHANGES_REASON, {}).get(REASON_INPUT, {}).get("value") or ""
    return order_no, delivery_id, reason.strip()
