"""The delivery conversation as Block Kit: one builder per step message, the template modal,
and the short replies. Pure functions of what the domain hands them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.dates import format_local, zone
from bot.core.durations import describe_duration
from bot.core.ids import COMMAND, ActionId, BlockId
from bot.core.proof_kinds import PROOF_KINDS, kind_label
from bot.delivery.errors import still_fetching
from bot.orders.queries import OrderCard
from bot.orders.validity import compute_validity
from bot.orders.views import customer_line, order_fields, template_text
from bot.slack.blocks import (
    CONFIRM_TEXT_LIMIT,
    actions,
    button,
    confirm,
    context,
    divider,
    header,
    listing,
    section,
    text,
)
from storage.models import Delivery, ProofFile
from storage.rows import saved_id

Rendered = tuple[list[dict[str, Any]], str]
DELIVER_WARNING = "will be asked to accept it. You can't change the delivery after this."
FILES_SHOWN = 20  # two blocks each; a message holds at most 50


def validity_preview(card: OrderCard, enabling: datetime | None, tz: str) -> str:
    """The validity an enabling time gives, counted on the customer's calendar (as Accept
    counts it) and shown in the reader's zone `tz`."""
    duration = card.order.duration
    if enabling is None:
        return f"the {describe_duration(duration)} licence starts when the customer accepts"
    end = compute_validity(
        duration=duration, accepted_at=enabling, enabling_time=enabling, tz=zone(card.calendar)
    ).end
    start_text = format_local(enabling, tz, with_time=False)
    return f"valid {start_text} – {format_local(end, tz, with_time=False)}"


def enabling_summary(card: OrderCard, delivery: Delivery, tz: str) -> str:
    if not delivery.enabling_decided:
        return "_Not answered yet._"
    if delivery.enabling_time is None:
        return (
            "*Not stated* — the validity starts when the customer accepts: "
            f"{validity_preview(card, None, tz)}."
        )
    return (
        f"*{format_local(delivery.enabling_time, tz)}* → "
        f"{validity_preview(card, delivery.enabling_time, tz)}."
    )


def build_order_step(
    card: OrderCard, delivery: Delivery, *, reason: str | None, outcome: str | None, by: str | None
) -> Rendered:
    order = card.order
    blocks = [header(f"Delivering order {order.order_no} (round {delivery.round})")]
    if reason:
        blocks.append(
            section(
                f":leftwards_arrow_with_hook: *The customer asked for changes:*\n"
                f">{reason}\nThis round starts from your previous delivery."
            )
        )
    if outcome == "taken_over":
        blocks.append(
            section(
                f":arrow_right: <@{by}> took over this delivery. "
                "These messages are kept for the record."
            )
        )
    blocks += [
        order_fields(card),
        section(template_text(card)),
        context(
            "I save your draft at every step: you can stop and come back any time "
            f"with `{COMMAND} {order.order_no}`."
        ),
    ]
    return blocks, f"Delivering order {order.order_no}"


def build_enabling_step(
    card: OrderCard, delivery: Delivery, *, tz: str, now: datetime, locked: bool
) -> Rendered:
    intro = (
        "*1. Actual service enabling time* (optional)\n"
        "When was the customer's service actually switched on? Pick the date, or just type "
        "it here (“jan 1”, “yesterday”, “2026-01-01”, “1 janvier 2026”)."
    )
    blocks = [section(intro), section(enabling_summary(card, delivery, tz))]
    if not locked:
        picker: dict[str, Any] = {
            "type": "datepicker",
            "action_id": ActionId.ENABLING_DATE,
            "placeholder": text("Pick the date", plain=True),
        }
        if delivery.enabling_time:
            picker["initial_date"] = delivery.enabling_time.astimezone(zone(tz)).date().isoformat()
        blocks.append(
            actions(
                picker,
                button(
                    "Not stated — use the acceptance time",
                    ActionId.ENABLING_NOT_STATED,
                    str(delivery.id),
                ),
                block_id=f"{BlockId.ENABLING}:{delivery.id}",
            )
        )
        blocks.append(context(f"Times are in your time zone ({tz})."))
    return blocks, f"Enabling time of order {card.order.order_no}"


def _kind_option(kind: str, row_id: int) -> dict[str, Any]:
    return {"text": text(kind_label(kind).capitalize(), plain=True), "value": f"{row_id}:{kind}"}


