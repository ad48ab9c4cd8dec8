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
from bot.orders.contacts import cached_time_zone
from bot.orders.validity import Validity, compute_validity
from storage.models import Order


def customer_calendar(session: Session, order: Order) -> str:
    """The time zone the order's validity is counted in."""
    return cached_time_zone(session, order)


def validity_for(
    session: Session, order: Order, *, accepted_at: datetime, enabling_time: datetime | None
) -> Validity:
    """The order's validity if accepted at `accepted_at`, on the customer's calendar."""
    return compute_validity(duration=order.duration, accepted_at=accepted_at,
                            enabling_time=enabling_time,
                            tz=zone(customer_calendar(session, order)))  # fmt: skip
