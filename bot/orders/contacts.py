"""Who to tell about an order (its sellers, its customer), and what we know of the customer.

Everything here that takes a session reads only the database: it runs inside transactions that
write (scheduled jobs, operations' decisions), and on SQLite a writing transaction holds the
database's one write lock, which must never wait on Slack. What Slack knows about the customer
is fetched beforehand by `look_up_customer` (and `look_up_sellers`), with no transaction open.
A person known only by e-mail and not yet looked up is addressed by that e-mail: the outbox
dispatcher looks it up when it sends (bot.dispatcher).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.orders.calendar import customer_time_zone
from bot.orders.queries import sellers_of
from bot.slack import directory
from bot.slack.outbox import SlackAccess
from storage.models import Order, ScheduledJob
from storage.rows import saved_id

if TYPE_CHECKING:
    from bot.slack.services import Services


@dataclass(frozen=True)
class CustomerContact:
    name: str | None
    email: str | None
    user_id: str | None
    channel: str | None
    tz: str


def seller_channels(session: Session, order: Order) -> list[str]:
    """Where to DM the order's sellers, each person once: their user ids (a seller named by
    e-mail: the user with that e-mail if known, else the e-mail, looked up when the message is
    sent). A seller named both ways is known to be one person once `look_up_sellers` ran."""
    found: list[str] = []
    for seller in sellers_of(session, saved_id(order)):
        cached = (
            directory.cached_person(session, user_id=None, email=seller) if "@" in seller else None
        )
        channel = cached.user_id if cached else seller
        if channel not in found:
            found.append(channel)
    return found


def customer_slack_id(session: Session, order: Order) -> str | None:
    """The customer's Slack user id: the order's, else the known user with the order's e-mail."""
    cached = directory.cached_person(session, user_id=None, email=order.customer_email)
    return order.customer_user_id or (cached.user_id if cached else None)


def customer_channel(session: Session, order: Order) -> str | None:
    """Where to DM the customer: their user id, else the order's Slack Connect channel, else
    their e-mail (looked up when sent); None when the order names no way at all."""
    return customer_slack_id(session, order) or order.customer_channel or order.customer_email


def customer_contact(session: Session, order: Order) -> CustomerContact:
    """The customer's details from the order, completed from what Slack told us."""
    profile = directory.cached_person(
        session, user_id=order.customer_user_id, email=order.customer_email
    )
    return CustomerContact(
        name=order.customer_name or (profile.real_name if profile else None),
        email=order.customer_email or (profile.email if profile else None),
        user_id=customer_slack_id(session, order),
        channel=order.customer_channel,
        tz=customer_time_zone(session, order),
    )


def look_up_sellers(services: Services, order_id: int) -> None:
    """Refresh what Slack knows of the sellers named by user id (their e-mail above all), with
    no transaction open, so that `seller_channels` sees that a seller also named by e-mail is
    the same person. Slack failing leaves the cache as it was."""
    with services.read_session_factory() as session:
        sellers = sellers_of(session, order_id)
    for seller in sellers:
        if "@" not in seller:
            directory.lookup(services, seller)


def look_up_sellers_for_job(services: Services, job: ScheduledJob) -> None:
    """`look_up_sellers` before a job that messages the sellers opens its transaction."""
    if job.order_id is not None:
        look_up_sellers(services, job.order_id)


def look_up_people_for_job(services: Services, job: ScheduledJob) -> None:
    """The customer and the sellers, before a job that tells the sellers about the customer
    (the escalation) opens its transaction."""
    if job.order_id is not None:
        look_up_customer(services, job.order_id)
        look_up_sellers(services, job.order_id)


def look_up_customer(services: SlackAccess, order_id: int) -> None:
    """Refresh what Slack knows of the order's customer (time zone, name, e-mail) when the
    cached copy is stale: read, ask Slack with no transaction open, then store briefly.
    Slack failing leaves the cache as it was (callers then fall back to UTC)."""
    now = services.clock.now()
    with services.read_session_factory() as session:
        order = session.get(Order, order_id)
        if order is None:
            return
        user_id, email = order.customer_user_id, order.customer_email
        cached = directory.cached_person(session, user_id=user_id, email=email)
        if cached and now - cached.fetched_at < directory.FRESH_FOR:
            return
    try:
        if user_id:
            data = services.client.users_info(user=user_id)["user"]
        elif email:
            data = services.client.users_lookupByEmail(email=email)["user"]
        else:
            return
    except (SlackApiError, OSError):  # an error answer, or no answer: keep the cache
        return
    with services.session_factory() as session:
        directory.store(session, data, now=now)
        session.commit()
