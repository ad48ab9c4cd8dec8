"""The operations case message and the notices around it (opened, not posted, decided,
overdue), as Block Kit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.dates import slack_date
from bot.core.ids import ActionId
from bot.core.proof_kinds import kind_label
from bot.slack.blocks import (
    actions,
    button,
    confirm,
    context,
    divider,
    fields,
    header,
    mention,
    section,
)
from bot.supervision.appeal_terms import (
    DECISION_DAYS,
)
from storage.models import Appeal, AppealState, AuditEvent, Order, ProofFile

Blocks = list[dict[str, Any]]
STATE_WORDS = {
    AppealState.COMPLETED: "Order completed by operations",
    AppealState.RETURNED: "Returned to the seller",
    AppealState.REJECTED: "Appeal rejected",
}


def build_case(
    *,
    appeal: Appeal,
    order: Order,
    sellers: list[str],
    files: list[ProofFile],
    attachments: list[dict[str, str]],
    timeline: list[AuditEvent],
    reasons: dict[str, str],
) -> tuple[str, Blocks]:
    """The full case in the operations channel; once decided, the decision replaces the buttons."""
    blocks: Blocks = [
        header(f"Appeal: order {order.order_no}"),
        fields(
            ("Appealed by", f"{mention(appeal.by_user)} ({appeal.by_role})"),
            ("Reason", reasons.get(appeal.reason_kind, appeal.reason_kind)),
            ("Order", f"{order.order_no} · {order.amount:,.2f} {order.currency}"),
            (
                "State",
                f"{order.state.value.replace('_', ' ')} · round {order.round} · "
                f"{order.rejected_rounds} rejected",
            ),
            ("Sellers", ", ".join(mention(s) for s in sellers) or "none"),
            (
                "Customer",
                " · ".join(
                    p
                    for p in (
                        order.customer_name,
                        order.customer_email,
                        mention(order.customer_user_id) if order.customer_user_id else None,
                    )
                    if p
                ),
            ),
        ),
        section(f"*Details*\n{appeal.details}"),
    ]
    if appeal.letter_of_commitment:
        blocks.append(section(f"*Letter of commitment*\n{appeal.letter_of_commitment}"))
    proof = [
        f"• {f.name} ({kind_label(f.kind)}, sha256 {(f.sha256 or '?')[:12]})" for f in files
    ] + [
        f"• <{a['url']}|{a['name']}> (added to the appeal)"
        if a.get("url")
        else f"• {a['name']} (added to the appeal)"
        for a in attachments
    ]
    blocks.append(section("*Proof*\n" + ("\n".join(proof) or "none attached")))
    steps = [
        f"{slack_date(e.at)} · {e.kind.replace('_', ' ')} · {mention(e.actor) if e.actor.startswith(('U', 'W')) else e.actor}"
        for e in timeline
    ]
    blocks += [section("*Timeline*\n" + "\n".join(steps)), divider()]
    if appeal.state is AppealState.OPEN:
        value = str(appeal.id)
        blocks.append(
            actions(
                button(
                    "Complete the order",
                    ActionId.OPS_COMPLETE,
                    value,
                    style="primary",
                    confirm=confirm(
                        "Complete the order?",
                        f"Order {order.order_no} becomes "
                        "Completed now; its validity starts from this decision "
                        "unless the seller stated an enabling time.",
                    ),
                ),
                button("Return to seller", ActionId.OPS_RETURN, value),
                button("Reject appeal", ActionId.OPS_REJECT, value, style="danger"),
                button("Evidence pack", ActionId.EVIDENCE_PACK, value),
            )
        )
        blocks.append(
            context(
                f"Opened {slack_date(appeal.created_at)}. Decide within {DECISION_DAYS} working days."
            )
        )
    elif appeal.state is AppealState.CLOSED:
        assert appeal.decided_at is not None
        blocks.append(
            section(
                f":information_source: {appeal.decision_reason} on "
                f"{slack_date(appeal.decided_at)}; nothing left to decide."
            )
        )
    else:
        assert appeal.decided_by is not None and appeal.decided_at is not None
        reason = f": {appeal.decision_reason}" if appeal.decision_reason else ""
        blocks.append(
            section(
                f":white_check_mark: *{STATE_WORDS[appeal.state]}* by "
                f"{mention(appeal.decided_by)} on {slack_date(appeal.decided_at)}{reason}"
            )
        )
    return f"Appeal on order {order.order_no}", blocks


def build_opened_notice(*, order_no: str, days: int) -> tuple[str, Blocks]:
    body = (
        f":scales: Your appeal on order *{order_no}* is with the marketplace's operations team. "
        f"They decide within {days} working days; I'll tell you what they decide."
    )
    return f"Appeal on order {order_no} sent", [section(body)]


def build_case_not_posted(*, order_no: str, error: str) -> tuple[str, Blocks]:
    body = (
        f":warning: I could not post your appeal on order *{order_no}* to the operations "
        f"channel (Slack said `{error}`), so operations do not have it yet. Please ask your "
        "Slack admin to invite me to that channel, then initiate the appeal again: I'll send the "
        "same case."
    )
    return f"Appeal on order {order_no} not delivered", [section(body)]


def build_decided_notice(*, appeal: Appeal, order: Order) -> tuple[str, Blocks]:
    outcome = {
        AppealState.COMPLETED: "completed the order"
        + (
            f": the licence is valid {slack_date(order.validity_start, with_time=False)} – "
            f"{slack_date(order.validity_end, with_time=False)}"
            if order.validity_start and order.validity_end
            else ""
        ),
        AppealState.RETURNED: "returned the order to the seller for a new delivery",
        AppealState.REJECTED: "rejected the appeal; the order stays where it was",
    }[appeal.state]
    reason = f"\n>{appeal.decision_reason}" if appeal.decision_reason else ""
    body = f":scales: Operations decided the appeal on order *{order.order_no}*: they {outcome}.{reason}"
    return f"Appeal on order {order.order_no} decided", [section(body)]


def build_overdue(*, order_no: str, since: datetime, days: int) -> tuple[str, Blocks]:
    body = (
        f":warning: The appeal on order *{order_no}* has waited more than {days} working days "
        f"(since {slack_date(since)}). Please decide it."
    )
    return f"Appeal on order {order_no} is overdue", [section(body)]
