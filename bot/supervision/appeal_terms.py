"""The vocabulary of appeals: reasons, decisions, the appellant's form, and the errors (in
words the person can act on). Shared by the domain, the views and the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.core.dates import slack_date
from bot.core.errors import DeliverybotError
from storage.models import AppealState

# DOMAIN.md: a customer may appeal after this many rejected rounds, or when the seller has not
# delivered again for longer than SELLER_SILENCE; operations decide within DECISION_DAYS.
CUSTOMER_MAY_APPEAL_AFTER_ROUNDS = 3
SELLER_SILENCE = timedelta(days=5)
DECISION_DAYS = 3  # working days

SELLER_REASONS = {
    "unreachable": "Customer unreachable",
    "unresponsive": "Customer unresponsive",
    "dispute": "Dispute",
    "other": "Other",
}
CUSTOMER_REASONS = {
    "rejected_rounds": "Deliveries keep missing the criteria",
    "seller_inactive": "Seller not acting",
    "dispute": "Dispute",
    "other": "Other",
}
REASONS = SELLER_REASONS | CUSTOMER_REASONS


class Decision(StrEnum):
    COMPLETE = "complete"
    RETURN = "return"
    REJECT = "reject"


DECISION_WORDS = {
    Decision.COMPLETE: "Complete the order",
    Decision.RETURN: "Return to seller",
    Decision.REJECT: "Reject appeal",
}


@dataclass(frozen=True)
class AppealForm:
    """What the appellant filled in (parsed from the modal)."""

    reason_kind: str
    details: str
    letter: str | None = None
    file_ids: list[int] = field(default_factory=list)  # proof files of the delivery
    attachments: list[dict[str, str]] = field(default_factory=list)  # files added in the modal


class AppealNotAllowed(DeliverybotError):
    def __init__(self, order_no: str, why: str):
        self.order_no = order_no
        super().__init__(f"Order {order_no} can't be appealed now: {why}.")


class AppealAlreadyOpen(DeliverybotError):
    def __init__(self, order_no: str):
        self.order_no = order_no
        super().__init__(
            f"An appeal on order {order_no} is already with operations. "
            "They will decide it; you'll hear from me when they do."
        )


class AppealAlreadyDecided(DeliverybotError):
    def __init__(self, order_no: str, appeal: Any):
        self.order_no = order_no
        if appeal is not None and appeal.state is AppealState.CLOSED:
            super().__init__(
                f"Nothing left to decide on order {order_no}. "
                f"{appeal.decision_reason} on {slack_date(appeal.decided_at)}, so "
                "the appeal was closed. Nothing was changed by your click."
            )
            return
        who = f" by <@{appeal.decided_by}>" if appeal is not None and appeal.decided_by else ""
        state = appeal.state.value if appeal is not None else "closed"
        super().__init__(f"The appeal on order {order_no} was already decided{who} ({state}).")


class NotOpsStaff(DeliverybotError):
    def __init__(self) -> None:
        super().__init__(
            "Only the marketplace's operations staff can decide appeals. "
            "Nothing was changed by your click."
        )


class ReasonRequired(DeliverybotError):
    def __init__(self) -> None:
        super().__init__("Please give a reason: both sides will read it.")


class AppealsNotSetUp(DeliverybotError):
    def __init__(self) -> None:
        super().__init__(
            "Appeals are not set up here yet (no operations channel is configured). "
            "Please ask your Slack admin to set DELIVERYBOT_OPS_CHANNEL."
        )
