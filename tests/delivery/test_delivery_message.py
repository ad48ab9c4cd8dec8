"""Which steps the delivery message shows in full: the open ones, and a done one the seller
asked to change; none once the delivery has ended."""

from __future__ import annotations

import pytest

from bot.core.ids import DeliveryStep
from bot.delivery.views.message import Shown, in_full
from storage.models import ProofFile
from tests.slack.test_block_limits import NOW, card, draft

ENABLING, FILES, TEMPLATE = DeliveryStep.ENABLING, DeliveryStep.FILES, DeliveryStep.TEMPLATE
FETCHED = ProofFile(
    id=1,
    delivery_id=7,
    slack_file_id="F1",
    name="sow.pdf",
    size=1,
    kind="sow",
    sha256="a" * 64,
    added_by="U",
    added_at=NOW,
)
FETCHING = ProofFile(**{**FETCHED.model_dump(), "sha256": None})


@pytest.mark.parametrize(
    ("decided", "files", "missing_kinds", "missing_fields", "asked", "outcome", "expected"),
    [
        (False, [], ["sow"], ["Key"], "enabling_time", None, {ENABLING, FILES, TEMPLATE}),
        (True, [], ["sow"], ["Key"], "review", None, {FILES, TEMPLATE}),
        (True, [FETCHED], [], [], "review", None, set()),
        (True, [FETCHING], [], [], "review", None, {FILES}),  # Deliver waits for it
        (True, [FETCHED], [], [], "enabling", None, {ENABLING}),  # Change
        (True, [FETCHED], [], [], "files", None, {FILES}),  # Manage files
        (True, [FETCHED], [], [], "template", None, set()),  # its line opens the form
        (False, [], ["sow"], ["Key"], "enabling", "submitted", set()),
        (False, [], ["sow"], ["Key"], "enabling", "taken_over", set()),
    ],
)
def test_the_steps_shown_in_full(
    decided, files, missing_kinds, missing_fields, asked, outcome, expected
):
    shown = Shown(
        card=card(),
        delivery=draft(enabling_decided=decided, step=asked),
        files=files,
        failed=[],
        required=("sow",),
        missing_kinds=missing_kinds,
        missing_fields=missing_fields,
        reason=None,
        tz="UTC",
        outcome=outcome,
    )
    assert in_full(shown) == expected
