"""Modal submissions: the delivery template (validated in the modal) and Find order."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.core.errors import DeliverybotError
from bot.core.ids import BlockId, CallbackId
from bot.delivery import drafts as delivery
from bot.delivery import steps as delivery_steps
from bot.home.views import build_order_modal
from bot.orders import queries as orders
from bot.orders.template import read_answers
from bot.orders.views import build_order_details
from bot.slack import directory
from bot.slack.services import Services
from handlers.boundary import on_submission
from handlers.inputs import FindOrderSubmission, TemplateSubmission


def handle_template(ack: Ack, submission: TemplateSubmission, services: Services) -> None:
    view = submission.view
    person = directory.lookup_for_ack(services, submission.user.id)
    with services.session_factory() as session:
        try:
            draft, card = delivery.held_draft(
                session, view.private_metadata, user=person.user_id, identities=person.identities
            )
        except DeliverybotError as error:
            first = view.blocks[0].block_id if view.blocks else None
            ack(response_action="errors", errors={first or "": str(error)[:150]})
            return
        template = card.product.delivery_template or []
        answers, errors = read_answers(template, view.state.as_dicts())
        if errors:
            ack(response_action="errors", errors=errors)
            return
        delivery_steps.save_template_answers(
            session, draft, card, answers=answers, user=person.user_id, now=services.clock.now()
        )
        session.commit()
    ack()
    services.notify_outbox()


def handle_find_order(ack: Ack, submission: FindOrderSubmission, services: Services) -> None:
    person = directory.lookup_for_ack(services, submission.user.id)
    with services.read_session_factory() as session:
        try:
            card = orders.order_for_seller(session, submission.view.typed, person.identities)
        except DeliverybotError as error:
            ack(response_action="errors", errors={BlockId.FIND_ORDER_INPUT: str(error)[:150]})
            return
        details = build_order_details(card)
    ack(response_action="update", view=build_order_modal(details, card.order.order_no))


def register(app: App) -> None:
    app.view(CallbackId.TEMPLATE)(on_submission(TemplateSubmission, handle_template))
    app.view(CallbackId.FIND_ORDER)(on_submission(FindOrderSubmission, handle_find_order))
