"""Reading drafts: the open one, the round before, and what a draft still lacks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.core.proof_kinds import kind_label
from bot.delivery.proof import active_files
from bot.orders.queries import OrderCard
from storage.models import Delivery, DeliveryState, ProofFile
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


def previous_round(
    session: Session, order_id: int, *, before: int | None = None
) -> Delivery | None:
    """The newest round the customer asked changes to (of those before round `before`)."""
    query = select(Delivery).where(
        Delivery.order_id == order_id, Delivery.state == DeliveryState.CHANGES_REQUESTED
    )
    if before is not None:
        query = query.where(Delivery.round < before)
    query = query.order_by(col(Delivery.round).desc(), col(Delivery.id).desc())
    return session.exec(query).first()


def required_kinds(card: OrderCard, default: tuple[str, ...]) -> list[str]:
    kinds = card.product.required_proof_kinds
    return list(default if kinds is None else kinds)


def missing_kinds(files: Sequence[ProofFile], required: Sequence[str]) -> list[str]:
    """The required proof kinds none of `files` is, in words."""
    have = {f.kind for f in files}
    return [kind_label(k) for k in required if k not in have]


def missing_fields(card: OrderCard, delivery: Delivery) -> list[str]:
    """The labels of the required template fields the draft has not answered."""
    answers = delivery.template_answers or {}
    return [
        item["label"]
        for item in card.product.delivery_template or []
        if item.get("required", True) and answers.get(item["id"]) in (None, "", [])
    ]


def missing_items(
    session: Session, delivery: Delivery, card: OrderCard, *, default_kinds: tuple[str, ...]
) -> list[str]:
    """What the product's template still requires, in words."""
    files = active_files(session, saved_id(delivery))
    kinds = required_kinds(card, default_kinds)
    return missing_kinds(files, kinds) + missing_fields(card, delivery)
