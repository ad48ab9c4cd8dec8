"""The steps of the delivery message as Block Kit: each step in full (its inputs) or as a
one-line summary, and the review at the bottom. Pure functions of what the domain hands them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.dates import format_local, zone
from bot.core.durations import describe_duration
from bot.core.ids import COMMAND, ActionId, BlockId, DeliveryStep
from bot.core.proof_kinds import PROOF_KINDS, kind_label
from bot.delivery.errors import still_fetching
from bot.orders.queries import OrderCard
from bot.orders.validity import compute_validity
from bot.orders.views import customer_line
from bot.slack.blocks import (
    CONFIRM_TEXT_LIMIT,
    SECTION_LIMIT,
    actions,
    button,
    confirm,
    context,
    divider,
    listing,
    section,
    shorten,
    text,
)
from storage.models import Delivery, ProofFile
from storage.rows import saved_id

Block = dict[str, Any]
DELIVER_WARNING = "will be asked to accept it. You can't change the delivery after this."
# two blocks each: with every other part of the message at its largest, 15 keep it under
# Slack's 50 blocks (tests/slack/test_block_limits.py builds that message)
FILES_SHOWN = 15
DONE = ":white_check_mark:"


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


def _change(label: str, delivery: Delivery, step: DeliveryStep) -> Block:
    return button(label, ActionId.CHANGE_STEP, f"{delivery.id}|{step}")


def _summary(done: bool, line: str, accessory: Block | None) -> Block:
    mark = f"{DONE} " if done else ""
    return section(f"{mark}{line}"[:SECTION_LIMIT], accessory=accessory)


# -- 1. the enabling time ---------------------------------------------------------------------
def enabling_full(card: OrderCard, delivery: Delivery, *, tz: str) -> list[Block]:
    intro = (
        "*1. Actual service enabling time* (optional)\n"
        "When was the customer's service actually switched on? Pick the date, or just type "
        "it here (“jan 1”, “yesterday”, “2026-01-01”, “1 janvier 2026”)."
    )
    picker: Block = {
        "type": "datepicker",
        "action_id": ActionId.ENABLING_DATE,
        "placeholder": text("Pick the date", plain=True),
    }
    if delivery.enabling_time:
        picker["initial_date"] = delivery.enabling_time.astimezone(zone(tz)).date().isoformat()
    return [
        section(intro),
        section(enabling_summary(card, delivery, tz)),
        actions(
            picker,
            button(
                "Not stated — use the acceptance time",
                ActionId.ENABLING_NOT_STATED,
                str(delivery.id),
            ),
            block_id=f"{BlockId.ENABLING}:{delivery.id}",
        ),
        context(f"Times are in your time zone ({tz})."),
    ]


def enabling_line(card: OrderCard, delivery: Delivery, *, tz: str, live: bool) -> Block:
    change = _change("Change", delivery, DeliveryStep.ENABLING) if live else None
    summary = enabling_summary(card, delivery, tz)
    return _summary(delivery.enabling_decided, f"*1. Enabling time:* {summary}", change)


# -- 2. proof files ---------------------------------------------------------------------------
def _kind_option(kind: str, row_id: int) -> Block:
    return {"text": text(kind_label(kind).capitalize(), plain=True), "value": f"{row_id}:{kind}"}


def files_full(
    delivery: Delivery,
    files: Sequence[ProofFile],
    *,
    required: tuple[str, ...],
    failed: Sequence[ProofFile] = (),
) -> list[Block]:
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
        select = {
            "type": "static_select",
            "action_id": ActionId.FILE_KIND,
            "options": [_kind_option(k, saved_id(row)) for k in PROOF_KINDS],
            "initial_option": _kind_option(row.kind, saved_id(row)),
        }
        blocks.append(section(f":page_facing_up: *{row.name}* ({_size(row.size)}){state}"))
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
    if lost:
        heading = (
            ":warning: *Could not fetch from Slack* (drop the file here again to retry, "
            "or attach another copy):\n"
        )
        blocks.append(section((heading + "\n".join(lost))[:2900]))
    return blocks


def files_line(delivery: Delivery, files: Sequence[ProofFile], *, done: bool, live: bool) -> Block:
    by_kind: dict[str, list[str]] = {}
    for row in files:
        by_kind.setdefault(kind_label(row.kind), []).append(row.name)
    groups = [f"{kind}: {', '.join(names)}" for kind, names in by_kind.items()]
    shown = listing(groups, limit=SECTION_LIMIT - 100, separator=" · ") if groups else "none yet"
    change = _change("Manage files", delivery, DeliveryStep.FILES) if live else None
    return _summary(done, f"*2. Proof files:* {shown}", change)


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


# -- 3. the delivery template -----------------------------------------------------------------
def answer_text(value: Any) -> str:
    if value in (None, "", []):
        return "_not answered_"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _template_button(delivery: Delivery) -> Block:
    label = "Edit answers" if delivery.template_answers else "Fill in the template"
    return button(label, ActionId.OPEN_TEMPLATE, str(delivery.id))


def template_full(card: OrderCard, delivery: Delivery) -> list[Block]:
    answers = delivery.template_answers or {}
    lines = ["*3. Delivery template* (the acceptance criteria)"]
    for item in card.product.delivery_template or []:
        options = f" ({', '.join(item['options'])})" if item.get("options") else ""
        required = " _(required)_" if item.get("required", True) else ""
        answer = answer_text(answers.get(item["id"]))
        lines.append(f"• {item['label']}{options}{required}: {answer}")
    return [section(shorten("\n".join(lines), SECTION_LIMIT)), actions(_template_button(delivery))]


def template_line(card: OrderCard, delivery: Delivery, *, done: bool, live: bool) -> Block:
    template = card.product.delivery_template or []
    if not template:
        return _summary(True, "*3. Delivery template:* this product has none to fill in.", None)
    answers = delivery.template_answers or {}
    shown = listing(
        [f"{item['label']}: {answer_text(answers.get(item['id']))}" for item in template],
        limit=SECTION_LIMIT - 100,
        separator=" · ",
    )
    return _summary(
        done, f"*3. Delivery template:* {shown}", _template_button(delivery) if live else None
    )


# -- 4. review and deliver --------------------------------------------------------------------
def deliver_question(card: OrderCard) -> str:
    """The Deliver confirmation names the customer when that fits in the dialog."""
    named = f"The customer ({customer_line(card)}) {DELIVER_WARNING}"
    return named if len(named) <= CONFIRM_TEXT_LIMIT else f"The customer {DELIVER_WARNING}"


def review(
    card: OrderCard, delivery: Delivery, files: Sequence[ProofFile], missing: list[str]
) -> list[Block]:
    """What still stands between the draft and Deliver, and the buttons."""
    order_no = card.order.order_no
    fetching = [row.name for row in files if row.sha256 is None]
    blocks = [divider()]
    heading = "*4. Review and deliver*\n"
    if missing:
        still = listing(missing, limit=SECTION_LIMIT - 100)
        blocks.append(section(f"{heading}:hourglass: *Still required:* {still}"))
    else:
        blocks.append(section(f"{heading}All set: check the summary above, then Deliver."))
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
    blocks.append(
        context(
            "I save your draft at every step: you can stop and come back any time "
            f"with `{COMMAND} {order_no}`."
        )
    )
    return blocks