def build_files_step(
    delivery: Delivery,
    files: list[ProofFile],
    *,
    required: tuple[str, ...],
    locked: bool,
    failed: Sequence[ProofFile] = (),
) -> Rendered:
    needed = ", ".join(kind_label(k) for k in required) or "nothing in particular"
    blocks = [
        section(
            "*2. Proof files*\nDrop the files here in our DM (drag them in, or use "
            f"the + button). Required for this product: {needed}."
        )
    ]
    if not files:
        blocks.append(context("No files yet."))
    for row in files[:FILES_SHOWN]:
        state = "" if row.sha256 else " _(fetching…)_"
        line = f":page_facing_up: *{row.name}* ({_size(row.size)}){state}"
        if locked:
            blocks.append(section(f"{line} · {kind_label(row.kind)}"))
            continue
        select = {
            "type": "static_select",
            "action_id": ActionId.FILE_KIND,
            "options": [_kind_option(k, saved_id(row)) for k in PROOF_KINDS],
            "initial_option": _kind_option(row.kind, saved_id(row)),
        }
        blocks.append(section(line))
        blocks.append(
            actions(
                select,
                button("Remove", ActionId.FILE_REMOVE, str(row.id)),
                block_id=f"delivery_file:{row.id}",
            )
        )
    if len(files) > FILES_SHOWN:
        blocks.append(context(f"…and {len(files) - FILES_SHOWN} more."))
    attached = {row.name for row in files}
    lost = [f"• *{row.name}*: {row.fetch_error}" for row in failed if row.name not in attached]
    if lost and not locked:
        heading = (
            ":warning: *Could not fetch from Slack* (drop the file here again to retry, "
            "or attach another copy):\n"
        )
        blocks.append(section((heading + "\n".join(lost))[:2900]))
    return blocks, "Proof files"


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


def answer_text(item: dict[str, Any], value: Any) -> str:
    if value in (None, "", []):
        return "_not answered_"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def build_template_step(card: OrderCard, delivery: Delivery, *, locked: bool) -> Rendered:
    template = card.product.delivery_template or []
    answers = delivery.template_answers or {}
    if not template:
        return [
            section("*3. Delivery template*\nThis product has no template to fill in.")
        ], "Template"
    lines = ["*3. Delivery template* (the acceptance criteria)"]
    for item in template:
        required = " _(required)_" if item.get("required", True) else ""
        lines.append(f"• {item['label']}{required}: {answer_text(item, answers.get(item['id']))}")
    blocks = [section("\n".join(lines))]
    if not locked:
        label = "Edit answers" if answers else "Fill in the template"
        blocks.append(actions(button(label, ActionId.OPEN_TEMPLATE, str(delivery.id))))
    return blocks, "Delivery template"


def deliver_question(card: OrderCard) -> str:
    """The Deliver confirmation names the customer when that fits in the dialog."""
    named = f"The customer ({customer_line(card)}) {DELIVER_WARNING}"
    return named if len(named) <= CONFIRM_TEXT_LIMIT else f"The customer {DELIVER_WARNING}"


def build_review_step(
    card: OrderCard,
    delivery: Delivery,
    files: list[ProofFile],
    missing: list[str],
    *,
    tz: str,
    now: datetime,
    outcome: str | None,
    by: str | None,
) -> Rendered:
    order_no = card.order.order_no
    if outcome == "submitted":
        done = f":white_check_mark: Delivered. Order {order_no} is now with the customer for acceptance."
        return [
            section(done)
        ], f"Delivered. Order {order_no} is now with the customer for acceptance."
    if outcome == "cancelled":
        gone = (
            f":wastebasket: <@{by}> cancelled this draft of order {order_no}. It stays in the "
            f"audit trail; `{COMMAND} {order_no}` starts a new one."
        )
        return [section(gone)], f"Draft of order {order_no} cancelled"
    if outcome == "taken_over":
        return [context(f"Now with <@{by}>.")], f"Order {order_no}: taken over"
    by_kind: dict[str, list[str]] = {}
    for row in files:
        by_kind.setdefault(kind_label(row.kind), []).append(row.name)
    file_lines = "\n".join(f"• {kind}: {', '.join(names)}" for kind, names in by_kind.items())
    answers = delivery.template_answers or {}
    answer_lines = "\n".join(
        f"• {item['label']}: {answer_text(item, answers.get(item['id']))}"
        for item in card.product.delivery_template or []
    )
    blocks = [
        divider(),
        section(
            f"*4. Review and deliver*\n*Enabling time:* {enabling_summary(card, delivery, tz)}\n"
            f"*Files:*\n{file_lines or '• none yet'}\n"
            f"*Template answers:*\n{answer_lines or '• this product has no template'}"
        ),
    ]
    if missing:
        blocks.append(section(":hourglass: *Still required:* " + ", ".join(missing)))
    fetching = [row.name for row in files if row.sha256 is None]
    if fetching:
        blocks.append(section(":hourglass_flowing_sand: " + still_fetching(fetching)))
    if missing or fetching:
        waiting = missing + [f"the download of {name} from Slack" for name in fetching]
        intro = "Still required before you can deliver:\n• "
        ask = confirm(
            "Not ready yet",
            intro + listing(waiting, limit=CONFIRM_TEXT_LIMIT - len(intro), separator="\n• "),
            ok="OK",
            deny="Back",
        )
    else:
        ask = confirm(f"Deliver order {order_no}?", deliver_question(card), ok="OK")
    blocks.append(
        actions(
            button("Deliver", ActionId.SUBMIT, str(delivery.id), style="primary", confirm=ask),
            button("Edit template answers", ActionId.OPEN_TEMPLATE, str(delivery.id)),
            button(
                "Cancel draft",
                ActionId.CANCEL_DRAFT,
                order_no,
                style="danger",
                confirm=confirm(
                    "Cancel this draft?",
                    "Your answers and files are set aside (the audit trail keeps them).",
                    ok="Cancel draft",
                    deny="Keep it",
                ),
            ),
        )
    )
    return blocks, f"Review the delivery of order {order_no}"
