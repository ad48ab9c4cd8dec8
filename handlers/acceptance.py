"""The customer's buttons (Accept, Request changes) and the Request-changes modal."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from bot.acceptance import decision as acceptance
from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId, BlockId, CallbackId
from bot.orders import customers
from bot.slack.inbound.payloads import Click, OpeningClick
from bot.slack.services import Services
from bot.supervision.views.customer import build_changes_modal
from handlers.boundary import on_click, on_submission
from handlers.inputs import ChangesSubmission, CustomerButton


def _refuse(respond: Respond, error: DeliverybotError) -> None:
    respond(text=f":warning: {error}", response_type="ephemeral", replace_original=False)


def _clicked(
    click: Click[CustomerButton], services: Services
) -> tuple[str, int, customers.Clicker]:
    """The order and delivery a button names, and who clicked, looked up on Slack
    before any write transaction opens."""
    order_no, delivery_id = click.action.value
    return order_no, delivery_id, customers.clicker_for(services, click.user.id, order_no)


def handle_accept(click: Click[CustomerButton], respond: Respond, services: Services) -> None:
    order_no, delivery_id, clicker = _clicked(click, services)
    try:  # refused once the transaction is over: on SQLite its lock would hold everyone up
        with services.session_factory() as session:
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
    click: OpeningClick[CustomerButton], respond: Respond, services: Services
) -> None:
    order_no, delivery_id, clicker = _clicked(click, services)
    try:  # as in handle_accept
        with services.session_factory() as session:
            _, delivery = acceptance.waiting_delivery(
                session, order_no, delivery_id, clicker, "request_changes", now=services.clock.now()
            )
            session.commit()
    except DeliverybotError as error:
        _refuse(respond, error)
        return
    modal = build_changes_modal(order_no, delivery_id, delivery.round)
    services.client.views_open(trigger_id=click.trigger_id, view=modal)


def handle_changes_submitted(ack: Ack, submission: ChangesSubmission, services: Services) -> None:
    order_no, delivery_id = submission.view.private_metadata
    clicker = customers.clicker_for(services, submission.user.id, order_no)
    with services.session_factory() as session:
        try:
            acceptance.request_changes(
                session,
                order_no=order_no,
                delivery_id=delivery_id,
                clicker=clicker,
                reason=submission.view.reason,
                now=services.clock.now(),
            )
        except DeliverybotError as error:
            ack(response_action="errors", errors={BlockId.CHANGES_REASON: str(error)})
            return
    ack()
    services.notify_outbox()


def handle_open_in_browser(ack: Ack) -> None:
    """A link button: the browser opens the page; Slack still tells us of the click."""
    ack()


def register(app: App) -> None:
    app.action(ActionId.OPEN_IN_BROWSER)(handle_open_in_browser)
    app.action(ActionId.ACCEPT)(on_click(Click[CustomerButton], handle_accept))
    app.action(ActionId.REQUEST_CHANGES)(
        on_click(OpeningClick[CustomerButton], handle_request_changes)
    )
    app.view(CallbackId.REQUEST_CHANGES)(on_submission(ChangesSubmission, handle_changes_submitted))
