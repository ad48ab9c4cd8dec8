"""/deliver: list, start or resume a delivery, cancel a draft, help."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from bot.core.ids import COMMAND, ActionId
from bot.orders import waiting
from bot.orders.views import (
    COUNT_UP_TO,
    LIST_LIMIT,
    build_error,
    build_help,
    build_order_list,
    page_value,
)
from bot.slack import directory
from bot.slack.inbound.payloads import SlashCommand
from bot.slack.services import Services
from handlers.boundary import on_click, on_command
from handlers.conversation import Reply, cancel_draft, start_delivery
from handlers.inputs import OlderOrdersClick


def list_orders(services: Services, user: str, *, before: waiting.Cursor | None = None) -> Reply:
    """A page of the seller's orders waiting for delivery: a bounded number of indexed reads
    (the page, one more to know if there is a next, and a count that stops at COUNT_UP_TO),
    whatever their total."""
    with services.read_session_factory() as session:
        person = directory.lookup_for_ack(services, user, session)
        page = waiting.waiting_page(session, person.identities, limit=LIST_LIMIT + 1, before=before)
        total = waiting.count_waiting(session, person.identities, at_most=COUNT_UP_TO + 1)
    older = page_value(page[LIST_LIMIT - 1]) if len(page) > LIST_LIMIT else None
    blocks = build_order_list(page[:LIST_LIMIT], total=total, older=older, first=before is None)
    return blocks, "Orders waiting for delivery"


def handle_older_orders(click: OlderOrdersClick, respond: Respond, services: Services) -> None:
    order_id, placed_at = click.action.value
    blocks, text = list_orders(services, click.user.id, before=(placed_at, order_id))
    respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=True)


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
    app.action(ActionId.OLDER_ORDERS)(on_click(OlderOrdersClick, handle_older_orders))
