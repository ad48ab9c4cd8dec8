"""Button clicks, selects and pickers: the Deliver button and the delivery conversation.

Every click re-checks, at click time, that the clicker is a seller of the order and holds
the draft, and that the draft is still open: double clicks and clicks on old messages
change nothing twice and get a reply saying where things stand.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot import dates, delivery, delivery_dm, delivery_files, delivery_steps, directory
from bot.errors import DeliverybotError
from bot.ids import ActionId
from bot.services import Services
from bot.views.delivery_replies import build_pointer
from bot.views.orders import build_error
from bot.views.template import build_template_modal
from handlers.commands import start_delivery


def tell(services: Services, body: dict, respond: Respond, blocks: list, text: str) -> None:
    """Reply to the clicker only: ephemeral where Slack gave a response_url, else a DM."""
    if body.get("response_url"):
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
        return
    with services.session_factory() as session:
        delivery_dm.say(
            session,
            user=body["user"]["id"],
            key=f"reply:{uuid.uuid4().hex}",
            blocks=blocks,
            text=text,
            now=services.clock.now(),
        )
        session.commit()
    services.notify_outbox()


def on_draft(
    services: Services,
    body: dict,
    respond: Respond,
    delivery_id: str,
    step: Callable[[Session, Any, Any, str, set[str], datetime], None],
) -> None:
    """Run `step(session, draft, card, user, identities, now)` on a draft the clicker holds."""
    user = body["user"]["id"]
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()
        try:
            draft, card = delivery.held_draft(
                session, delivery_id, user=user, identities=identities
            )
            step(session, draft, card, user, identities, services.clock.now())
        except DeliverybotError as error:
            session.rollback()
            tell(services, body, respond, build_error(str(error)), str(error))
            return
        session.commit()
    services.notify_outbox()


def handle_deliver_button(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict
) -> None:
    ack()
    services: Services = context["services"]
    blocks, text = start_delivery(services, body["user"]["id"], action["value"])
    tell(services, body, respond, blocks, text)


def handle_enabling_date(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict
) -> None:
    ack()
    services: Services = context["services"]
    delivery_id = action["block_id"].rpartition(":")[2]

    def step(session, draft, card, user, identities, now):
        tz = directory.time_zone(session, services.client, services.clock, user)
        value = dates.from_picker(action["selected_date"], tz=tz)
        delivery_steps.set_enabling_time(
            session, draft, card, value=value, user=user, tz=tz, now=now
        )

    on_draft(services, body, respond, delivery_id, step)


def handle_not_stated(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]

    def step(session, draft, card, user, identities, now):
        tz = directory.time_zone(session, services.client, services.clock, user)
        delivery_steps.set_enabling_time(
            session, draft, card, value=None, user=user, tz=tz, now=now
        )

    on_draft(services, body, respond, action["value"], step)


def handle_use_reading(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    delivery_id, _, iso = action["value"].partition("|")

    def step(session, draft, card, user, identities, now):
        tz = directory.time_zone(session, services.client, services.clock, user)
        value = datetime.fromisoformat(iso)
        delivery_steps.set_enabling_time(
            session,
            draft,
            card,
            value=value,
            user=user,
            tz=tz,
            now=now,
            typed=f"the other reading, {dates.format_local(value, tz)}",
        )

    on_draft(services, body, respond, delivery_id, step)


def handle_open_template(
    ack: Ack, body: dict, action: dict, respond: Respond, context: dict, client
) -> None:
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()
        try:
            draft, card = delivery.held_draft(
                session, action["value"], user=user, identities=identities
            )
        except DeliverybotError as error:
            tell(services, body, respond, build_error(str(error)), str(error))
            return
        view = build_template_modal(card, draft)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_submit(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    delivery_files.fetch_pending(
        session_factory=services.session_factory,
        client=services.client,
        settings=services.settings,
        delivery_id=int(action["value"]),
        now=services.clock.now(),
    )

    def step(session, draft, card, user, identities, now):
        delivery.submit_delivery(
            session,
            delivery_id=draft.id,
            user=user,
            identities=identities,
            now=now,
            default_kinds=services.settings.required_proof_kinds,
        )

    on_draft(services, body, respond, action["value"], step)


def handle_take_over(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        session.commit()
        try:
            started = delivery.take_over(
                session,
                delivery_id=action["value"],
                user=user,
                identities=identities,
                now=services.clock.now(),
            )
        except DeliverybotError as error:
            session.rollback()
            tell(services, body, respond, build_error(str(error)), str(error))
            return
        session.commit()
    services.notify_outbox()
    no = started.card.order.order_no
    tell(
        services, body, respond, build_pointer(no, resumed=True), f"Order {no}: continue in our DM"
    )


def handle_cancel(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    from handlers.commands import cancel_draft

    services: Services = context["services"]
    blocks, text = cancel_draft(services, body["user"]["id"], action["value"])
    tell(services, body, respond, blocks, text)


def register(app: App) -> None:
    app.action(ActionId.DELIVER)(handle_deliver_button)
    app.action(ActionId.ENABLING_DATE)(handle_enabling_date)
    app.action(ActionId.ENABLING_NOT_STATED)(handle_not_stated)
    app.action(ActionId.ENABLING_USE)(handle_use_reading)
    app.action(ActionId.OPEN_TEMPLATE)(handle_open_template)
    app.action(ActionId.SUBMIT)(handle_submit)
    app.action(ActionId.TAKE_OVER)(handle_take_over)
    app.action(ActionId.CANCEL_DRAFT)(handle_cancel)
