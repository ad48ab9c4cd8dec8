"""What each listener reads from its payload, typed: our buttons' values and our modals' inputs,
in the formats the views build them (`bot.delivery.views`, `bot.orders.views`,
`bot.supervision.views.customer`, `bot.home.views`). A value that is not in its format (`abc|def`
where a delivery id belongs) makes the payload malformed, refused by `handlers.boundary`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from bot.core.ids import BlockId
from bot.core.proof_kinds import PROOF_KINDS
from bot.slack.inbound.payloads import (
    Action,
    Click,
    DateText,
    DmMessage,
    Element,
    EventCallback,
    FileId,
    FileShared,
    HomeOpened,
    OpeningClick,
    OrderNo,
    Payload,
    RowId,
    State,
    Submission,
    View,
    after_prefix,
    parts,
)
from bot.supervision.views.customer import REASON_INPUT


def _proof_kind(kind: str) -> str:
    if kind not in PROOF_KINDS:
        raise ValueError(f"not a proof kind: use one of {', '.join(PROOF_KINDS)}")
    return kind


ProofKind = Annotated[str, AfterValidator(_proof_kind)]
# "12345|17": an order and one of its deliveries (`button_value` in supervision's views)
OrderAndDelivery = Annotated[tuple[OrderNo, RowId], parts("|", last=True)]


# -- buttons and pickers ---------------------------------------------------------------------
class OrderButton(Action):
    """Deliver, Continue, Deliver again, Cancel draft: the order number."""

    value: OrderNo


class DraftButton(Action):
    """Not stated, Edit template answers, Deliver, Take over: the draft's id."""

    value: RowId


class OtherReading(Action):
    """Use <the other reading of an ambiguous date>: "17|2026-01-02T00:00:00+00:00"."""

    value: Annotated[tuple[RowId, AwareDatetime], parts("|")]


class EnablingDate(Action):
    """The date picker of the enabling-time step; its block names the draft."""

    block_id: Annotated[RowId, after_prefix(f"{BlockId.ENABLING}:")]
    selected_date: DateText


class FileButton(Action):
    """Remove: the proof file's row id."""

    value: RowId


class _KindOption(Payload):
    value: Annotated[tuple[RowId, ProofKind], parts(":")]


class FileKindChoice(Action):
    """The kind select of a proof file: "17:sow"."""

    selected_option: _KindOption


class FileAttach(Action):
    """Order 12345, for a file dropped with no delivery open: "12345|F0123"."""

    value: Annotated[tuple[OrderNo, FileId], parts("|", last=True)]


class OlderOrdersButton(Action):
    """Older orders: the last order shown, "17|2026-01-31T10:00:00+00:00"."""

    value: Annotated[tuple[RowId, AwareDatetime], parts("|")]


class CustomerButton(Action):
    """Accept, Request changes: the order and the delivery."""

    value: OrderAndDelivery


OrderClick = Click[OrderButton]
DraftClick = Click[DraftButton]
OlderOrdersClick = Click[OlderOrdersButton]
FindOrderClick = OpeningClick[Action]
TemplateClick = OpeningClick[DraftButton]


# -- modals ----------------------------------------------------------------------------------
class TemplateModal(View):
    private_metadata: RowId  # the draft
    state: State


class _FindOrderInput(Payload):
    value: Element


class _FindOrderValues(Payload):
    order: _FindOrderInput = Field(alias=BlockId.FIND_ORDER_INPUT)


class _FindOrderState(Payload):
    values: _FindOrderValues


class FindOrderModal(View):
    state: _FindOrderState

    @property
    def typed(self) -> str:
        return self.state.values.order.value.value or ""


class _ReasonInput(Payload):
    reason: Element = Field(alias=REASON_INPUT)


class _ChangesValues(Payload):
    reason: _ReasonInput = Field(alias=BlockId.CHANGES_REASON)


class _ChangesState(Payload):
    values: _ChangesValues


class ChangesModal(View):
    """Request changes: the reason, for the order and delivery in private_metadata."""

    private_metadata: OrderAndDelivery
    state: _ChangesState

    @property
    def reason(self) -> str:
        return (self.state.values.reason.reason.value or "").strip()


TemplateSubmission = Submission[TemplateModal]
FindOrderSubmission = Submission[FindOrderModal]
ChangesSubmission = Submission[ChangesModal]


# -- events ----------------------------------------------------------------------------------
MessageCallback = EventCallback[DmMessage]
FileSharedCallback = EventCallback[FileShared]
HomeOpenedCallback = EventCallback[HomeOpened]
