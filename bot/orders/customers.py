"""Finding an order's customer on Slack, and deciding who counts as them.

The customer is reached by the first route that works: their Slack user id, else the user
whose Slack e-mail is the order's (`users.lookupByEmail`), else the order's Slack Connect
channel. Routes are tried when the message is sent (by the outbox), so a submission never
waits on Slack; when every route fails the seller is told (bot.notifications).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import audit
from bot.core.errors import NotTheCustomer, OrderNotFound
from bot.orders import queries as orders
from bot.slack import directory
from bot.slack.outbox import PermanentFailure
from bot.slack.services import Services
from storage.models import Order
from storage.rows import saved_id

# what the customer may do, in the words a refusal uses
CUSTOMER_ACTIONS = {
    "accept": "accept",
    "request_changes": "ask for changes to",
    "appeal": "appeal",
}
CUSTOMER_DELIVERY = "customer_delivery"  # the outbox purpose of the customer's delivery DM
BY_EMAIL = "email"  # an order's (or product's) `contact` when its customer is e-mailed
# who decided through the accept page's signed link (the link itself proves it is the customer)
BY_LINK = "customer-link"


def routes(order: Order, default_contact: str | None = None) -> list[dict[str, str]]:
    """The ways to reach the customer, best first: on Slack (user id, the user with the order's
    e-mail, the Slack Connect channel), then by e-mail. Only by e-mail when the order, or else
    its product (`default_contact`), says `contact: email`."""
    if order.customer_email and (order.contact or default_contact) == BY_EMAIL:
        return [{"mail": order.customer_email}]
    found = _slack_routes(order)
    if order.customer_email:
        found.append({"mail": order.customer_email})
    return found


def _slack_routes(order: Order) -> list[dict[str, str]]:
    found = []
    if order.customer_user_id:
        found.append({"user": order.customer_user_id})
    if order.customer_email:
        found.append({"email": order.customer_email})
    if order.customer_channel:
        found.append({"channel": order.customer_channel})
    return found


def describe_route(route: dict[str, str]) -> str:
    kind, value = next(iter(route.items()))
    return {"user": f"<@{value}>", "email": value, "channel": f"<#{value}>", "mail": value}[kind]


def choose_customer_route(client: WebClient, payload: dict[str, Any], meta: dict[str, Any]) -> dict:
    """Fill in the channel from the route being tried (meta["route"] indexes meta["routes"])."""
    tried = meta.get("route", 0)
    options = meta.get("routes", [])
    if tried >= len(options):
        raise PermanentFailure("no_contact_details")
    route = options[tried]
    if "mail" in route:  # the message is an e-mail by now (notices.customer_unreachable)
        return payload
    # an e-mail is looked up by the dispatcher when it sends (users.lookupByEmail)
    return {**payload, "channel": route.get("user") or route.get("email") or route["channel"]}


@dataclass(frozen=True)
class Clicker:
    """Who clicked, as far as deciding whether they are the customer needs."""

    user_id: str
    email: str | None = None
    in_customer_channel: bool = False
    # whether they belong to the bot's own workspace; None when Slack did not say
    same_workspace: bool | None = None
    # the order whose signed accept link they opened (the link was sent only to its customer)
    link_for: str | None = None


def link_clicker(order_no: str) -> Clicker:
    """Whoever holds a valid accept link of `order_no` (checked by the page before this)."""
    return Clicker(BY_LINK, link_for=order_no)


def clicker_for(services: Services, user_id: str, order_no: str) -> Clicker:
    """Look up what is needed about the person clicking (their e-mail; channel
    membership and home workspace only for an order known by its Slack Connect channel alone),
    before the caller opens its write transaction: Slack is never asked while SQLite's write
    lock is held. Fails closed."""
    with services.read_session_factory() as session:
        order = orders.get_order(session, order_no)
        channel = (
            order.customer_channel
            if order is not None and not (order.customer_user_id or order.customer_email)
            else None
        )
    if not channel:
        person = directory.lookup(services, user_id)
        return Clicker(user_id, person.email)
    person = directory.lookup(services, user_id, ask_slack=True)
    member = directory.in_channel(services.client, channel, user_id)
    return Clicker(user_id, person.email, member, _same_workspace(services.client, person))


def _same_workspace(client: WebClient, person: directory.Person) -> bool | None:
    """True when they are (or may be) from the bot's own workspace; None when Slack answered
    without saying. Slack not answering counts as ours: a colleague must never pass as the
    customer because users.info was rate-limited."""
    if not person.answered:
        return True
    if person.team is None:
        return None
    ours = _own_team(client)
    return ours is None or person.team == ours


_own_teams: dict[tuple[str, str | None], str] = {}


def _own_team(client: WebClient) -> str | None:
    """The bot's own workspace (auth.test, asked once per token); None if Slack cannot say."""
    key = (client.base_url, client.token)
    if key not in _own_teams:
        try:
            _own_teams[key] = client.auth_test()["team_id"]
        except SlackApiError:
            return None
    return _own_teams[key]


def is_customer(order: Order, clicker: Clicker, sellers: list[str]) -> bool:
    """Only the order's customer, failing closed: by user id if the order has one; else the
    user whose Slack e-mail is the order's; else (the delivery went to the order's Slack Connect
    channel) a member of that channel who is none of its sellers (by user id or e-mail) and who
    is known to be from another workspace, or at least known by e-mail when Slack did not say.
    Someone holding the order's signed accept link is its customer (the link went only to them)."""
    if clicker.user_id == BY_LINK:
        return clicker.link_for == order.order_no
    if order.customer_user_id:
        return clicker.user_id == order.customer_user_id
    if _is_seller(clicker, sellers):
        return False
    if order.customer_email:
        return bool(clicker.email and clicker.email.lower() == order.customer_email.lower())
    if not (order.customer_channel and clicker.in_customer_channel):
        return False
    if clicker.same_workspace is None:
        return clicker.email is not None
    return not clicker.same_workspace


def customer_order(
    session: Session, order_no: str, clicker: Clicker, *, action: str, now: datetime
) -> Order:
    """The order, if `clicker` is its customer. Anyone else gets NotTheCustomer, and the
    attempt is audited (committed, so the record stays whatever the caller does next)."""
    order = orders.get_order(session, order_no)
    if order is None:
        raise OrderNotFound(order_no)
    if not is_customer(order, clicker, orders.sellers_of(session, saved_id(order))):
        audit.record(
            session,
            kind="refused",
            actor=clicker.user_id,
            at=now,
            order_id=order.id,
            action=action,
            reason="not the customer",
        )
        session.commit()
        raise NotTheCustomer(order.order_no, CUSTOMER_ACTIONS[action])
    return order


def _is_seller(clicker: Clicker, sellers: list[str]) -> bool:
    named = {seller.lower() for seller in sellers}
    return clicker.user_id.lower() in named or bool(
        clicker.email and clicker.email.lower() in named
    )


def customer_label(order: Order) -> str:
    """How the customer is named to others: their name, else their Slack mention or e-mail."""
    if order.customer_name:
        return order.customer_name
    if order.customer_user_id:
        return f"<@{order.customer_user_id}>"
    return order.customer_email or "the order's customer"


def contact_details(order: Order) -> str:
    parts = [order.customer_name] + [describe_route(route) for route in _slack_routes(order)]
    return " · ".join(part for part in parts if part) or "none on record"
