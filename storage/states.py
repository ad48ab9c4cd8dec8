"""The states of an order, as stored: what supervision tracks and what users see."""

from __future__ import annotations

from enum import StrEnum


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


OPEN_STATES = frozenset({SupervisionState.AWAITING_DELIVERY, SupervisionState.AWAITING_ACCEPTANCE})
