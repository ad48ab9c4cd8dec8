"""The Home tab: published when the seller opens it; its Find order button."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot import directory, home
from bot.ids import ActionId
from bot.services import Services
from bot.views.home import build_find_order_modal


def handle_home_opened(event: dict, context: dict) -> None:
    if event.get("tab", "home") != "home":
        return
    services: Services = context["services"]
    user = event["user"]
    with services.session_factory() as session:
        directory.identities(session, services.client, services.clock, user)  # cache e-mail, tz
        home.publish_for_user(session, user=user, now=services.clock.now())
        session.commit()
    services.notify_outbox()


def handle_find_order(ack: Ack, body: dict, client) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=build_find_order_modal())


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ActionId.FIND_ORDER)(handle_find_order)
