"""The supervision state machine as data: states, order statuses and the transition table."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import InvalidTransition
from storage.states import OrderStatus, SupervisionState


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


def target_state(transition: Transition, current: SupervisionState) -> SupervisionState:
    """The state `transition` leads to from `current`; raises InvalidTransition if illegal."""
    sources, target = TRANSITIONS[transition]
    if current not in sources:
        raise InvalidTransition(transition, current)
    return target


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
