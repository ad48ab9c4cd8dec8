"""Who to tell about an order: its sellers' Slack ids, and how to reach its customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot import directory
from bot.clock import Clock
from bot.orders import sellers_of
from storage.models import Order, SlackUser


@dataclass(frozen=True)
class CustomerContact:
    name: str | None
    email: str | None
    user_id: str | None
    channel: str | None
    tz: str


def seller_user_ids(
    session: Session, client: WebClient, order: Order, *, now: datetime
) -> list[str]:
    """The order's sellers as Slack user ids; sellers named by e-mail are looked up."""
    found: list[str] = []
    for seller in sellers_of(session, order.id):
        user_id = seller if "@" not in seller else _user_by_email(session, client, seller, now=now)
        if user_id and user_id not in found:
            found.append(user_id)
    return found


def _user_by_email(session: Session, client: WebClient, email: str, *, now: datetime) -> str | None:
    cached = session.exec(select(SlackUser).where(SlackUser.email == email.lower())).first()
    if cached:
        return cached.user_id
    try:
        data = client.users_lookupByEmail(email=email)["user"]
    except SlackApiError:
        return None
    return directory.remember(session, data, now=now).user_id


def customer_slack_id(
    session: Session, client: WebClient, order: Order, *, now: datetime
) -> str | None:
    """The customer's Slack user id: the order's, else the user with the order's e-mail."""
    if order.customer_user_id:
        return order.customer_user_id
    if order.customer_email:
        return _user_by_email(session, client, order.customer_email, now=now)
    return None


def customer_contact(
    session: Session, client: WebClient, clock: Clock, order: Order
) -> CustomerContact:
    """The customer's details from the order, completed from Slack where it knows them."""
    user_id = customer_slack_id(session, client, order, now=clock.now())
    profile = directory.profile(session, client, clock, user_id) if user_id else None
    return CustomerContact(
        name=order.customer_name or (profile.real_name if profile else None),
        email=order.customer_email or (profile.email if profile else None),
        user_id=user_id,
        channel=order.customer_channel,
        tz=(profile.tz if profile and profile.tz else None) or "UTC",
    )


def cached_time_zone(session: Session, order: Order) -> str:
    """The customer's time zone as far as we already know it (no Slack call), else UTC."""
    cached = session.get(SlackUser, order.customer_user_id) if order.customer_user_id else None
    if cached is None and order.customer_email:
        query = select(SlackUser).where(SlackUser.email == order.customer_email.lower())
        cached = session.exec(query).first()
    return (cached.tz if cached and cached.tz else None) or "UTC"
