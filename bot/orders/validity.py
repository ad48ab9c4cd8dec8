"""The licence validity period (DOMAIN.md): the seed's rule as one pure function, and an
order's validity on its customer's calendar (the time zone from bot.orders.calendar, frozen on
the delivery when it was submitted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.dates import zone
from bot.core.durations import to_relativedelta
from bot.orders.calendar import delivery_time_zone
from storage.models import Delivery, Order


@dataclass(frozen=True)
class Validity:
    start: datetime
    end: datetime  # the instant the licence stops: start + duration


def compute_validity(
    *,
    duration: str,
    accepted_at: datetime,
    enabling_time: datetime | None,
    tz: ZoneInfo = ZoneInfo("UTC"),
) -> Validity:
    """Start = the stated enabling time, else the acceptance; end = start + duration.

    The duration is added in calendar units on the wall clock of `tz` (1 month from Jan 31
    ends on the last day of February; 1 year from Feb 29 ends on Feb 28), so the period reads
    the same to the reader whose calendar it is. Both ends come back in UTC.
    """
    start = enabling_time or accepted_at
    return Validity(start=start.astimezone(UTC), end=add_duration(start, duration, tz))


def add_duration(start: datetime, duration: str, tz: ZoneInfo = ZoneInfo("UTC")) -> datetime:
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    local = start.astimezone(tz).replace(tzinfo=None)
    end_local = (local + to_relativedelta(duration)).replace(tzinfo=tz)
    return end_local.astimezone(UTC)


def renewal_validity(*, renewed_end: datetime, duration: str, tz: ZoneInfo) -> Validity:
    """A renewal continues from the end of the order it renews, counted on the same calendar
    (the customer's) as every other validity."""
    return compute_validity(duration=duration, accepted_at=renewed_end, enabling_time=None, tz=tz)


def validity_for(
    session: Session,
    order: Order,
    *,
    delivery: Delivery | None,
    accepted_at: datetime,
    enabling_time: datetime | None,
) -> Validity:
    """The order's validity if `delivery` is accepted at `accepted_at`, on the customer's
    calendar as it was when the delivery was submitted (bot.orders.calendar)."""
    return compute_validity(
        duration=order.duration,
        accepted_at=accepted_at,
        enabling_time=enabling_time,
        tz=zone(delivery_time_zone(session, order, delivery)),
    )


VALIDITY_RULE = (
    "start = the actual service enabling time the seller stated, else the moment of "
    "acceptance; end = start + the purchased duration, in calendar units on the customer's "
    "calendar (1 month from 31 Jan ends on the last day of February)"
)


def explain_validity(session: Session, order: Order, delivery: Delivery | None) -> dict:
    """The validity computation as evidence: its inputs, the rule, and the result, computed
    again by compute_validity and set beside what the order holds (None before acceptance)."""
    tz = delivery_time_zone(session, order, delivery)
    inputs = {
        "duration": order.duration,
        "placed_at": order.placed_at.isoformat(),
        "enabling_time": order.enabling_time.isoformat() if order.enabling_time else None,
        "accepted_at": order.accepted_at.isoformat() if order.accepted_at else None,
        "accepted_by": order.accepted_by,
        "calendar_time_zone": tz,
    }
    explained: dict = {"inputs": inputs, "rule": VALIDITY_RULE, "result": None}
    if order.accepted_at is None:
        explained["result_note"] = "not accepted yet: the validity is fixed at acceptance"
        return explained
    validity = compute_validity(
        duration=order.duration,
        accepted_at=order.accepted_at,
        enabling_time=order.enabling_time,
        tz=zone(tz),
    )
    explained["result"] = {
        "start": validity.start.isoformat(),
        "start_from": "enabling_time" if order.enabling_time else "accepted_at",
        "end": validity.end.isoformat(),
    }
    explained["recorded"] = {
        "start": order.validity_start.isoformat() if order.validity_start else None,
        "end": order.validity_end.isoformat() if order.validity_end else None,
    }
    explained["recorded_matches"] = (
        order.validity_start == validity.start and order.validity_end == validity.end
    )
    return explained
