"""What an imported row does to its order, as pure functions: the supervision state it starts
in or moves to, and what a re-import changed (for the audit trail). The file has the last word
until supervision starts; after that only a cancellation still counts, and supervision's own
columns are kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from storage.states import OrderStatus, SupervisionState

ACTOR = "cli"
DESCRIPTIVE = (
    "product_id",
    "amount",
    "currency",
    "imported_status",
    "placed_at",
    "duration",
    "customer_user_id",
    "customer_email",
    "customer_name",
    "customer_channel",
    "renewal_of",
    "contact",
)
SUPERVISION = ("state", "state_changed_at", "validity_start", "validity_end")
UPDATED = DESCRIPTIVE + SUPERVISION + ("updated_at",)  # what a re-import may overwrite
AUDITED = DESCRIPTIVE + ("state", "validity_start", "validity_end")  # what its event lists
# a renewal of an order in one of these states is not supervised (nor a renewal of that renewal)
SUPERVISION_DONE = frozenset({SupervisionState.COMPLETED, SupervisionState.NOT_SUPERVISED})
# where the file still has the last word; elsewhere supervision has started and is kept
FILE_DECIDES = frozenset({SupervisionState.NOT_DELIVERABLE})
NOT_PAID = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELED})


def initial_state(status: OrderStatus, *, renews_supervised: bool) -> SupervisionState:
    if status in NOT_PAID:
        return SupervisionState.NOT_DELIVERABLE
    if renews_supervised:
        return SupervisionState.NOT_SUPERVISED
    if status is OrderStatus.COMPLETED:
        return SupervisionState.COMPLETED
    return SupervisionState.AWAITING_DELIVERY


def decide_state(
    status: OrderStatus, *, renews_supervised: bool, existing: SupervisionState | None, rounds: int
) -> SupervisionState | None:
    """The state a row puts the order in, or None to keep the one supervision reached.

    The file decides while supervision has not started (new, not deliverable, or awaiting a
    first delivery). Once a delivery was made only a cancellation still counts.
    """
    fresh = initial_state(status, renews_supervised=renews_supervised)
    if existing is None or existing in FILE_DECIDES:
        return fresh
    if existing is SupervisionState.AWAITING_DELIVERY and (rounds == 0 or status in NOT_PAID):
        return fresh
    return None


def every_decision() -> Iterator[tuple[OrderStatus, bool, SupervisionState, bool, Any]]:
    """`decide_state` over all it can be asked about a stored order: (status, renews a
    finished order, stored state, no delivery round yet, the state or None), so SQL can look
    its answer up."""
    for status in OrderStatus:
        for renews in (False, True):
            for existing in SupervisionState:
                for first_round in (True, False):
                    state = decide_state(
                        status,
                        renews_supervised=renews,
                        existing=existing,
                        rounds=0 if first_round else 1,
                    )
                    yield status, renews, existing, first_round, state


def changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    sellers_before: list[str],
    sellers_after: list[str],
) -> dict[str, list]:
    """{column: [before, after]} for what a row changes, as text for the audit trail."""
    found = {
        key: [_plain(before[key]), _plain(after[key])]
        for key in AUDITED
        if before[key] != after[key]
    }
    if set(sellers_after) != set(sellers_before):
        found["sellers"] = [sellers_before, sellers_after]
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)
