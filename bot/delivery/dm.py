"""The seller's DM during a delivery: one message per step, updated in place.

Every message goes through the outbox. The draft remembers the outbox key of each step's
message in `Delivery.messages` ({"order": key, …, "generation": n}); updates refer to
the posted message with `outbox.ref(key)`. A take-over starts a new generation of messages
in the new holder's DM. A step message that never reached Slack (or was deleted there) is
posted afresh at its next change, under a new key, instead of every update failing after it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.proof_kinds import DEFAULT_REQUIRED_KINDS
from bot.delivery import proof
from bot.delivery.queries import missing_items, previous_round
from bot.delivery.views import steps as views
from bot.delivery.views.replies import build_cancelled_notice, build_taken_over_notice
from bot.orders.queries import OrderCard
from bot.slack import outbox, rewrites
from storage.models import Delivery, SlackUser
from storage.rows import saved_id

ROLES = ("order", "enabling", "files", "template", "review")


def cached_tz(session: Session, user: str) -> str:
    found = session.get(SlackUser, user)
    return (found.tz if found else None) or "UTC"


def _render(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    now: datetime,
    outcome: str | None = None,
    by: str | None = None,
) -> dict[str, tuple[list, str]]:
    tz = cached_tz(session, delivery.holder)
    files = proof.active_files(session, saved_id(delivery))
    kinds = tuple(delivery.messages.get("required_kinds", DEFAULT_REQUIRED_KINDS))
    missing = missing_items(session, delivery, card, default_kinds=kinds)
    previous = previous_round(session, saved_id(card.order))
    reason = previous.changes_reason if previous and delivery.round > 1 else None
    locked = outcome is not None
    return {
        "order": views.build_order_step(card, delivery, reason=reason, outcome=outcome, by=by),
        "enabling": views.build_enabling_step(card, delivery, tz=tz, now=now, locked=locked),
        "files": views.build_files_step(
            delivery,
            files,
            required=kinds,
            locked=locked,
            failed=proof.failed_files(session, saved_id(delivery)),
        ),
        "template": views.build_template_step(card, delivery, locked=locked),
        "review": views.build_review_step(
            card, delivery, files, missing, tz=tz, now=now, outcome=outcome, by=by
        ),
    }


def _meta(delivery: Delivery, role: str) -> dict[str, Any]:
    return {"purpose": "delivery_dm", "delivery_id": delivery.id, "role": role}


def post_all(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    now: datetime,
    required_kinds: tuple[str, ...] | None = None,
) -> None:
    """Post the step messages in the holder's DM (a new draft, or after a take-over)."""
    old = delivery.messages or {}
    generation = int(old.get("generation", -1)) + 1
    messages: dict[str, Any] = {
        "generation": generation,
        "required_kinds": list(
            required_kinds or old.get("required_kinds") or DEFAULT_REQUIRED_KINDS
        ),
    }
    for role in ROLES:
        messages[role] = f"delivery:{delivery.id}:g{generation}:{role}"
    delivery.messages = messages
    session.add(delivery)
    posts = [
        outbox.Queued(
            key=messages[role],
            method="chat.postMessage",
            payload={"channel": delivery.holder, "text": text, "blocks": blocks},
            order_id=card.order.id,
            meta=_meta(delivery, role),
        )
        for role, (blocks, text) in _render(session, delivery, card, now=now).items()
    ]
    outbox.enqueue_many(session, posts, now=now)  # one statement, in the steps' order


def _post_to_holder(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    role: str,
    rendered: tuple[list, str],
    *,
    key: str,
    now: datetime,
) -> None:
    blocks, text = rendered
    outbox.enqueue(
        session,
        key=key,
        method="chat.postMessage",
        payload={"channel": delivery.holder, "text": text, "blocks": blocks},
        now=now,
        order_id=card.order.id,
        meta=_meta(delivery, role),
    )


def refresh(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    now: datetime,
    roles: tuple[str, ...] = ROLES,
    outcome: str | None = None,
    by: str | None = None,
) -> None:
    """Update the step messages in place (they show the draft as it is now)."""
    rendered = _render(session, delivery, card, now=now, outcome=outcome, by=by)
    for role in roles:
        key = delivery.messages.get(role)
        if not key:
            continue
        blocks, text = rendered[role]
        if rewrites.lost(session, key):
            _repost(session, delivery, card, role, rendered[role], now=now)
            continue
        outbox.enqueue_update(
            session,
            key=f"{key}:update:{uuid.uuid4().hex}",
            of=key,
            text=text,
            blocks=blocks,
            now=now,
            order_id=card.order.id,
            meta=_meta(delivery, role),
        )


def _repost(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    role: str,
    rendered: tuple[list, str],
    *,
    now: datetime,
) -> None:
    generation = delivery.messages.get("generation", 0)
    key = f"delivery:{delivery.id}:g{generation}:{role}:{uuid.uuid4().hex}"
    delivery.messages = {**delivery.messages, role: key}
    session.add(delivery)
    _post_to_holder(session, delivery, card, role, rendered, key=key, now=now)


def close(
    session: Session, delivery: Delivery, card: OrderCard, *, now: datetime, reason: str, by: str
) -> None:
    """Submitted, cancelled or taken over: the messages lose their buttons and say how it
    ended; a holder who did not end it themselves is told in a new message."""
    refresh(session, delivery, card, now=now, outcome=reason, by=by)
    if by == delivery.holder:
        return
    notice = build_taken_over_notice if reason == "taken_over" else build_cancelled_notice
    generation = delivery.messages.get("generation", 0)
    key = f"delivery:{delivery.id}:g{generation}:{reason}"
    _post_to_holder(session, delivery, card, reason, notice(card, by), key=key, now=now)


def say(
    session: Session,
    *,
    user: str,
    key: str,
    blocks: list,
    text: str,
    now: datetime,
    order_id: int | None = None,
) -> None:
    """A one-off reply in the user's DM (date echoes, refusals, questions about a file)."""
    outbox.enqueue(
        session,
        key=key,
        method="chat.postMessage",
        payload={"channel": user, "text": text, "blocks": blocks},
        now=now,
        order_id=order_id,
        meta={"purpose": "delivery_reply"},
    )
