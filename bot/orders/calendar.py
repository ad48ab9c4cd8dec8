"""The one calendar an order's validity period is counted on: the customer's.

A month from 31 January ends on a different instant in Tokyo than in New York, so every place
that computes or previews a validity (the seller's draft, the customer's delivery message,
Accept, operations' completion, automatic acceptance) counts on the customer's Slack time zone
as cached (UTC when unknown), whoever is reading or clicking: they all give the same instants.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.dates import zone
from bot.orders.validity import Validity, compute_validity
from bot.slack.directory import cached_person
from storage.models import Order


def customer_time_zone(session: Session, order: Order) -> str:
    """The customer's time zone as the cache knows it (no Slack call), else UTC: the validity
    is counted in it, and reminders wait for working hours in it."""
    profile = cached_person(session, user_id=order.customer_user_id, email=order.customer_email)
    return (profile.tz if profile else None) or "UTC"


def validity_for(
    session: Session, order: Order, *, accepted_at: datetime, enabling_time: datetime | None
) -> Validity:
    """The order's validity if accepted at `accepted_at`, on the customer's calendar."""
    return compute_validity(
        duration=order.duration,
        accepted_at=accepted_at,
        enabling_time=enabling_time,
        tz=zone(customer_time_zone(session, order)),
    )
