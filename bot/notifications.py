"""Messages to the customer and the seller caused by state changes (queued in the outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Delivery, Order


def delivery_submitted(session: Session, *, order: Order, delivery: Delivery, now: datetime) -> None:
    """Queue the customer's DM: the delivery, its proof and the Accept / Request changes buttons."""
    # Filled in by the customer-acceptance work (issue 5).
