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
    """Rendered from a read-only session; only queueing it takes a (short) write."""
    if event.tab != "home":
        return
    directory.lookup(
        services, event.user
    )  # the Home reads their e-mail and time zone from the cache
    now = services.clock.now()
    settings = services.settings
    ops = bool(settings.ops_channel or settings.ops_usergroup) and is_ops_staff(
        services.client, settings, event.user
    )  # operations staff also see the marketplace's totals
    with services.read_session_factory() as session:
        rendered = home.render(session, user=event.user, now=now, ops=ops)
    with services.session_factory() as session:
        home.queue_rendered(session, user=event.user, rendered=rendered, now=now)
        session.commit()
    services.notify_outbox()


def handle_find_order(click: FindOrderClick, respond: Respond, services: Services) -> None:
    services.client.views_open(trigger_id=click.trigger_id, view=build_find_order_modal())


def register(app: App) -> None:
    app.action(ActionId.FIND_ORDER)(on_click(FindOrderClick, handle_find_order))
    app.event("app_home_opened")(on_event(HomeOpenedCallback, handle_home_opened))
