"""Button clicks, selects and pickers: the Deliver button and the delivery conversation.

Every click re-checks, at click time, that the clicker is a seller of the order and holds
the draft, and that the draft is still open: double clicks and clicks on old messages
change nothing twice and get a reply saying where things stand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, Respond

from bot.core import dates
from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId
from bot.delivery import drafts as delivery
from bot.delivery import steps as delivery_steps
from bot.delivery.views.template import build_template_modal
from bot.orders.queries import OrderCard
from bot.slack import directory
from bot.slack.inbound.payloads import Click
from bot.slack.services import Services
from handlers.boundary import on_click
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
from handlers.inputs import (
    DraftClick,
    EnablingDate,
    OrderClick,
    OtherReading,
    StepButton,
    TemplateClick,
)
from storage.models import Delivery


def handle_deliver_button(click: OrderClick, respond: Respond, services: Services) -> None:
    tell(services, click, respond, start_delivery(services, click.user.id, click.action.value))


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


def handle_enabling_date(click: Click[EnablingDate], respond: Respond, services: Services) -> None:
    picked = click.action.selected_date
    step = _enabling_step(lambda tz: dates.from_picker(picked, tz=tz))
    on_draft(services, click, respond, click.action.block_id, step)


def handle_not_stated(click: DraftClick, respond: Respond, services: Services) -> None:
    on_draft(services, click, respond, click.action.value, _enabling_step(lambda tz: None))


def handle_change_step(click: Click[StepButton], respond: Respond, services: Services) -> None:
    delivery_id, shown = click.action.value

    def step(session, draft, card, person, now):
        delivery_steps.show_step(session, draft, card, step=shown, now=now)

    on_draft(services, click, respond, delivery_id, step)


def handle_use_reading(click: Click[OtherReading], respond: Respond, services: Services) -> None:
    delivery_id, when = click.action.value
    step = _enabling_step(lambda tz: when, typed=f"the other reading {when.isoformat()}")
    on_draft(services, click, respond, delivery_id, step)


def read_held(
    services: Services, click: Click[Any], respond: Respond, delivery_id: int
) -> tuple[Delivery, OrderCard] | None:
    """The draft, read only, if the clicker holds it; else they are told why, and None."""
    person = directory.lookup_for_ack(services, click.user.id)
    with services.read_session_factory() as session:
        try:
            return delivery.held_draft(
                session, delivery_id, user=person.user_id, identities=person.identities
            )
        except DeliverybotError as error:
            session.rollback()
            refuse(services, click, respond, error)
            return None


def handle_open_template(click: TemplateClick, respond: Respond, services: Services) -> None:
    held = read_held(services, click, respond, click.action.value)
    if held:
        draft, card = held
        services.client.views_open(
            trigger_id=click.trigger_id, view=build_template_modal(card, draft)
        )


def handle_submit(click: DraftClick, respond: Respond, services: Services) -> None:
    def step(session, draft, card, person, now):
        delivery.submit_delivery(
            session,
            delivery_id=draft.id,
            user=person.user_id,
            identities=person.identities,
            now=now,
            default_kinds=services.settings.required_proof_kinds,
        )

    on_draft(services, click, respond, click.action.value, step)


def handle_take_over(click: DraftClick, respond: Respond, services: Services) -> None:
    person = directory.lookup_for_ack(services, click.user.id)
    try:
        with writing(services) as session:
            started = delivery.take_over(
                session,
                delivery_id=click.action.value,
                user=person.user_id,
                identities=person.identities,
                now=services.clock.now(),
            )
    except DeliverybotError as error:
        refuse(services, click, respond, error)
        return
    tell(services, click, respond, pointer(started))


def handle_cancel(click: OrderClick, respond: Respond, services: Services) -> None:
    tell(services, click, respond, cancel_draft(services, click.user.id, click.action.value))


def register(app: App) -> None:
    app.action(ActionId.DELIVER)(on_click(OrderClick, handle_deliver_button))
    app.action(ActionId.ENABLING_DATE)(on_click(Click[EnablingDate], handle_enabling_date))
    app.action(ActionId.ENABLING_NOT_STATED)(on_click(DraftClick, handle_not_stated))
    app.action(ActionId.ENABLING_USE)(on_click(Click[OtherReading], handle_use_reading))
    app.action(ActionId.OPEN_TEMPLATE)(on_click(TemplateClick, handle_open_template))
    app.action(ActionId.CHANGE_STEP)(on_click(Click[StepButton], handle_change_step))
    app.action(ActionId.SUBMIT)(on_click(DraftClick, handle_submit))
    app.action(ActionId.TAKE_OVER)(on_click(DraftClick, handle_take_over))
    app.action(ActionId.CANCEL_DRAFT)(on_click(OrderClick, handle_cancel))
