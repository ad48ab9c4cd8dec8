"""Silent customers and appeals: Remind again now, the appeal modals, operations' decisions."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from sqlmodel import Session

from bot.core.dates import format_local
from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId, BlockId, CallbackId
from bot.orders import contacts, customers
from bot.orders import queries as orders
from bot.orders.calendar import customer_time_zone
from bot.slack import directory
from bot.slack.services import Services
from bot.supervision import appeals, decisions, escalation
from bot.supervision.appeal_terms import Decision
from bot.supervision.views.appeal_forms import (
    build_customer_appeal_modal,
    build_decision_modal,
    build_seller_appeal_modal,
    parse_appeal,
    parse_decision_reason,
)
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


def handle_remind_again(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services: Services = context["services"]
    user, now = body["user"]["id"], services.clock.now()
    with services.session_factory() as session:
        try:
            order = _seller_order(services, session, user, action["value"])
            due = escalation.remind_now(
                session,
                order=order,
                by=user,
                now=now,
                working_hours=services.settings.working_hours,
            )
        except DeliverybotError as error:
            return _say(respond, f":warning: {error}")
        tz = customer_time_zone(session, order)
        session.commit()
    when = (
        "in a moment"
        if due <= now
        else f"at {format_local(due, tz)}, the start of their working day"
    )
    _say(respond, f"OK, I'll remind the customer of order {order.order_no} again {when}.")


def handle_appeal_button(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """Initiate appeal (a seller) or Appeal (the customer): the appeal modal, if they may."""
    ack()
    services: Services = context["services"]
    user, now = body["user"]["id"], services.clock.now()
    role = "customer" if action["action_id"] == ActionId.CUSTOMER_APPEAL else "seller"
    with services.session_factory() as session:  # a refused customer is audited
        try:
            order = _appellant_order(services, session, user, action["value"], role)
            appeals.check_may_appeal(order, role=role, now=now)
        except DeliverybotError as error:
            return _say(respond, f":warning: {error}")
        if role == "customer":
            why = appeals.customer_may_appeal(order, now)
            assert why is not None  # check_may_appeal let this customer appeal
            view = build_customer_appeal_modal(order_no=order.order_no, why=why)
        else:
            view = build_seller_appeal_modal(
                order_no=order.order_no, files=appeals.proof_files(session, order)
            )
    services.client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_appeal_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    services: Services = context["services"]
    user, now = body["user"]["id"], services.clock.now()
    role = "seller" if view["callback_id"] == CallbackId.SELLER_APPEAL else "customer"
    form = parse_appeal(view["state"]["values"])
    errors = appeals.form_errors(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    order_no = json.loads(view["private_metadata"])["order_no"]
    with services.session_factory() as session:
        try:
            order = _appellant_order(services, session, user, order_no, role)
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
    if appeal is not None:  # a seller named by id and by e-mail hears the decision once
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


def handle_ops_complete(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    try:
        _decide(
            context["services"],
            appeal_id=int(action["value"]),
            decision=Decision.COMPLETE,
            user=body["user"]["id"],
            reason="",
        )
    except DeliverybotError as error:
        _say(respond, f":warning: {error}")


def handle_ops_reason_needed(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """Return to seller / Reject appeal: ask for the reason in a modal (staff only)."""
    ack()
    services: Services = context["services"]
    user, appeal_id = body["user"]["id"], int(action["value"])
    decision = Decision.RETURN if action["action_id"] == ActionId.OPS_RETURN else Decision.REJECT
    with services.session_factory() as session:
        try:
            decisions.authorise_decider(
                session,
                appeal_id=appeal_id,
                user=user,
                now=services.clock.now(),
                client=services.client,
                settings=services.settings,
            )
            appeal = decisions.get_open_appeal(session, appeal_id)
        except DeliverybotError as error:
            return _say(respond, f":warning: {error}")
        order = get_row(session, Order, appeal.order_id)
        view = build_decision_modal(appeal_id=appeal_id, order_no=order.order_no, decision=decision)
    services.client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_decision_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    meta = json.loads(view["private_metadata"])
    reason = parse_decision_reason(view["state"]["values"])
    try:
        _decide(
            context["services"],
            appeal_id=int(meta["appeal_id"]),
            decision=Decision(meta["decision"]),
            user=body["user"]["id"],
            reason=reason,
        )
    except DeliverybotError as error:
        ack(response_action="errors", errors={BlockId.DECISION_REASON: str(error)})
        return
    ack()


def register(app: App) -> None:
    app.action(ActionId.REMIND_AGAIN)(handle_remind_again)
    app.action(ActionId.INITIATE_APPEAL)(handle_appeal_button)
    app.action(ActionId.CUSTOMER_APPEAL)(handle_appeal_button)
    app.action(ActionId.OPS_COMPLETE)(handle_ops_complete)
    app.action(ActionId.OPS_RETURN)(handle_ops_reason_needed)
    app.action(ActionId.OPS_REJECT)(handle_ops_reason_needed)
    app.view(CallbackId.SELLER_APPEAL)(handle_appeal_submission)
    app.view(CallbackId.CUSTOMER_APPEAL)(handle_appeal_submission)
    app.view(CallbackId.OPS_DECISION)(handle_decision_submission)
