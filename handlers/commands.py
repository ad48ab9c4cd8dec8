"""/deliver: list, start or resume a delivery, cancel a draft, help."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App
from sqlmodel import Session

from bot.core.errors import DeliverybotError
from bot.core.ids import COMMAND
from bot.delivery import drafts as delivery
from bot.delivery.errors import HeldByTeammate, NotDeliverable
from bot.delivery.views.replies import build_cancelled, build_held_by, build_pointer
from bot.orders import contacts
from bot.orders import queries as orders
from bot.orders.views import (
    LIST_LIMIT,
    build_error,
    build_help,
    build_order_details,
    build_order_list,
)
from bot.slack import directory
from bot.slack.services import Services
from storage.states import SupervisionState

Reply = tuple[list[dict[str, Any]], str]


@contextmanager
def writing(services: Services) -> Iterator[Session]:
    """A write transaction, committed (and the outbox woken) when the block succeeds; rolled
    back, with the error passed on, when it raises."""
    with services.session_factory() as session:
        yield session
        session.commit()
    services.notify_outbox()


def start_delivery(services: Services, user: str, order_no: str) -> Reply:
    """Start or resume the delivery of `order_no` for `user`: the reply to show them."""
    person = directory.lookup(services, user)
    contacts.look_up_customer_of(services, order_no)  # the customer's calendar, for the preview
    try:
        with writing(services) as session:
            started = delivery.start_or_resume(
                session,
                order_no=order_no,
                user=user,
                identities=person.identities,
                now=services.clock.now(),
                default_kinds=services.settings.required_proof_kinds,
            )
    except HeldByTeammate as error:
        return build_held_by(str(error), error.delivery_id), str(error)
    except NotDeliverable as error:  # where it stands, and the order itself
        details = build_order_details(error.card) if error.card else []
        return build_error(str(error)) + details, str(error)
    except DeliverybotError as error:
        return build_error(str(error)), str(error)
    return pointer(started)


def pointer(started: delivery.Started) -> Reply:
    no = started.card.order.order_no
    return build_pointer(no, resumed=started.resumed), f"Order {no}: continue in our DM"


def cancel_draft(services: Services, user: str, order_no: str) -> Reply:
    person = directory.lookup(services, user)
    try:
        with writing(services) as session:
            draft = delivery.cancel(
                session,
                order_no=order_no,
                user=user,
                identities=person.identities,
                now=services.clock.now(),
            )
    except DeliverybotError as error:
        return build_error(str(error)), str(error)
    return build_cancelled(order_no.strip(), holder=draft.holder, by=user)


def list_orders(services: Services, user: str) -> Reply:
    person = directory.lookup(services, user)
    with services.read_session_factory() as session:
        cards = orders.orders_for_seller(session, person.identities, limit=LIST_LIMIT)
        total = orders.count_for_seller(
            session, person.identities, SupervisionState.AWAITING_DELIVERY
        )
    return build_order_list(cards, total=total), "Orders waiting for delivery"


def handle_deliver(ack: Ack, command: dict, context: dict) -> None:
    services: Services = context["services"]
    user = command["user_id"]
    words = command.get("text", "").split()
    first = words[0].lower() if words else ""
    if first in ("help", "?"):
        blocks, text = build_help(), "How to use /deliver"
    elif first == "cancel" and len(words) < 2:
        blocks, text = build_error(f"Which order? Type `{COMMAND} cancel 12345`."), "Which order?"
    elif first == "cancel":
        blocks, text = cancel_draft(services, user, words[1])
    elif words:
        blocks, text = start_delivery(services, user, words[-1])
    else:
        blocks, text = list_orders(services, user)
    ack(blocks=blocks, text=text, response_type="ephemeral")


def register(app: App) -> None:
    app.command(COMMAND)(handle_deliver)
