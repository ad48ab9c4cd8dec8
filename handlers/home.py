"""The Home tab: published when the seller opens it; its Find order button."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core.ids import ActionId
from bot.home import page as home
from bot.home.views import build_find_order_modal
from bot.slack import directory
from bot.slack.services import Services


def handle_home_opened(event: dict, context: dict) -> None:
    """Rendered from a read-only session; only queueing it takes a (short) write."""
    if event.get("tab", "home") != "home":
        return
    services: Services = context["services"]
    user = event["user"]
    directory.lookup(services, user)  # the Home reads their e-mail and time zone from the cache
    now = services.clock.now()
    with services.read_session_factory() as session:
        rendered = home.render(session, user=user, now=now)
    with services.session_factory() as session:
        home.queue_rendered(session, user=user, rendered=rendered, now=now)
        session.commit()
    services.notify_outbox()


def handle_find_order(ack: Ack, body: dict, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=build_find_order_modal())


def register(app: App) -> None:
    app.action(ActionId.FIND_ORDER)(handle_find_order)
    app.event("app_home_opened")(handle_home_opened)
