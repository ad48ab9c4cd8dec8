"""Silent customers and appeals: Remind again now, the appeal modals, operations' decisions,
and the Evidence pack button on a case."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.core.dates import format_local
from bot.core.errors import DeliverybotError
from bot.core.filestore import store_for
from bot.core.ids import ActionId, BlockId, CallbackId
from bot.evidence.share import share_pack
from bot.orders import contacts, customers
from bot.orders import queries as orders
from bot.orders.calendar import customer_time_zone
from bot.slack import directory
from bot.slack.inbound.payloads import Click, OpeningClick
from bot.slack.services import Services
from bot.supervision import appeals, decisions, escalation
from bot.supervision.appeal_terms import Decision
from bot.supervision.views.appeal_forms import (
    build_customer_appeal_modal,
    build_decision_modal,
    build_seller_appeal_modal,
)
from handlers.boundary import on_click, on_submission
from handlers.inputs import AppealButton, AppealSubmission, DecisionSubmission, OrderButton
from storage.models import Appeal, Order
from storage.rows import get_row


def _say(respond: Respond, message: str) -> None:
    respond(text=message, response_type="ephemeral", replace_original=False)


def _seller_order(services: Services, session: Session, user: str, order_no: str) -> Order:
    identities = directory.lookup_for_ack(services, user).identities
    return orders.order_for_seller(session, order_no, identities).order


def _appellant_order(
    services: Services, session: Session, user: str, order_no: str, role: str
) -> Order:
    """The order, if `user` may appeal it in this role (a seller of it, or its customer; a
    refused customer is audited like a refused Accept)."""
    if role == "seller":
        return _seller_order(services, session, user, order_no)
    clicker = customers.clicker_for(services, user, order_no)
    return customers.customer_order(
        session, order_no, clicker, action="appeal", now=services.clock.now()
    )


def handle_remind_again(click: Click[OrderButton], respond: Respond, services: Services) -> None:
    user, now = click.user.id, services.clock.now()
    try:  # refused once the transaction is over: its locks would hold others up meanwhile
        with services.session_factory() as session:
            order = _seller_order(services, session, user, click.action.value)
            due = escalation.remind_now(
                session,
                order=order,
                by=user,
                now=now,
                working_hours=services.settings.working_hours,
            )
            tz = customer_time_zone(session, order)
            session.commit()
    except DeliverybotError as error:
        return _say(respond, f":warning: {error}")
    when = (
        "in a moment"
        if due <= now
        else f"at {format_local(due, tz)}, the start of their working day"
    )
    _say(respond, f"OK, I'll remind the customer of order {order.order_no} again {when}.")


def handle_appeal_button(
    click: OpeningClick[OrderButton], respond: Respond, services: Services
) -> None:
    """Initiate appeal (a seller) or Appeal (the customer): the appeal modal, if they may."""
    user, now = click.user.id, services.clock.now()
    role = "customer" if click.action.action_id == ActionId.CUSTOMER_APPEAL else "seller"
    try:  # as in handle_remind_again
        with services.session_factory() as session:  # a refused customer is audited
            order = _appellant_order(services, session, user, click.action.value, role)
            appeals.check_may_appeal(order, role=role, now=now)
            if role == "customer":
                why = appeals.customer_may_appeal(order, now)
                assert why is not None  # check_may_appeal let this customer appeal
                view = build_customer_appeal_modal(order_no=order.order_no, why=why)
            else:
                view = build_seller_appeal_modal(
                    order_no=order.order_no, files=appeals.proof_files(session, order)
                )
    except DeliverybotError as error:
        return _say(respond, f":warning: {error}")
    services.client.views_open(trigger_id=click.trigger_id, view=view)


def handle_appeal_submission(ack: Ack, submission: AppealSubmission, services: Services) -> None:
    modal, user, now = submission.view, submission.user.id, services.clock.now()
    role = "seller" if modal.callback_id == CallbackId.SELLER_APPEAL else "customer"
    form = modal.form
    errors = appeals.form_errors(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    with services.session_factory() as session:
        try:
            order = _appellant_order(services, session, user, modal.private_metadata.order_no, role)
            appeals.open_appeal(
                session,
                order=order,
                by=user,
                role=role,
                form=form,
                now=now,
                settings=services.settings,
            )
        except DeliverybotError as error:
            ack(response_action="errors", errors={BlockId.APPEAL_DETAILS: str(error)})
            return
        session.commit()
    ack()
    services.notify_outbox()


def _decide(
    services: Services, *, appeal_id: int, decision: Decision, user: str, reason: str
) -> None:
    with services.read_session_factory() as session:
        appeal = session.get(Appeal, appeal_id)
    if appeal is not None:
        # completing counts the validity on the customer's calendar, even with no delivery yet
        contacts.look_up_customer(services, appeal.order_id)
        # a seller named by id and by e-mail hears the decision once
        contacts.look_up_sellers(services, appeal.order_id)
    with services.session_factory() as session:
        decisions.decide(
            session,
            appeal_id=appeal_id,
            decision=decision,
            by=user,
            reason=reason,
            now=services.clock.now(),
            client=services.client,
            settings=services.settings,
        )
        session.commit()
    services.notify_outbox()


def handle_ops_complete(click: Click[AppealButton], respond: Respond, services: Services) -> None:
    try:
        _decide(
            services,
            appeal_id=click.action.value,
            decision=Decision.COMPLETE,
            user=click.user.id,
            reason="",
        )
    except DeliverybotError as error:
        _say(respond, f":warning: {error}")


def handle_ops_reason_needed(
    click: OpeningClick[AppealButton], respond: Respond, services: Services
) -> None:
    """Return to seller / Reject appeal: ask for the reason in a modal (staff only)."""
    user, appeal_id = click.user.id, click.action.value
    returning = click.action.action_id == ActionId.OPS_RETURN
    decision = Decision.RETURN if returning else Decision.REJECT
    try:  # as in handle_remind_again
        with services.session_factory() as session:
            decisions.authorise_decider(
                session,
                appeal_id=appeal_id,
                user=user,
                now=services.clock.now(),
                client=services.client,
                settings=services.settings,
            )
            appeal = decisions.get_open_appeal(session, appeal_id)
            order = get_row(session, Order, appeal.order_id)
    except DeliverybotError as error:
        return _say(respond, f":warning: {error}")
    view = build_decision_modal(appeal_id=appeal_id, order_no=order.order_no, decision=decision)
    services.client.views_open(trigger_id=click.trigger_id, view=view)


def handle_decision_submission(
    ack: Ack, submission: DecisionSubmission, services: Services
) -> None:
    meta = submission.view.private_metadata
    try:
        _decide(
            services,
            appeal_id=meta.appeal_id,
            decision=meta.decision,
            user=submission.user.id,
            reason=submission.view.reason,
        )
    except DeliverybotError as error:
        ack(response_action="errors", errors={BlockId.DECISION_REASON: str(error)})
        return
    ack()


def handle_evidence_pack(click: Click[AppealButton], respond: Respond, services: Services) -> None:
    """Only operations staff get the pack (it holds both sides' details); it goes to the
    case's thread, where they decide."""
    user = click.user.id
    if not decisions.is_ops_staff(services.client, services.settings, user):
        _say(respond, ":lock: Only the operations team can take an order's evidence pack.")
        return
    try:
        with services.session_factory() as session:
            name = share_pack(
                session,
                appeal_id=click.action.value,
                user=user,
                now=services.clock.now(),
                store=store_for(services.settings),
                key_text=services.settings.evidence_key,
                ops_channel=services.settings.ops_channel,
            )
            session.commit()
    except DeliverybotError as error:
        _say(respond, f":warning: {error}")
        return
    services.notify_outbox()
    _say(respond, f":package: {name} is on its way to this appeal's thread.")


def register(app: App) -> None:
    app.action(ActionId.REMIND_AGAIN)(on_click(Click[OrderButton], handle_remind_again))
    for appeal in (ActionId.INITIATE_APPEAL, ActionId.CUSTOMER_APPEAL):
        app.action(appeal)(on_click(OpeningClick[OrderButton], handle_appeal_button))
    app.action(ActionId.OPS_COMPLETE)(on_click(Click[AppealButton], handle_ops_complete))
    app.action(ActionId.EVIDENCE_PACK)(on_click(Click[AppealButton], handle_evidence_pack))
    for reason_needed in (ActionId.OPS_RETURN, ActionId.OPS_REJECT):
        app.action(reason_needed)(on_click(OpeningClick[AppealButton], handle_ops_reason_needed))
    for modal in (CallbackId.SELLER_APPEAL, CallbackId.CUSTOMER_APPEAL):
        app.view(modal)(on_submission(AppealSubmission, handle_appeal_submission))
    app.view(CallbackId.OPS_DECISION)(on_submission(DecisionSubmission, handle_decision_submission))
