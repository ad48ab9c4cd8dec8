"""The audit trail: every step is an event with who, when and what. Never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEvent


def record(
    session: Session,
    *,
    kind: str,
    actor: str,
    at: datetime,
    order_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(order_id=order_id, at=at, actor=actor, kind=kind, detail=detail)
    session.add(event)
    return event


def events_for(session: Session, order_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.order_id == order_id).order_by(col(AuditEvent.id))
    return list(session.exec(query))
