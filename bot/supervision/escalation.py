"""When the customer stays silent: the sellers' escalation, their "Remind again now", and
optional automatic acceptance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core import audit
from bot.core.errors import DeliverybotError
from bot.core.working_hours import next_send_time
from bot.home import page as home
from bot.jobs import scheduler
from bot.jobs.scheduler import Defer, JobRun
from bot.orders.calendar import customer_time_zone
from bot.orders.contacts import (
    customer_channel,
    customer_contact,
    seller_channels,
)
from bot.orders.states import Transition
from bot.orders.validity import validity_for
from bot.orders.workflow import change_state
from bot.slack import outbox
from bot.supervision import appeals
from bot.supervision import notices as notifications
from bot.supervision.announcements import announced_date, customer_was_told
from bot.supervision.cadence import NOT_SENT_YET_RETRY, REMINDER, WHILE_AWAITING
from bot.supervision.views.reminders import build_auto_accepted, build_escalation
from bot.supervision.waiting import current_delivery, emailed_to, is_current
from storage.models import (
    AuditEvent,
    DeliveryState,
    Order,
)
from storage.rows import saved_id
from storage.states import SupervisionState


def send_escalation(run: JobRun) -> None:
    session = run.session
    order = session.get(Order, run.job.order_id)
    if not is_current(order, run.job.data["round"]):
        return
    contact = customer_contact(session, order)
    reminded = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.order_id == order.id, AuditEvent.kind == "reminder_sent")
        .where(AuditEvent.at >= order.state_changed_at)
    ).one()
    reason = run.job.data.get("reason", "silent")
    text, blocks = build_escalation(
        order_no=order.order_no,
        since=order.state_changed_at,
        now=run.now,
        reminded=reminded,
        contact=contact,
        unreachable=reason == "unreachable",
    )
    sellers = seller_channels(session, order)
    for seller in sellers:
        outbox.enqueue(
            session,
            key=f"{run.job.key}:{seller}",
            method="chat.postMessage",
            payload={"channel": seller, "text": text, "blocks": blocks},
            now=run.now,
            order_id=order.id,
            meta={"purpose": "escalation", "order_id": order.id},
        )
    audit.record(
        session,
        kind="escalated",
        actor="system",
        at=run.now,
        order_id=order.id,
        reason=reason,
        reminders=reminded,
        sellers=sellers,
    )


def auto_accept(run: JobRun) -> Defer | None:
    """N days of silence (DELIVERYBOT_AUTO_ACCEPT_DAYS): a system acceptance."""
    session, services, now = run.session, run.services, run.now
    order = session.get(Order, run.job.order_id)
    if not is_current(order, run.job.data["round"]):
        return None
    since = run.job.data.get("since")  # when this acceptance was planned (absent: older jobs)
    planned = datetime.fromisoformat(since) if since else None
    told = customer_was_told(session, order, planned)
    if told is None:
        return Defer(now + NOT_SENT_YET_RETRY)
    if not told:
        audit.record(
            session,
            kind="auto_accept_withheld",
            actor="system",
            at=now,
            order_id=order.id,
            reason="the customer was not told",
        )
        return None
    promised = announced_date(session, order, planned)
    if promised and now < promised:
        return Defer(promised)  # announced late: a later date, or a day after it was told
    delivery = current_delivery(session, order)
    validity = validity_for(
        session, order, delivery=delivery, accepted_at=now, enabling_time=order.enabling_time
    )
    change_state(
        session,
        order,
        Transition.ACCEPT,
        now=now,
        actor="system",
        automatic=True,
        values={
            "accepted_at": now,
            "accepted_by": "system",
            "validity_start": validity.start,
            "validity_end": validity.end,
        },
    )
    days = services.settings.auto_accept_days
    if delivery is not None:
        delivery.state = DeliveryState.ACCEPTED
        delivery.updated_at = now
        session.add(delivery)
        notifications.accepted_automatically(
            session, order=order, delivery=delivery, now=now, days=days
        )
    appeals.close_open_appeal(
        session,
        order=order,
        by="system",
        now=now,
        why=f"The order was accepted automatically after {days} days",
    )
    scheduler.cancel(
        session,
        order_id=saved_id(order),
        kinds=WHILE_AWAITING,
        now=now,
        reason="accepted automatically",
    )
    text, blocks = build_auto_accepted(
        order_no=order.order_no, start=validity.start, end=validity.end, days=days
    )
    people = seller_channels(session, order)
    # an e-mailed customer hears of it by e-mail (notifications.accepted_automatically)
    customer = None if emailed_to(session, delivery) else customer_channel(session, order)
    for person in ([customer] if customer else []) + people:
        outbox.enqueue(
            session,
            key=f"auto-accepted:{order.id}:{person}",
            method="chat.postMessage",
            payload={"channel": person, "text": text, "blocks": blocks},
            now=now,
            order_id=order.id,
            meta={"purpose": "auto_accepted"},
        )
    home.republish_for_order(session, order=order, now=now)
    return None


class NothingToRemind(DeliverybotError):
    def __init__(self, order_no: str, state: SupervisionState):
        super().__init__(
            f"Order {order_no} is not waiting for the customer (it is {state.value.replace('_', ' ')}), "
            "so there is nobody to remind."
        )


def remind_now(
    session: Session, *, order: Order, by: str, now: datetime, working_hours: tuple[int, int]
) -> datetime:
    """A seller asks for another reminder: it goes at the customer's next working time
    (now, if that is now). One per order and hour, so double clicks send one. Returns when."""
    if order.state is not SupervisionState.AWAITING_ACCEPTANCE:
        raise NothingToRemind(order.order_no, order.state)
    tz = customer_time_zone(session, order)
    due = next_send_time(now, tz, working_hours)
    step = f"manual-{now:%Y%m%d%H}"
    scheduler.schedule(
        session,
        key=f"reminder:{order.id}:{order.round}:{step}",
        kind=REMINDER,
        due_at=due,
        order_id=order.id,
        data={"round": order.round, "step": step, "of": None},
    )
    audit.record(
        session,
        kind="reminder_requested",
        actor=by,
        at=now,
        order_id=order.id,
        due_at=due.isoformat(),
    )
    return due
