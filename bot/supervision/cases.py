"""The case in the operations channel: posting it, rebuilding it in place, sending again one
that never got there, flagging it overdue after DECISION_DAYS working days."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.audit import events_for
from bot.core.working_hours import add_working_days, next_send_time
from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.orders.queries import sellers_of
from bot.slack import outbox
from bot.supervision.appeal_terms import (
    DECISION_DAYS,
    REASONS,
)
from bot.supervision.views.cases import (
    build_case,
    build_case_not_posted,
    build_overdue,
)
from storage.models import Appeal, AppealState, Order, OutboxMessage, OutboxStatus, ProofFile
from storage.rows import changed_rows, get_row, saved_id

APPEAL_OVERDUE = "appeal_overdue"
APPEAL_CASE = "appeal"  # the outbox purpose of the case posted to operations
ROUND_THE_CLOCK = (0, 24)  # operations' working days count whole


def post_case(session: Session, appeal: Appeal, order: Order, *, now: datetime) -> None:
    """Queue the case to the operations channel, and its overdue flag after DECISION_DAYS."""
    text, blocks = build_case(**case_parts(session, appeal, order))
    outbox.enqueue(
        session,
        key=f"appeal:{appeal.id}",
        method="chat.postMessage",
        payload={"channel": appeal.ops_channel, "text": text, "blocks": blocks},
        now=now,
        order_id=order.id,
        meta={"purpose": APPEAL_CASE, "appeal_id": appeal.id},
    )
    scheduler.schedule(
        session,
        key=f"appeal-overdue:{appeal.id}",
        kind=APPEAL_OVERDUE,
        due_at=decision_deadline(now),
        order_id=order.id,
        data={"appeal_id": appeal.id},
    )


def decision_deadline(opened: datetime) -> datetime:
    """DECISION_DAYS working days (UTC) after the appeal reached operations. One opened at the
    weekend counts from Monday 00:00: Saturday's appeal is due by the end of Wednesday."""
    start = next_send_time(opened, "UTC", ROUND_THE_CLOCK)
    return add_working_days(start, DECISION_DAYS, "UTC")


def resend_unposted_case(session: Session, order: Order, *, now: datetime) -> bool:
    """An open appeal whose case never reached the operations channel is sent again (after
    the bot was invited, say) rather than refused as already open."""
    open_appeal = select(Appeal.id).where(
        Appeal.order_id == order.id, Appeal.state == AppealState.OPEN
    )
    keys = [f"appeal:{appeal_id}" for appeal_id in session.exec(open_appeal)]
    resent = changed_rows(
        session,
        update(OutboxMessage)
        .where(col(OutboxMessage.key).in_(keys), col(OutboxMessage.status) == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, due_at=now, claimed_until=None)
        .execution_options(synchronize_session=False),
    )
    return resent > 0


def case_not_posted(session: Session, message: OutboxMessage, error: str, now: datetime) -> None:
    """The operations channel refused the case (bot not invited, channel archived…): the
    appellant must not believe operations have it."""
    appeal = session.get(Appeal, message.meta.get("appeal_id"))
    if appeal is None:
        return
    order = get_row(session, Order, appeal.order_id)
    text, blocks = build_case_not_posted(order_no=order.order_no, error=error)
    outbox.enqueue(
        session,
        key=f"appeal-not-posted:{appeal.id}",
        method="chat.postMessage",
        payload={"channel": appeal.by_user, "text": text, "blocks": blocks},
        now=now,
        order_id=order.id,
        meta={"purpose": "appeal_not_posted"},
    )
    audit.record(
        session,
        kind="appeal_not_posted",
        actor="system",
        at=now,
        order_id=order.id,
        appeal_id=appeal.id,
        error=error,
    )


def case_parts(session: Session, appeal: Appeal, order: Order) -> dict[str, Any]:
    """Everything the operations message shows (the full case)."""
    opened = next(
        (
            e
            for e in events_for(session, saved_id(order))
            if e.kind == "appeal_opened" and e.detail.get("appeal_id") == appeal.id
        ),
        None,
    )
    files = [session.get(ProofFile, file_id) for file_id in appeal.file_ids]
    return dict(
        appeal=appeal,
        order=order,
        sellers=sellers_of(session, saved_id(order)),
        files=[f for f in files if f is not None],
        attachments=opened.detail.get("attachments", []) if opened else [],
        timeline=events_for(session, saved_id(order))[-15:],
        reasons=REASONS,
    )


def update_case(session: Session, appeal: Appeal, order: Order, *, now: datetime) -> None:
    """Rebuild the case message in the operations channel in place (its outcome, no buttons)."""
    text, blocks = build_case(**case_parts(session, appeal, order))
    outbox.enqueue_update(
        session,
        key=f"appeal-{appeal.state.value}:{appeal.id}",
        of=f"appeal:{appeal.id}",
        text=text,
        blocks=blocks,
        now=now,
        order_id=order.id,
        meta={"purpose": "appeal_update"},
    )


def flag_overdue(run: JobRun) -> None:
    appeal = run.session.get(Appeal, run.job.data["appeal_id"])
    if appeal is None or appeal.state is not AppealState.OPEN:
        return
    order = get_row(run.session, Order, appeal.order_id)
    appeal.flagged_overdue_at = run.now
    run.session.add(appeal)
    text, blocks = build_overdue(
        order_no=order.order_no, since=appeal.created_at, days=DECISION_DAYS
    )
    outbox.enqueue(
        run.session,
        key=f"appeal-overdue:{appeal.id}",
        method="chat.postMessage",
        payload={
            "channel": appeal.ops_channel or run.services.settings.ops_channel,
            "text": text,
            "blocks": blocks,
            "thread_ts": outbox.ref(f"appeal:{appeal.id}"),
            "reply_broadcast": True,
        },
        now=run.now,
        order_id=order.id,
        meta={"purpose": "appeal_overdue"},
    )
    audit.record(
        run.session,
        kind="appeal_overdue",
        actor="system",
        at=run.now,
        order_id=order.id,
        appeal_id=appeal.id,
    )
