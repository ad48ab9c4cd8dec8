"""/deliver: list, start or resume a delivery, cancel a draft, help."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.core.ids import COMMAND
from bot.orders import queries as orders
from bot.orders.views import (
    COUNT_UP_TO,
    LIST_LIMIT,
    build_error,
    build_help,
    build_order_list,
)
from bot.slack import directory
from bot.slack.inbound.payloads import SlashCommand
from bot.slack.services import Services
from handlers.boundary import on_command
from handlers.conversation import Reply, cancel_draft, start_delivery
from storage.states import SupervisionState


def list_orders(services: Services, user: str) -> Reply:
    person = directory.lookup_for_ack(services, user)
    with services.read_session_factory() as session:
        cards = orders.orders_for_seller(session, person.identities, limit=LIST_LIMIT)
        total = orders.count_for_seller(
            session,
            person.identities,
            SupervisionState.AWAITING_DELIVERY,
            at_most=COUNT_UP_TO + 1,
        )
    return build_order_list(cards, total=total), "Orders waiting for delivery"


def handle_deliver(ack: Ack, command: SlashCommand, services: Services) -> None:
    user = command.user_id
    words = command.text.split()
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
    app.command(COMMAND)(on_command(handle_deliver))
