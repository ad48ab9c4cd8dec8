"""State changes: compare-and-set on the expected state, with the audit event, in the
caller's transaction. Whoever's UPDATE matches one row wins; everyone else gets StaleState
before any Slack message is queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, update
from sqlmodel import Session, col

from bot.core import audit
from bot.core.errors import StaleState
from bot.core.telemetry import metrics
from bot.orders.states import Transition, target_state
from storage.models import Order
from storage.rows import changed_rows
from storage.states import SupervisionState


def change_state(
    session: Session,
    order: Order,
    transition: Transition,
    *,
    now: datetime,
    actor: str,
    values: dict[str, Any] | None = None,
    **detail: Any,
) -> Order:
    """Move `order` by `transition` if it is still in the state it was read in.

    `values` are further columns set in the same UPDATE (validity, round, …). Raises
    InvalidTransition for an illegal move and StaleState when another writer got there first.
    """
    expected = order.state
    target = target_state(transition, expected)
    changed = changed_rows(
        session,
        update(Order)
        .where(col(Order.id) == order.id, col(Order.state) == expected)
        .values(state=target, state_changed_at=now, updated_at=now, **(values or {}))
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        session.rollback()
        current = session.get(Order, order.id, populate_existing=True)
        raise StaleState(order.order_no, expected, current.state if current else None)
    audit.record(
        session,
        kind=str(transition),
        actor=actor,
        at=now,
        order_id=order.id,
        **{"from": expected.value, "to": target.value},
        **detail,
    )
    if expected is SupervisionState.AWAITING_ACCEPTANCE and target is SupervisionState.COMPLETED:
        waited = (now - order.state_changed_at).total_seconds()  # since the delivery
        event.listen(
            session,
            "after_commit",
            lambda _: metrics.DELIVERY_TO_ACCEPTANCE.observe(waited),
            once=True,
        )
    session.refresh(order)
    return order
