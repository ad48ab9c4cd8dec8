"""The seller's App Home ("Service Supervision"), republished when one of their orders changes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Order


def republish_for_order(session: Session, *, order: Order, now: datetime) -> None:
    """Queue a views.publish of the Home tab for each seller of `order` (a Slack user id)."""
    # Filled in by the seller-conversation work (issue 4).
