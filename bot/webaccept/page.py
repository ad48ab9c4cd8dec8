"""What an accept link may show and do. Every refusal is a `Refused` with an HTTP status and
words that name no one (the page shows them on their own); the decision itself is the Slack
button's: bot.acceptance.decision, with the link holder as the customer (customers.BY_LINK)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.acceptance import decision
from bot.core.dates import format_local
from bot.core.errors import AlreadySettled, InvalidInput
from bot.email.facts import Facts, delivery_facts
from bot.email.links import BadLink, ExpiredLink, LinkClaim, Links
from bot.orders import queries as orders
from bot.orders.calendar import customer_time_zone
from bot.orders.customers import link_clicker
from bot.supervision.notices import customer_delivery
from storage.models import Delivery, DeliveryState, Order, ProofFile
from storage.states import SupervisionState

NOT_VALID = (
    "This link is not valid",
    "Please open the whole link from your e-mail. If it still does not work, ask the seller to "
    "send it again.",
)


class Refused(Exception):
    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message
        super().__init__(title)


@dataclass(frozen=True)
class Opened:
    claim: LinkClaim
    order: Order
    delivery: Delivery


def open_link(session: Session, links: Links, token: str, *, now: datetime) -> Opened:
    """The order and delivery a link is for, if it may still decide; Refused otherwise."""
    try:
        claim = links.read(token, now=now)
    except BadLink:
        raise Refused(404, *NOT_VALID) from None
    except ExpiredLink:
        raise Refused(
            410,
            "This link has expired",
            "Open the link in the newest e-mail about this order, or ask the seller for a new one.",
        ) from None
    order = orders.get_order(session, claim.order_no)
    delivery = session.get(Delivery, claim.delivery_id)
    if order is None or delivery is None or delivery.order_id != order.id:
        raise Refused(404, *NOT_VALID)
    if delivery.round != claim.round:
        raise Refused(404, *NOT_VALID)
    if delivery.round < order.round:
        raise Refused(
            410,
            "This delivery was replaced",
            "The seller sent a newer delivery of this order. Please open the link in the newest "
            "e-mail.",
        )
    outcome = settled(session, order, delivery)
    if outcome:
        raise Refused(409, "Already decided", outcome)
    return Opened(claim, order, delivery)


def settled(session: Session, order: Order, delivery: Delivery) -> str | None:
    """How this delivery ended, in the customer's words; None while it waits for them."""
    tz = customer_time_zone(session, order)
    if order.state is SupervisionState.COMPLETED:
        valid = ""
        if order.validity_start and order.validity_end:
            start = format_local(order.validity_start, tz, with_time=False)
            end = format_local(order.validity_end, tz, with_time=False)
            valid = f" The licence is valid {start} – {end}."
        when = f" on {format_local(order.accepted_at, tz)}" if order.accepted_at else ""
        return f"Order {order.order_no} was accepted{when}.{valid}"
    if delivery.state is DeliveryState.CHANGES_REQUESTED:
        return (
            f"You asked for changes to this delivery: “{delivery.changes_reason}”. "
            "The seller will send a new delivery."
        )
    if order.state is SupervisionState.AWAITING_DELIVERY or delivery.state is DeliveryState.CLOSED:
        return f"Order {order.order_no} is back with the seller for a new delivery."
    if order.state is not SupervisionState.AWAITING_ACCEPTANCE:
        return f"Order {order.order_no} is not waiting for your acceptance."
    return None


def facts(session: Session, opened: Opened, *, now: datetime) -> Facts:
    return delivery_facts(customer_delivery(session, opened.order, opened.delivery, now=now))


def decide(
    session: Session, links: Links, token: str, *, action: str, reason: str, now: datetime
) -> str:
    """Accept, or ask for changes, as the Slack buttons do. Returns what happened."""
    opened = open_link(session, links, token, now=now)
    no, delivery_id = opened.order.order_no, opened.claim.delivery_id
    session.rollback()  # the decision reads again in its own transaction
    try:
        if action == "accept":
            order = decision.accept(
                session, order_no=no, delivery_id=delivery_id, clicker=link_clicker(no), now=now
            )
        elif action == "changes":
            order = decision.request_changes(
                session,
                order_no=no,
                delivery_id=delivery_id,
                clicker=link_clicker(no),
                reason=reason,
                now=now,
            )
        else:
            raise Refused(400, "Unknown action", "Please use the Accept or Request changes button.")
    except AlreadySettled:
        session.rollback()
        outcome = settled(session, *_reloaded(session, opened))
        raise Refused(
            409, "Already decided", outcome or "This delivery was already decided."
        ) from None
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    return settled(session, order, delivery) or "Done."


def _reloaded(session: Session, opened: Opened) -> tuple[Order, Delivery]:
    order = orders.get_order(session, opened.order.order_no)
    delivery = session.get(Delivery, opened.claim.delivery_id)
    assert order is not None and delivery is not None
    session.refresh(order)
    session.refresh(delivery)
    return order, delivery


def proof_file(session: Session, opened: Opened, file_id: int) -> ProofFile:
    proof = session.get(ProofFile, file_id)
    if (
        proof is None
        or proof.delivery_id != opened.delivery.id
        or proof.removed
        or not proof.sha256
    ):
        raise Refused(404, "No such file", "This delivery has no such proof file.")
    return proof


__all__ = ["InvalidInput", "Opened", "Refused", "decide", "facts", "open_link", "proof_file"]
