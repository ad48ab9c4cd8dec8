"""Every stored state: an order's (what supervision tracks and what users see), a delivery's,
an outbox message's, a scheduled job's and an appeal's."""

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


def shown_status(state: SupervisionState, imported: OrderStatus) -> OrderStatus:
    """The order status users see: it follows supervision once an order is in it."""
    if state in OPEN_STATES:
        return OrderStatus.PROCESSING
    if state is SupervisionState.COMPLETED:
        return OrderStatus.COMPLETED
    return imported


class DeliveryState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    ACCEPTED = "accepted"
    CHANGES_REQUESTED = "changes_requested"
    CLOSED = "closed"  # closed by an operations decision


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer rewrite of the same message was sent or queued


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"  # no longer needed (the order moved on): a business cancellation
    FAILED = "failed"  # kept failing until its attempts ran out: `last_error` says why


class AppealState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    RETURNED = "returned"
    REJECTED = "rejected"
    CLOSED = "closed"  # nothing left to decide: the order completed without operations
