"""What each listener reads from its payload, typed: our buttons' values and our modals' inputs,
in the formats the views build them (`bot.delivery.views`, `bot.orders.views`,
`bot.supervision.views.customer`, `bot.home.views`). A value that is not in its format (`abc|def`
where a delivery id belongs) makes the payload malformed, refused by `handlers.boundary`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, Json

from bot.core.ids import BlockId, DeliveryStep
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
    InputText,
    Name,
    OpeningClick,
    Option,
    OrderNo,
    Payload,
    RowId,
    State,
    Submission,
    Url,
    View,
    after_prefix,
    parts,
)
from bot.supervision.appeal_terms import AppealForm, Decision
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
    """Not stated, Fill in the template / Edit answers, Deliver, Take over: the draft's id."""

    value: RowId


class OtherReading(Action):
    """Use <the other reading of an ambiguous date>: "17|2026-01-02T00:00:00+00:00"."""

    value: Annotated[tuple[RowId, AwareDatetime], parts("|")]


class StepButton(Action):
    """Change, Manage files: show a done step's inputs again, "17|enabling"."""

    value: Annotated[tuple[RowId, DeliveryStep], parts("|")]


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


class AppealButton(Action):
    """Complete the order, Return to seller, Reject appeal: the appeal's id."""

    value: RowId


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


class _ProofChoice(Payload):
    value: RowId  # a proof file of the delivery


class _AddedFile(Payload):
    id: FileId
    name: Name = ""
    permalink: Url | None = None
    url_private: Url | None = None


class _AppealElement(Payload):
    value: InputText | None = None
    selected_option: Option | None = None
    selected_options: list[_ProofChoice] | None = None
    files: list[_AddedFile] | None = None


class _AppealInput(Payload):
    value: _AppealElement


class _AppealValues(Payload):
    """The appeal modals' inputs (`bot.supervision.views.appeal_forms`); the customer's has no
    proof choice nor letter, and Slack leaves out what was not filled in."""

    reason: _AppealInput | None = Field(None, alias=BlockId.APPEAL_REASON)
    details: _AppealInput | None = Field(None, alias=BlockId.APPEAL_DETAILS)
    letter: _AppealInput | None = Field(None, alias=BlockId.APPEAL_LETTER)
    proof: _AppealInput | None = Field(None, alias=BlockId.APPEAL_PROOF)
    files: _AppealInput | None = Field(None, alias=BlockId.APPEAL_FILES)


class _AppealState(Payload):
    values: _AppealValues


class _AppealMeta(Payload):
    order_no: OrderNo


class AppealModal(View):
    """Initiate appeal (a seller) or Appeal (the customer), for the order in private_metadata."""

    private_metadata: Json[_AppealMeta]
    state: _AppealState

    @property
    def form(self) -> AppealForm:
        values = self.state.values

        def element(given: _AppealInput | None) -> _AppealElement:
            return given.value if given else _AppealElement()

        reason = element(values.reason).selected_option
        return AppealForm(
            reason_kind=reason.value if reason else "other",
            details=element(values.details).value or "",
            letter=(element(values.letter).value or "").strip() or None,
            file_ids=[choice.value for choice in element(values.proof).selected_options or []],
            attachments=[
                {"id": f.id, "name": f.name, "url": f.permalink or f.url_private or ""}
                for f in element(values.files).files or []
            ],
        )


class _DecisionMeta(Payload):
    appeal_id: Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]  # a JSON number here
    decision: Decision


class _DecisionValues(Payload):
    reason: _AppealInput | None = Field(None, alias=BlockId.DECISION_REASON)


class _DecisionState(Payload):
    values: _DecisionValues


class DecisionModal(View):
    """Operations' reason for returning an order to its seller or rejecting an appeal."""

    private_metadata: Json[_DecisionMeta]
    state: _DecisionState

    @property
    def reason(self) -> str:
        given = self.state.values.reason
        return (given.value.value or "") if given else ""


TemplateSubmission = Submission[TemplateModal]
FindOrderSubmission = Submission[FindOrderModal]
ChangesSubmission = Submission[ChangesModal]
AppealSubmission = Submission[AppealModal]
DecisionSubmission = Submission[DecisionModal]


# -- events ----------------------------------------------------------------------------------
MessageCallback = EventCallback[DmMessage]
FileSharedCallback = EventCallback[FileShared]
HomeOpenedCallback = EventCallback[HomeOpened]
