"""/deliver: list, start or resume a delivery, cancel a draft, help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import delivery, directory, orders
from bot.delivery_errors import HeldByTeammate
from bot.errors import DeliverybotError
from bot.ids import COMMAND
from bot.services import Services
from bot.views.delivery_replies import build_held_by, build_pointer
from bot.views.orders import build_error, build_help, build_order_list


def start_delivery(
    services: Services, user: str, order_no: str
) -> tuple[list[dict[str, Any]], str]:
    """Start or resume the delivery of `order_no` for `user`: the reply to show them."""
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()  # keep the refreshed profile
        try:
            started = delivery.start_or_resume(
                session,
                order_no=order_no,
                user=user,
                identities=identities,
                now=services.clock.now(),
                default_kinds=services.settings.required_proof_kinds,
            )
        except HeldByTeammate as error:
            return build_held_by(str(error), error.delivery_id), str(error)
        except DeliverybotError as error:
            return build_error(str(error)), str(error)
        session.commit()
    services.notify_outbox()
    no = started.card.order.order_no
    return build_pointer(no, resumed=started.resumed), f"Order {no}: continue in our DM"


def cancel_draft(services: Services, user: str, order_no: str) -> tuple[list[dict[str, Any]], str]:
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        try:
            delivery.cancel(
                session,
                order_no=order_no,
                user=user,
                identities=identities,
                now=services.clock.now(),
            )
        except DeliverybotError as error:
            return build_error(str(error)), str(error)
        session.commit()
    services.notify_outbox()
    message = f"Discarded the delivery draft of order {order_no.strip()}. The audit trail keeps it."
    return [_text(message)], message


def _text(message: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": message}}


def handle_deliver(ack: Ack, command: dict, context: dict) -> None:
    services: Services = context["services"]
    user = command["user_id"]
    words = command.get("text", "").split()
    if words and words[0].lower() in ("help", "?"):
        ack(blocks=build_help(), text="How to use /deliver", response_type="ephemeral")
        return
    if words and words[0].lower() == "cancel":
        if len(words) < 2:
            ack(text=f"Which order? Type `{COMMAND} cancel 12345`.", response_type="ephemeral")
            return
        blocks, text = cancel_draft(services, user, words[1])
        ack(blocks=blocks, text=text, response_type="ephemeral")
        return
    if words:
        blocks, text = start_delivery(services, user, words[-1])
        ack(blocks=blocks, text=text, response_type="ephemeral")
        return
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()  # keep the refreshed profile
        cards = orders.orders_for_seller(session, identities, limit=50)
    ack(
        blocks=build_order_list(cards, total=len(cards)),
        text="Orders waiting for delivery",
        response_type="ephemeral",
    )


def register(app: App) -> None:
    app.command(COMMAND)(handle_deliver)
