"""Reminders to silent customers and escalation to sellers, as scheduled jobs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Order


def schedule_for_acceptance(session: Session, *, order: Order, now: datetime) -> None:
    """An order now awaits acceptance: schedule its reminders (and escalation)."""
    # Filled in by the silent-customer work (issue 6).


def cancel_for_order(session: Session, *, order: Order, now: datetime, reason: str) -> None:
    """The order left awaiting acceptance: cancel its pending reminders and escalation."""
    # Filled in by the silent-customer work (issue 6).
