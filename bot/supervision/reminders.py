"""Reminders to silent customers, as scheduled jobs.

Submitting a delivery schedules a `plan_reminders` job (the worker knows the settings and can
ask Slack for the customer's time zone); the plan (bot.supervision.cadence) puts one `reminder`
job per step of DELIVERYBOT_REMINDER_DAYS at the customer's next working time, and an
`auto_accept` job when that is enabled, announced by a reminder or by a notice sent with the
delivery message. Every job re-reads the order when it runs, so a stale one sends nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.settings import AUTO_ACCEPT_NOTICE
from bot.core.working_hours import is_working_time, next_send_time
from bot.jobs import scheduler
from bot.jobs.scheduler import Defer, JobRun
from bot.orders.calendar import customer_time_zone
from bot.orders.contacts import customer_channel, look_up_customer
from bot.slack import outbox
from bot.slack.services import Services
from bot.supervision.announcements import announce_with_delivery
from bot.supervision.cadence import (
    APPEAL_OFFER,
    AUTO_ACCEPT,
    ESCALATION,
    NOT_SENT_YET_RETRY,
    NOTICE,
    PLAN,
    REMINDER,
    WHILE_AWAITING,
    plan_cadence,
    step_name,
)
from bot.supervision.views.reminders import build_reminder
from bot.supervision.waiting import (
    current_delivery,
    customer_unreachable,
    delivery_message_row,
    email_of,
    is_current,
    queue_email,
    unreachable,
)
from storage.models import (
    JobStatus,
    Order,
    OutboxMessage,
    OutboxStatus,
    ScheduledJob,
)
from storage.rows import saved_id
from storage.states import SupervisionState

PERMALINK = "https://deliverybot.invalid/delivery-message"  # replaced when the reminder is sent


def schedule_for_acceptance(
    session: Session, *, order: Order, now: datetime, series: str | None = None
) -> None:
    """An order now awaits acceptance: plan its reminders, escalation and automatic acceptance
    from `now` (as `series`, when it is planned again for the same delivery)."""
    scheduler.schedule(
        session,
        key=f"plan:{order.id}:{order.round}" + (f":{series}" if series else ""),
        kind=PLAN,
        due_at=now,
        order_id=order.id,
        data={"round": order.round, "since": now.isoformat()}
        | ({"series": series} if series else {}),
    )


def cancel_for_order(session: Session, *, order: Order, now: datetime, reason: str) -> None:
    """The order left awaiting acceptance: cancel its pending reminders and escalation.

    When it went back to the seller, a check is scheduled that offers the customer an appeal
    once the rules allow it (3 rejected rounds, or the seller silent for 5 days)."""
    scheduler.cancel(
        session, order_id=saved_id(order), kinds=WHILE_AWAITING, now=now, reason=reason
    )
    if order.state is not SupervisionState.COMPLETED:
        scheduler.schedule(
            session,
            key=f"appeal-offer:{order.id}:{order.round}",
            kind=APPEAL_OFFER,
            due_at=now,
            order_id=order.id,
            data={"round": order.round},
        )


def plan_reminders(run: JobRun) -> None:
    session, settings, job = run.session, run.services.settings, run.job.data
    order = session.get(Order, run.job.order_id)
    if not is_current(order, job["round"]):
        return
    delivery = current_delivery(session, order)
    series = job.get("series")
    if customer_unreachable(session, order, delivery):
        escalate(session, order=order, now=run.now, reason="unreachable", again=series)
        return
    submitted = delivery.submitted_at if delivery and delivery.submitted_at else None
    since = datetime.fromisoformat(job["since"]) if job.get("since") else submitted
    since = since or order.state_changed_at
    cadence = plan_cadence(
        since=since,
        now=run.now,
        tz=customer_time_zone(session, order),
        reminder_days=settings.reminder_days,
        working_hours=settings.working_hours,
        auto_accept_days=settings.auto_accept_days,
    )
    auto_at = cadence.auto_accept_at
    for step, due in enumerate(cadence.reminders, start=1):
        announces = auto_at if auto_at and step == cadence.announced_by else None
        data = {
            "round": order.round,
            "step": step,
            "of": len(cadence.reminders),
            "auto_accept_at": announces.isoformat() if announces else None,
        } | ({"series": series, "escalation": series} if series else {})
        scheduler.schedule(
            session,
            key=f"reminder:{order.id}:{order.round}:{step_name(step, series)}",
            kind=REMINDER,
            due_at=due,
            order_id=order.id,
            data=data,
        )
    if auto_at:
        if cadence.announced_by == NOTICE:
            announce_with_delivery(
                session, order=order, delivery=delivery, at=auto_at, now=run.now, series=series
            )
        scheduler.schedule(
            session,
            key=f"auto-accept:{order.id}:{order.round}" + (f":{series}" if series else ""),
            kind=AUTO_ACCEPT,
            due_at=auto_at,
            order_id=order.id,
            data={"round": order.round, "since": since.isoformat()},
        )


def send_reminder(run: JobRun) -> Defer | None:
    session, settings, data = run.session, run.services.settings, run.job.data
    order = session.get(Order, run.job.order_id)
    if not is_current(order, data["round"]):
        return None
    delivery = current_delivery(session, order)
    row = delivery_message_row(session, delivery)  # read once: four checks below need it
    again = data.get("escalation")  # a later round of escalation (after a rejected appeal)
    if unreachable(order, row):
        escalate(session, order=order, now=run.now, reason="unreachable", again=again)
        return None
    last = data["step"] == data.get("of")
    later = _superseded_by(session, run)
    if later is not None:
        if data.get("auto_accept_at") and not later.data.get("auto_accept_at"):
            later.data = {**later.data, "auto_accept_at": data["auto_accept_at"]}  # it announces
            session.add(later)
        if last:
            escalate(session, order=order, now=run.now, reason="silent", again=again)
        return None
    tz = customer_time_zone(session, order)
    if not is_working_time(run.now, tz, settings.working_hours):
        return Defer(next_send_time(run.now, tz, settings.working_hours))
    if row is not None and row.status is OutboxStatus.PENDING:
        return Defer(run.now + NOT_SENT_YET_RETRY)
    sent = outbox.result_of(row)
    channel = sent[0] if sent else customer_channel(session, order)
    auto_at = datetime.fromisoformat(data["auto_accept_at"]) if data.get("auto_accept_at") else None
    if auto_at:  # a late reminder (worker down, weekend) still gives the customer notice
        auto_at = max(auto_at, run.now + AUTO_ACCEPT_NOTICE)
    key = f"{REMINDER}:{order.id}:{order.round}:{step_name(data['step'], data.get('series'))}"
    meta = {
        "purpose": REMINDER,
        "order_id": order.id,
        "links_to": sent,
        "announces_auto_accept": auto_at.isoformat() if auto_at else None,
    }
    to = email_of(row)
    if to and delivery is not None:  # the customer is not on Slack: the reminder is e-mailed
        channel = to
        auto = auto_at.isoformat() if auto_at else None
        common: dict[str, Any] = dict(
            delivery=delivery, order=order, now=run.now, meta=meta | {"links_to": None}
        )
        queue_email(session, key=key, to=to, template="reminder", auto_accept_at=auto, **common)
    else:
        text, blocks = build_reminder(
            order_no=order.order_no,
            delivery_id=delivery.id if delivery else None,
            since=order.state_changed_at,
            now=run.now,
            permalink=PERMALINK if sent else None,
            auto_accept_at=auto_at,
        )
        payload = {"channel": channel, "text": text, "blocks": blocks}
        outbox.enqueue(
            session,
            key=key,
            method="chat.postMessage",
            payload=payload,
            now=run.now,
            order_id=order.id,
            meta=meta,
        )
    audit.record(
        session,
        kind="reminder_sent",
        actor="system",
        at=run.now,
        order_id=order.id,
        step=data["step"],
        of=data.get("of"),
        channel=channel,
    )
    if last:
        escalate(session, order=order, now=run.now, reason="silent", again=again)
    return None


def _superseded_by(session: Session, run: JobRun) -> ScheduledJob | None:
    """The latest other reminder for the same order that is due too (the worker was down): only
    that one is sent, and it announces an automatic acceptance this one was to announce."""
    later = (
        select(ScheduledJob)
        .where(
            ScheduledJob.order_id == run.job.order_id,
            ScheduledJob.kind == REMINDER,
            ScheduledJob.status == JobStatus.PENDING,
            ScheduledJob.due_at <= run.now,
            ScheduledJob.id != run.job.id,
        )
        .order_by(col(ScheduledJob.due_at).desc(), col(ScheduledJob.id).desc())
    )
    return session.exec(later.limit(1)).first()


def look_up_customer_for_job(services: Services, job: ScheduledJob) -> None:
    """Their time zone decides when reminders go, and the escalation shows their details
    (asked before the job's transaction)."""
    if job.order_id is not None:
        look_up_customer(services, job.order_id)


def link_the_delivery(client: WebClient, payload: dict, meta: dict) -> dict:
    """Put the delivery message's permalink into the reminder (asked when sending, outside
    any transaction); without one the reminder points at "the delivery above"."""
    if not meta.get("links_to"):
        return payload
    channel, ts = meta["links_to"]
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError:
        link = None
    wanted = f"<{link}|the delivery>" if link else "the delivery above"
    encoded = json.dumps(payload["blocks"])
    encoded = encoded.replace(f"<{PERMALINK}|the delivery>", json.dumps(wanted)[1:-1])
    return {**payload, "blocks": json.loads(encoded)}


def escalate(
    session: Session, *, order: Order, now: datetime, reason: str, again: str | None = None
) -> None:
    """Tell the sellers (once per round, and once per `again`) that the customer is silent or
    unreachable. An unreachable customer never got the delivery: nothing may be accepted on
    their behalf."""
    kinds = (PLAN, REMINDER, AUTO_ACCEPT) if reason == "unreachable" else (PLAN, REMINDER)
    scheduler.cancel(session, order_id=saved_id(order), kinds=kinds, now=now, reason=reason)
    key = f"escalation:{order.id}:{order.round}" + (f":{again}" if again else "")
    scheduler.schedule(
        session,
        key=key,
        kind=ESCALATION,
        due_at=now,
        order_id=order.id,
        data={"round": order.round, "reason": reason},
    )


def resume_after_appeal(session: Session, *, order: Order, appeal_id: int, now: datetime) -> None:
    """Operations rejected an appeal on an order still waiting for the customer: supervision
    starts again from the decision, in full: the reminders of the cadence, the sellers told
    again after the last, and the automatic acceptance (when on), announced anew."""
    schedule_for_acceptance(session, order=order, now=now, series=f"appeal-{appeal_id}")


def reminder_failed(session: Session, message: OutboxMessage, error: str, now: datetime) -> None:
    order = session.get(Order, message.meta.get("order_id"))
    if order is not None and order.state is SupervisionState.AWAITING_ACCEPTANCE:
        escalate(session, order=order, now=now, reason="unreachable")
