"""The supervision state machine as data: states, order statuses and the transition table."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import InvalidTransition


class OrderStatus(StrEnum):
    """What users see."""

    PENDING_PAYMENT = "Pending payment"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    CANCELED = "Canceled"


class SupervisionState(StrEnum):
    AWAITING_DELIVERY = "awaiting_delivery"
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    COMPLETED = "completed"
    NOT_SUPERVISED = "not_supervised"
    NOT_DELIVERABLE = "not_deliverable"  # pending payment or cancelled: imported, not deliverable


class Transition(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REQUEST_CHANGES = "request_changes"
    OPS_COMPLETE = "ops_complete"
    OPS_RETURN = "ops_return"


TRANSITIONS: dict[Transition, tuple[frozenset[SupervisionState], SupervisionState]] = {
    Transition.SUBMIT: (
        frozenset({SupervisionState.AWAITING_DELIVERY}),
        SupervisionState.AWAITING_ACCEPTANCE,
    ),
    Transition.ACCEPT: (
        frozenset({SupervisionState.AWAITING_ACCEPTANCE}),
        SupervisionState.COMPLETED,
    ),
    Transition.REQUEST_CHANGES: (
        frozenset({SupervisionState.AWAITING_ACCEPTANCE}),
        SupervisionState.AWAITING_DELIVERY,
    ),
    Transition.OPS_COMPLETE: (
        frozenset({SupervisionState.AWAITING_DELIVERY, SupervisionState.AWAITING_ACCEPTANCE}),
        SupervisionState.COMPLETED,
    ),
    Transition.OPS_RETURN: (
        frozenset({SupervisionState.AWAITING_DELIVERY, SupervisionState.AWAITING_ACCEPTANCE}),
        SupervisionState.AWAITING_DELIVERY,
    ),
}

OPEN_STATES = frozenset({SupervisionState.AWAITING_DELIVERY, SupervisionState.AWAITING_ACCEPTANCE})


def target_state(transition: Transition, current: SupervisionState) -> SupervisionState:
    """The state `transition` leads to from `current`; raises InvalidTransition if illegal."""
    sources, target = TRANSITIONS[transition]
    if current not in sources:
        raise InvalidTransition(transition, current)
    return target


def status_for(state: SupervisionState, imported_status: OrderStatus) -> OrderStatus:
    """The status users see follows supervision once an order is in it."""
    if state in OPEN_STATES:
        return OrderStatus.PROCESSING
    if state is SupervisionState.COMPLETED:
        return OrderStatus.COMPLETED
    return imported_status


STATUS_SYNONYMS: dict[str, OrderStatus] = {
    "pending payment": OrderStatus.PENDING_PAYMENT,
    "pending_payment": OrderStatus.PENDING_PAYMENT,
    "pending": OrderStatus.PENDING_PAYMENT,
    "unpaid": OrderStatus.PENDING_PAYMENT,
    "awaiting payment": OrderStatus.PENDING_PAYMENT,
    "processing": OrderStatus.PROCESSING,
    "paid": OrderStatus.PROCESSING,
    "in progress": OrderStatus.PROCESSING,
    "active": OrderStatus.PROCESSING,
    "completed": OrderStatus.COMPLETED,
    "complete": OrderStatus.COMPLETED,
    "done": OrderStatus.COMPLETED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "refunded": OrderStatus.CANCELED,
}


def parse_status(text: str) -> OrderStatus:
    key = " ".join(text.strip().lower().replace("-", " ").split())
    try:
        return STATUS_SYNONYMS[key]
    except KeyError:
        raise ValueError(
            f"unknown status {text!r} (use one of: Pending payment, Processing, Completed, Canceled)"
        ) from None
