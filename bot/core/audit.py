"""The audit trail: every step is an event with who, when and what. Never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.models import AuditEvent
from storage.rows import table_of


def record(
    session: Session,
    *,
    kind: str,
    actor: str,
    at: datetime,
    order_id: int | None = None,
    **detail: Any,
) -> None:
    """The event, written at once in the caller's transaction (a prebuilt insert: building an
    ORM object and flushing it cost several times the write, and every step writes one)."""
    values = {"order_id": order_id, "at": at, "actor": actor, "kind": kind, "detail": detail}
    session.execute(_INSERT, values)


_INSERT = insert(table_of(AuditEvent))


def events_for(session: Session, order_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.order_id == order_id).order_by(col(AuditEvent.id))
    return list(session.exec(query))
