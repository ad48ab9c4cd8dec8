"""Operations' decisions on appeals: only staff decide, once; the order moves, the case
message is updated in place, and both sides are told, all in one transaction."""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.settings import Settings
from bot.home import page as home
from bot.jobs import scheduler
from bot.orders.contacts import customer_channel, seller_channels
from bot.orders.states import Transition
from bot.orders.validity import validity_for
from bot.orders.workflow import change_state
from bot.slack import directory, outbox
from bot.supervision import notices as notifications
from bot.supervision import reminders
from bot.supervision.appeal_terms import AppealAlreadyDecided, Decision, NotOpsStaff, ReasonRequired
from bot.supervision.cases import APPEAL_OVERDUE, update_case
from bot.supervision.views.cases import build_decided_notice
from bot.supervision.waiting import current_delivery
from storage.models import Appeal, AppealState, DeliveryState, Order
from storage.rows import changed_rows, get_row, saved_id
from storage.states import SupervisionState

DECIDED_STATE = {
    Decision.COMPLETE: AppealState.COMPLETED,
    Decision.RETURN: AppealState.RETURNED,
    Decision.REJECT: AppealState.REJECTED,
}


def is_ops_staff(client: WebClient, settings: Settings, user: str) -> bool:
    """Members of DELIVERYBOT_OPS_USERGROUP when set, else of the operations channel.
    Fails closed: if Slack cannot say, nobody decides."""
    if settings.ops_usergroup:
        try:
            return user in client.usergroups_users_list(usergroup=settings.ops_usergroup)["users"]
        except SlackApiError:
            return False
    return directory.in_channel(client, settings.ops_channel, user)


def authorise_decider(
    session: Session,
    *,
    appeal_id: int,
    user: str,
    now: datetime,
    client: WebClient,
    settings: Settings,
) -> None:
    """Only operations staff decide appeals: anyone else is refused, and the attempt is audited
    (committed, so it stays whatever the caller does next)."""
    if is_ops_staff(client, settings, user):
        return
    session.rollback()
    appeal = session.get(Appeal, appeal_id)
    audit.record(
        session,
        kind="appeal_decision_refused",
        actor=user,
        at=now,
        order_id=appeal.order_id if appeal else None,
        appeal_id=appeal_id,
    )
    session.commit()
    raise NotOpsStaff()


def get_open_appeal(session: Session, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealAlreadyDecided("unknown", None)
    if appeal.state is not AppealState.OPEN:
        order = get_row(session, Order, appeal.order_id)
        raise AppealAlreadyDecided(order.order_no, appeal)
    return appeal


def decide(
    session: Session,
    *,
    appeal_id: int,
    decision: Decision,
    by: str,
    reason: str,
    now: datetime,
    client: WebClient,
    settings: Settings,
) -> Appeal:
    """Record an operations decision once, apply it to the order and tell everyone."""
    authorise_decider(
        session, appeal_id=appeal_id, user=by, now=now, client=client, settings=settings
    )
    reason = reason.strip()
    if decision is not Decision.COMPLETE and not reason:
        raise ReasonRequired()
    appeal = get_open_appeal(session, appeal_id)
    # The order is locked before the appeal, as an acceptance (which closes the appeal) does.
    order = session.exec(
        select(Order)
        .where(Order.id == appeal.order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    won = changed_rows(
        session,
        update(Appeal)
        .where(col(Appeal.id) == appeal.id, col(Appeal.state) == AppealState.OPEN)
        .values(
            state=DECIDED_STATE[decision],
            decided_by=by,
            decided_at=now,
            decision_reason=reason or None,
        )
        .execution_options(synchronize_session=False),
    )
    if won != 1:
        session.rollback()
        raise AppealAlreadyDecided(order.order_no, session.get(Appeal, appeal_id))
    _apply(session, order, decision, by=by, reason=reason, now=now)
    session.refresh(appeal)
    audit.record(
        session,
        kind="appeal_decided",
        actor=by,
        at=now,
        order_id=order.id,
        appeal_id=appeal.id,
        decision=decision.value,
        reason=reason,
    )
    scheduler.cancel(
        session,
        order_id=saved_id(order),
        kinds=(APPEAL_OVERDUE,),
        now=now,
        reason=f"appeal {decision.value}",
    )
    reminders.cancel_for_order(session, order=order, now=now, reason=f"appeal {decision.value}")
    if decision is Decision.REJECT and order.state is SupervisionState.AWAITING_ACCEPTANCE:
        reminders.resume_after_appeal(session, order=order, appeal_id=appeal_id, now=now)
    update_case(session, appeal, order, now=now)
    _tell_both_sides(session, appeal, order, now=now)
    home.republish_for_order(session, order=order, now=now)
    return appeal


def _apply(
    session: Session, order: Order, decision: Decision, *, by: str, reason: str, now: datetime
) -> None:
    """Move the order; a delivery still waiting for the customer shows the decision in place
    of its buttons."""
    delivery = current_delivery(session, order)
    waiting = (
        delivery if delivery is not None and delivery.state is DeliveryState.SUBMITTED else None
    )
    if decision is Decision.COMPLETE:
        validity = validity_for(
            session, order, delivery=delivery, accepted_at=now, enabling_time=order.enabling_time
        )
        change_state(
            session,
            order,
            Transition.OPS_COMPLETE,
            now=now,
            actor=by,
            reason=reason,
            values={
                "accepted_at": now,
                "accepted_by": by,
                "validity_start": validity.start,
                "validity_end": validity.end,
            },
        )
        if waiting is not None:
            waiting.state = DeliveryState.CLOSED
            notifications.decided_by_operations(session, order=order, delivery=waiting, now=now)
    elif decision is Decision.RETURN:
        change_state(session, order, Transition.OPS_RETURN, now=now, actor=by, reason=reason)
        if waiting is not None:
            waiting.state = DeliveryState.CHANGES_REQUESTED
            waiting.changes_reason = f"Operations returned the delivery: {reason}"
            notifications.decided_by_operations(
                session, order=order, delivery=waiting, now=now, returned_because=reason
            )
    if delivery is not None:
        delivery.updated_at = now
        session.add(delivery)


def _tell_both_sides(session: Session, appeal: Appeal, order: Order, *, now: datetime) -> None:
    people = seller_channels(session, order)
    customer = customer_channel(session, order)
    if customer:
        people.append(customer)
    text, blocks = build_decided_notice(appeal=appeal, order=order)
    for person in people:
        outbox.enqueue(
            session,
            key=f"appeal-decision:{appeal.id}:{person}",
            method="chat.postMessage",
            payload={"channel": person, "text": text, "blocks": blocks},
            now=now,
            order_id=order.id,
            meta={"purpose": "appeal_decision"},
        )
