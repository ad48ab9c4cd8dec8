"""Reading drafts: the open one, the round before, and what a draft still lacks."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.core.proof_kinds import kind_label
from bot.delivery.proof import active_files
from bot.orders.queries import OrderCard
from storage.models import Delivery, DeliveryState
from storage.rows import saved_id


def open_draft(session: Session, order_id: int) -> Delivery | None:
    """The order's one open draft, locked until the transaction ends (PostgreSQL; SQLite's
    writers are serialised already), so two clicks at once act on it one after the other."""
    query = (
        select(Delivery)
        .where(Delivery.order_id == order_id, Delivery.state == DeliveryState.DRAFT)
        .with_for_update()
    )
    return session.exec(query).first()


def previous_round(session: Session, order_id: int) -> Delivery | None:
    query = (
        select(Delivery)
        .where(Delivery.order_id == order_id, Delivery.state == DeliveryState.CHANGES_REQUESTED)
        .order_by(col(Delivery.round).desc(), col(Delivery.id).desc())
    )
    return session.exec(query).first()


def required_kinds(card: OrderCard, default: tuple[str, ...]) -> list[str]:
    kinds = card.product.required_proof_kinds
    return list(default if kinds is None else kinds)


def missing_items(
    session: Session, delivery: Delivery, card: OrderCard, *, default_kinds: tuple[str, ...]
) -> list[str]:
    """What the product's template still requires, in words."""
    have = {f.kind for f in active_files(session, saved_id(delivery))}
    missing = [kind_label(k) for k in required_kinds(card, default_kinds) if k not in have]
    answers = delivery.template_answers or {}
    for item in card.product.delivery_template or []:
        if item.get("required", True) and answers.get(item["id"]) in (None, "", []):
            missing.append(item["label"])
    return missing
