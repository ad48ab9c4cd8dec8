"""Files the seller drops into the DM, on their draft: attach, fetch, classify, remove.

Slack sends two events for one dropped file (`message`/`file_share` and `file_shared`);
whichever comes first records it, the other finds it recorded (or loses on the unique
constraint) and does nothing.

A recorded file is fetched after the recording commits (bot.proof_fetch: a quick try, then
the worker's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core.settings import Settings
from bot.delivery import dm as delivery_dm
from bot.delivery import proof, proof_fetch
from bot.delivery.views.replies import build_which_delivery
from bot.orders import queries as orders
from bot.orders.queries import OrderCard
from storage.models import Delivery, DeliveryState, Order, ProofFile
from storage.rows import get_row
from storage.states import SupervisionState


def held_drafts(session: Session, user: str) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.holder == user, Delivery.state == DeliveryState.DRAFT)
        .order_by(col(Delivery.updated_at).desc(), col(Delivery.id).desc())
    )
    return list(session.exec(query))


def held_draft_of(session: Session, user: str, order_no: str) -> Delivery | None:
    """The draft of order `order_no` that `user` holds, if any."""
    order = orders.get_order(session, order_no)
    return next((d for d in held_drafts(session, user) if order and d.order_id == order.id), None)


@dataclass(frozen=True)
class Received:
    row_id: int | None  # the recorded file, to fetch after commit


def receive(
    session: Session,
    *,
    user: str,
    identities: set[str],
    info: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> Received:
    """A file dropped into the DM: onto the seller's one open draft, or ask which."""
    if proof.known_file(session, info["id"], user):
        return Received(None)
    drafts = held_drafts(session, user)
    if len(drafts) != 1:
        _ask_which(session, user=user, identities=identities, info=info, drafts=drafts, now=now)
        return Received(None)
    return attach_to(session, drafts[0], user=user, info=info, now=now, settings=settings)


def attach_to(
    session: Session,
    delivery: Delivery,
    *,
    user: str,
    info: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> Received:
    attached = proof.attach(
        session, delivery, info, user=user, now=now, max_bytes=settings.max_file_bytes
    )
    if attached is None:
        return Received(None)
    card = orders.card(session, get_row(session, Order, delivery.order_id))
    if attached.refusal:
        _tell(session, user, f"file-refused:{info['id']}", f":warning: {attached.refusal}", now)
        return Received(None)
    assert attached.file is not None
    proof_fetch.owe_download(session, attached.file, order_id=delivery.order_id, now=now)
    delivery.updated_at = now
    session.add(delivery)
    delivery_dm.refresh(session, delivery, card, now=now)
    return Received(attached.file.id)


def _ask_which(
    session: Session,
    *,
    user: str,
    identities: set[str],
    info: dict[str, Any],
    drafts: list[Delivery],
    now: datetime,
) -> None:
    if drafts:
        numbers = [get_row(session, Order, d.order_id).order_no for d in drafts]
    else:
        waiting = orders.orders_for_seller(
            session, identities, limit=5, states=(SupervisionState.AWAITING_DELIVERY,)
        )
        numbers = [c.order.order_no for c in waiting]
    name = info.get("name") or info["id"]
    blocks, text = build_which_delivery(name, info["id"], numbers)
    delivery_dm.say(
        session, user=user, key=f"file-question:{info['id']}", blocks=blocks, text=text, now=now
    )


def _tell(session: Session, user: str, key: str, message: str, now: datetime) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": message}}]
    delivery_dm.say(session, user=user, key=key, blocks=blocks, text=message, now=now)


def file_on_draft(session: Session, row_id: int | str) -> ProofFile:
    row = session.get(ProofFile, int(row_id))
    if row is None:
        raise LookupError(row_id)
    return row


def classify(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    row: ProofFile,
    kind: str,
    *,
    user: str,
    now: datetime,
) -> None:
    if row.kind != kind:
        proof.set_kind(session, row, kind, user=user, now=now)
        delivery_dm.refresh(session, delivery, card, now=now)


def remove(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    row: ProofFile,
    *,
    user: str,
    now: datetime,
) -> bool:
    """False when it was already removed (a second click)."""
    if row.removed:
        return False
    proof.remove(session, row, user=user, now=now)
    delivery_dm.refresh(session, delivery, card, now=now)
    return True
