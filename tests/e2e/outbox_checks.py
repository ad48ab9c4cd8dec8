"""What the fault tests check after the fact: the outbox's rows, read afresh, and what Slack
shows the seller."""

from __future__ import annotations

from sqlmodel import select

from bot.orders.queries import get_order
from storage.models import OutboxMessage, OutboxStatus
from storage.states import SupervisionState
from tests.factories import SELLER


def rows(session) -> list[OutboxMessage]:
    session.expire_all()
    found = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
    session.commit()
    return found


def row_with_text(session, text: str) -> OutboxMessage:
    [row] = [r for r in rows(session) if text in r.payload.get("text", "")]
    return row


def all_sent(session) -> bool:
    return all(r.status is OutboxStatus.SENT for r in rows(session))


def state_of(session) -> SupervisionState:
    session.expire_all()
    state = get_order(session, "12345").state
    session.commit()  # on SQLite an open transaction would hold the write lock
    return state


def seller_notices(box) -> list:
    return [m for m in box.slack.dms(SELLER) if "accepted your delivery" in m.text]
