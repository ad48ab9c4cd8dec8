"""/deliver: list, show, help."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot import directory, orders
from bot.errors import DeliverybotError
from bot.ids import COMMAND
from bot.services import Services
from bot.views.orders import build_error, build_help, build_order_details, build_order_list


def handle_deliver(ack: Ack, command: dict, context: dict) -> None:
    services: Services = context["services"]
    user = command["user_id"]
    words = command.get("text", "").split()
    if words and words[0].lower() in ("help", "?"):
        ack(blocks=build_help(), text="How to use /deliver", response_type="ephemeral")
        return
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()  # keep the refreshed profile
        try:
            if not words:
                cards = orders.orders_for_seller(session, identities, limit=50)
                ack(blocks=build_order_list(cards, total=len(cards)), text="Orders waiting for delivery",
                    response_type="ephemeral")  # fmt: skip
                return
            card = orders.order_for_seller(session, words[-1], identities, for_delivery=True)
        except DeliverybotError as error:
            ack(blocks=build_error(str(error)), text=str(error), response_type="ephemeral")
            return
        ack(blocks=build_order_details(card), text=f"Order {card.order.order_no}",
            response_type="ephemeral")  # fmt: skip


def register(app: App) -> None:
    app.command(COMMAND)(handle_deliver)
