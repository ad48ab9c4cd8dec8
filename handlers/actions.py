"""Button clicks."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from bot import directory, orders
from bot.errors import DeliverybotError
from bot.ids import ActionId
from bot.services import Services
from bot.views.orders import build_error, build_order_details


def handle_deliver_button(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict
) -> None:
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()
        try:
            card = orders.order_for_seller(session, action["value"], identities, for_delivery=True)
        except DeliverybotError as error:
            respond(blocks=build_error(str(error)), text=str(error), replace_original=False)
            return
        respond(blocks=build_order_details(card), text=f"Order {card.order.order_no}",
                replace_original=False)  # fmt: skip


def register(app: App) -> None:
    app.action(ActionId.DELIVER)(handle_deliver_button)
