"""Button clicks, selects and pickers: the Deliver button and the delivery conversation.

Every click re-checks, at click time, that the clicker is a seller of the order and holds
the draft, and that the draft is still open: double clicks and clicks on old messages
change nothing twice and get a reply saying where things stand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_bolt import Ack, App, Respond

from bot.core import dates
from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId
from bot.delivery import drafts as delivery
from bot.delivery import steps as delivery_steps
from bot.delivery.views.template import build_template_modal
from bot.orders.queries import OrderCard
from bot.slack import directory
from bot.slack.services import Services
from handlers.conversation import (
    Step,
    cancel_draft,
    on_draft,
    pointer,
    refuse,
    start_delivery,
    tell,
    writing,
)
from storage.models import Delivery


def handle_deliver_button(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict
) -> None:
    ack()
    services: Services = context["services"]
    tell(services, body, respond, start_delivery(services, body["user"]["id"], action["value"]))


def _enabling_step(value: Callable[[str], datetime | None], typed: str | None = None) -> Step:
    """A step recording the enabling time `value(tz)`, tz being the clicker's time zone."""

    def step(session, draft, card, person, now):
        delivery_steps.set_enabling_time(
            session,
            draft,
            card,
            value=value(person.tz),
            user=person.user_id,
            tz=person.tz,
            now=now,
            typed=typed,
        )

    return step


def handle_enabling_date(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict
) -> None:
    ack()
    step = _enabling_step(lambda tz: dates.from_picker(action["selected_date"], tz=tz))
    on_draft(context["services"], body, respond, action["block_id"].rpartition(":")[2], step)


def handle_not_stated(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    on_draft(context["services"], body, respond, action["value"], _enabling_step(lambda tz: None))


def handle_use_reading(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    delivery_id, _, iso = action["value"].partition("|")
    step = _enabling_step(lambda tz: datetime.fromisoformat(iso), typed=f"the other reading {iso}")
    on_draft(context["services"], body, respond, delivery_id, step)


def read_held(
    services: Services, body: dict, respond: Respond, delivery_id: int | str
) -> tuple[Delivery, OrderCard] | None:
    """The draft, read only, if the clicker holds it; else they are told why, and None."""
    person = directory.lookup(services, body["user"]["id"])
    with services.read_session_factory() as session:
        try:
            return delivery.held_draft(
                session, delivery_id, user=person.user_id, identities=person.identities
            )
        except DeliverybotError as error:
            session.rollback()
            refuse(services, body, respond, error)
            return None


def handle_open_template(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict, client
) -> None:
    ack()
    held = read_held(context["services"], body, respond, action["value"])
    if held:
        draft, card = held
        client.views_open(trigger_id=body["trigger_id"], view=build_template_modal(card, draft))


def handle_submit(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]

    def step(session, draft, card, person, now):
        delivery.submit_delivery(
            session,
            delivery_id=draft.id,
            user=person.user_id,
            identities=person.identities,
            now=now,
            default_kinds=services.settings.required_proof_kinds,
        )

    on_draft(services, body, respond, action["value"], step)


def handle_take_over(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    person = directory.lookup(services, body["user"]["id"])
    try:
        with writing(services) as session:
            started = delivery.take_over(
                session,
                delivery_id=action["value"],
                user=person.user_id,
                identities=person.identities,
                now=services.clock.now(),
            )
    except DeliverybotError as error:
        refuse(services, body, respond, error)
        return
    tell(services, body, respond, pointer(started))


def handle_cancel(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    tell(services, body, respond, cancel_draft(services, body["user"]["id"], action["value"]))


def register(app: App) -> None:
    app.action(ActionId.DELIVER)(handle_deliver_button)
    app.action(ActionId.ENABLING_DATE)(handle_enabling_date)
    app.action(ActionId.ENABLING_NOT_STATED)(handle_not_stated)
    app.action(ActionId.ENABLING_USE)(handle_use_reading)
    app.action(ActionId.OPEN_TEMPLATE)(handle_open_template)
    app.action(ActionId.SUBMIT)(handle_submit)
    app.action(ActionId.TAKE_OVER)(handle_take_over)
    app.action(ActionId.CANCEL_DRAFT)(handle_cancel)
