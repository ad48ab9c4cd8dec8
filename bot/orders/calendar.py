"""The one calendar an order's validity period is counted on: the customer's.

A month from 31 January ends on a different instant in Tokyo than in New York, so every place
that computes or previews a validity (the seller's draft, the customer's delivery message,
Accept, operations' completion, automatic acceptance) counts on the customer's Slack time zone,
whoever is reading or clicking: they all give the same instants. Until a delivery is submitted
that is the zone as cached (UTC when unknown); submitting freezes it on the delivery, so a
customer who moves (or whose profile is refreshed) between the delivery message and their
Accept gets the validity the message showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, or_, select
from sqlmodel import Session

from bot.slack.directory import cached_person
from storage.models import Delivery, Order, SlackUser
from storage.rows import table_of


def customer_time_zone(session: Session, order: Order) -> str:
    """The customer's time zone as the cache knows it (no Slack call), else UTC: the validity
    is counted in it, and reminders wait for working hours in it."""
    profile = cached_person(session, user_id=order.customer_user_id, email=order.customer_email)
    return (profile.tz if profile else None) or "UTC"


def delivery_time_zone(session: Session, order: Order, delivery: Delivery | None) -> str:
    """The zone a delivery's validity is counted in: the customer's as it was when the delivery
    was submitted, else (a draft, or a delivery submitted before zones were kept) as cached."""
    if delivery is not None and delivery.customer_tz:
        return delivery.customer_tz
    return customer_time_zone(session, order)


@dataclass(frozen=True)
class CustomerZones:
    """The cached time zones of many orders' customers, read in one query (for imports), by
    the same rule as customer_time_zone: the user id when the order has one, else the e-mail."""

    by_user: dict[str, str]
    by_email: dict[str, str]

    @classmethod
    def load(cls, connection: Connection, orders: Sequence[CustomerOf]) -> CustomerZones:
        users = {order.customer_user_id for order in orders if order.customer_user_id}
        emails = {
            order.customer_email.lower()
            for order in orders
            if order.customer_email and not order.customer_user_id
        }
        if not (users or emails):
            return cls({}, {})
        people = table_of(SlackUser)
        query = select(people.c.user_id, people.c.email, people.c.tz).where(
            or_(people.c.user_id.in_(users), people.c.email.in_(emails))
        )
        by_user, by_email = {}, {}
        for user_id, email, tz in connection.execute(query):
            if tz:
                by_user[user_id] = tz
                if email:
                    by_email[email] = tz
        return cls(by_user, by_email)

    def of(self, order: CustomerOf) -> str:
        if order.customer_user_id:
            return self.by_user.get(order.customer_user_id, "UTC")
        return self.by_email.get((order.customer_email or "").lower(), "UTC")


class CustomerOf(Protocol):
    """What names an order's customer (an Order, or an order row being imported)."""

    @property
    def customer_user_id(self) -> str | None: ...

    @property
    def customer_email(self) -> str | None: ...
