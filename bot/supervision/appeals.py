"""Appeals to operations: who may appeal, opening one, and operations' decisions.

A seller may appeal any order under supervision; a customer after 3 rejected rounds, or when
the seller has not delivered again for more than 5 days after changes were requested. The
case goes to the operations channel; only operations staff decide. Every step is audited and
every message goes through the outbox in the transaction of the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.ids import BlockId
from bot.core.settings import Settings
from bot.jobs import scheduler
from bot.jobs.scheduler import Defer, JobRun
from bot.orders.contacts import customer_channel
from bot.slack import outbox
from bot.supervision import cases
from bot.supervision.appeal_terms import (
    CUSTOMER_MAY_APPEAL_AFTER_ROUNDS,
    DECISION_DAYS,
    SELLER_SILENCE,
    AppealAlreadyOpen,
    AppealForm,
    AppealNotAllowed,
    AppealsNotSetUp,
)
from bot.supervision.views.cases import (
    build_opened_notice,
)
from bot.supervision.views.reminders import build_appeal_offer
from bot.supervision.waiting import current_delivery
from storage.models import Appeal, AppealState, Order, ProofFile
from storage.rows import changed_rows, saved_id
from storage.states import OPEN_STATES, SupervisionState


def proof_files(session: Session, order: Order) -> list[ProofFile]:
    delivery = current_delivery(session, order)
    if delivery is None:
        return []
    query = select(ProofFile).where(ProofFile.delivery_id == delivery.id, ~col(ProofFile.removed))
    return list(session.exec(query.order_by(col(ProofFile.id))))


def customer_may_appeal(order: Order, now: datetime) -> str | None:
    """Why the customer may appeal now (shown to them), or None while they may not."""
    if order.state not in OPEN_STATES:
        return None
    if order.rejected_rounds >= CUSTOMER_MAY_APPEAL_AFTER_ROUNDS:
        return f"you have asked for changes {order.rejected_rounds} times"
    if (
        order.state is SupervisionState.AWAITING_DELIVERY
        and order.rejected_rounds > 0
        and now - order.state_changed_at > SELLER_SILENCE
    ):
        return f"the seller has not delivered again for {(now - order.state_changed_at).days} days"
    return None


def check_may_appeal(order: Order, *, role: str, now: datetime) -> None:
    if order.state not in OPEN_STATES:
        raise AppealNotAllowed(order.order_no, "it is no longer under supervision")
    if role == "customer" and customer_may_appeal(order, now) is None:
        raise AppealNotAllowed(
            order.order_no,
            f"a customer can appeal after {CUSTOMER_MAY_APPEAL_AFTER_ROUNDS} rejected deliveries, "
            "or when the seller has not delivered again for more than "
            f"{SELLER_SILENCE.days} days after you asked for changes",
        )


def form_errors(form: AppealForm) -> dict[str, str]:
    """Problems to show in the modal, by block id (empty when the form is fine)."""
    errors: dict[str, str] = {}
    if not form.details.strip():
        errors[BlockId.APPEAL_DETAILS] = "Tell operations what happened."
    if form.reason_kind == "unreachable" and not (form.letter or "").strip():
        errors[BlockId.APPEAL_LETTER] = (
            "A letter of commitment is required when the customer is unreachable."
        )
    return errors


def open_appeal(
    session: Session,
    *,
    order: Order,
    by: str,
    role: str,
    form: AppealForm,
    now: datetime,
    settings: Settings,
) -> Appeal:
    check_may_appeal(order, role=role, now=now)
    if not settings.ops_channel:
        raise AppealsNotSetUp()
    appeal = Appeal(
        order_id=saved_id(order),
        by_user=by,
        by_role=role,
        reason_kind=form.reason_kind,
        details=form.details.strip(),
        letter_of_commitment=form.letter or None,
        file_ids=form.file_ids,
        created_at=now,
        ops_channel=settings.ops_channel,
    )
    try:
        with session.begin_nested():
            session.add(appeal)
            session.flush()
    except IntegrityError:
        if cases.resend_unposted_case(session, order, now=now):
            return session.exec(
                select(Appeal).where(Appeal.order_id == order.id, Appeal.state == AppealState.OPEN)
            ).one()
        raise AppealAlreadyOpen(order.order_no) from None
    audit.record(
        session,
        kind="appeal_opened",
        actor=by,
        at=now,
        order_id=order.id,
        appeal_id=appeal.id,
        role=role,
        reason=form.reason_kind,
        details=appeal.details,
        letter=bool(appeal.letter_of_commitment),
        files=form.file_ids,
        attachments=form.attachments,
    )
    cases.post_case(session, appeal, order, now=now)
    notice, notice_blocks = build_opened_notice(order_no=order.order_no, days=DECISION_DAYS)
    outbox.enqueue(
        session,
        key=f"appeal-opened:{appeal.id}",
        method="chat.postMessage",
        payload={"channel": by, "text": notice, "blocks": notice_blocks},
        now=now,
        order_id=order.id,
        meta={"purpose": "appeal_opened"},
    )
    return appeal


def close_open_appeal(session: Session, *, order: Order, by: str, why: str, now: datetime) -> None:
    """The order completed without operations (the customer accepted): its open appeal is
    closed with nothing left to decide, recorded with why, and the case says so in place."""
    query = select(Appeal).where(Appeal.order_id == order.id, Appeal.state == AppealState.OPEN)
    appeal = session.exec(query).first()
    if appeal is None:
        return
    closed = changed_rows(
        session,
        update(Appeal)
        .where(col(Appeal.id) == appeal.id, col(Appeal.state) == AppealState.OPEN)
        .values(state=AppealState.CLOSED, decided_by=by, decided_at=now, decision_reason=why)
        .execution_options(synchronize_session=False),
    )
    if closed != 1:
        return
    session.refresh(appeal)
    audit.record(
        session,
        kind="appeal_closed",
        actor=by,
        at=now,
        order_id=order.id,
        appeal_id=appeal.id,
        reason=why,
    )
    scheduler.cancel(
        session, order_id=saved_id(order), kinds=(cases.APPEAL_OVERDUE,), now=now, reason=why
    )
    cases.update_case(session, appeal, order, now=now)


def offer_customer_appeal(run: JobRun) -> Defer | None:
    """After changes were requested: show the customer an Appeal button once they may use it."""
    order = run.session.get(Order, run.job.order_id)
    if order is None or order.round != run.job.data["round"] or order.state not in OPEN_STATES:
        return None
    why = customer_may_appeal(order, run.now)
    if why is None:
        if order.state is SupervisionState.AWAITING_DELIVERY and order.rejected_rounds > 0:
            return Defer(order.state_changed_at + SELLER_SILENCE + timedelta(minutes=1))
        return None
    customer = customer_channel(run.session, order)
    if not customer:
        return None
    text, blocks = build_appeal_offer(order_no=order.order_no, why=why)
    outbox.enqueue(
        run.session,
        key=f"appeal-offer:{order.id}:{order.round}",
        method="chat.postMessage",
        payload={"channel": customer, "text": text, "blocks": blocks},
        now=run.now,
        order_id=order.id,
        meta={"purpose": "appeal_offer"},
    )
    audit.record(
        run.session, kind="appeal_offered", actor="system", at=run.now, order_id=order.id, why=why
    )
    return None
