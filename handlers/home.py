"""The Home tab: published when the seller opens it; its Find order button."""

from __future__ import annotations

from slack_bolt import App, Respond

from bot.core.ids import ActionId
from bot.home import page as home
from bot.home.views import build_find_order_modal
from bot.slack import directory
from bot.slack.inbound.payloads import HomeOpened
from bot.slack.services import Services
from bot.supervision.decisions import is_ops_staff
from handlers.boundary import on_click, on_event
from handlers.inputs import FindOrderClick, HomeOpenedCallback


def handle_home_opened(event: HomeOpened, services: Services) -> None:
    """Asks for the Home to be published: the outbox renders it when it sends it."""
    if event.tab != "home":
        return
    # the Home reads their e-mail and time zone from the cache
    directory.lookup_for_ack(services, event.user)
    settings = services.settings
    ops = bool(settings.ops_channel or settings.ops_usergroup) and is_ops_staff(
        services.client, settings, event.user
    )  # operations staff also see the marketplace's totals
    with services.session_factory() as session:
        home.publish_for_user(session, user=event.user, now=services.clock.now(), ops=ops)
        session.commit()
    services.notify_outbox()


def handle_find_order(click: FindOrderClick, respond: Respond, services: Services) -> None:
    services.client.views_open(trigger_id=click.trigger_id, view=build_find_order_modal())


def register(app: App) -> None:
    app.action(ActionId.FIND_ORDER)(on_click(FindOrderClick, handle_find_order))
    app.event("app_home_opened")(on_event(HomeOpenedCallback, handle_home_opened))
