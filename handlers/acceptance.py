"""The customer's buttons (Accept, Request changes) and the Request-changes modal."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.acceptance import decision as acceptance
from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId, BlockId, CallbackId
from bot.orders import customers
from bot.slack.services import Services
from bot.supervision.views.customer import (
    build_changes_modal,
    parse_button_value,
    parse_changes_modal,
)


def _refuse(respond: Respond, error: DeliverybotError) -> None:
    respond(text=f":warning: {error}", response_type="ephemeral", replace_original=False)


def _clicked(body: dict, value: str, services: Services) -> tuple[str, int, customers.Clicker]:
    """The order and delivery a button names, and who clicked, looked up on Slack
    before any write transaction opens."""
    order_no, delivery_id = parse_button_value(value)
    return order_no, delivery_id, customers.clicker_for(services, body["user"]["id"], order_no)


def handle_accept(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]
    order_no, delivery_id, clicker = _clicked(body, action["value"], services)
    with services.session_factory() as session:
        try:
            acceptance.accept(
                session,
                order_no=order_no,
                delivery_id=delivery_id,
                clicker=clicker,
                now=services.clock.now(),
            )
        except DeliverybotError as error:
            _refuse(respond, error)
            return
    services.notify_outbox()


def handle_request_changes(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, context: dict
) -> None:
    ack()
    services: Services = context["services"]
    order_no, delivery_id, clicker = _clicked(body, action["value"], services)
    with services.session_factory() as session:
        try:
            _, delivery = acceptance.waiting_delivery(
                session, order_no, delivery_id, clicker, "request_changes", now=services.clock.now()
            )
        except DeliverybotError as error:
            _refuse(respond, error)
            return
        session.commit()
        modal = build_changes_modal(order_no, delivery_id, delivery.round)
    client.views_open(trigger_id=body["trigger_id"], view=modal)


def handle_changes_submitted(ack: Ack, body: dict, view: dict, context: dict) -> None:
    services: Services = context["services"]
    order_no, delivery_id, reason = parse_changes_modal(view)
    clicker = customers.clicker_for(services, body["user"]["id"], order_no)
    with services.session_factory() as session:
        try:
            acceptance.request_changes(
                session,
                order_no=order_no,
                delivery_id=delivery_id,
                clicker=clicker,
                reason=reason,
                now=services.clock.now(),
            )
        except DeliverybotError as error:
            ack(response_action="errors", errors={BlockId.CHANGES_REASON: str(error)})
            return
    ack()
    services.notify_outbox()


def register(app: App) -> None:
    app.action(ActionId.ACCEPT)(handle_accept)
    app.action(ActionId.REQUEST_CHANGES)(handle_request_changes)
    app.view(CallbackId.REQUEST_CHANGES)(handle_changes_submitted)
