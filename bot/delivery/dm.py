"""The seller's DM during a delivery: one message, updated in place at every step.

`post_first` queues the message of a new draft, `post` after a take-over a new generation of
it in the new holder's DM; `refresh` queues a chat.update of it (`outbox.ref`). All are
requests the outbox renders when it sends them (`render_queued`, registered in
bot/bootstrap.py): the change that asks pays for one insert, not for reading the draft, and
updates queued in a row show the draft as it is when the newest goes out (older ones are
superseded, bot.slack.rewrites). How a delivery ended is read from the draft then too.

`Delivery.messages` is {"generation": n, "required_kinds": [...], "message": outbox key}; a
new draft is written with it (`first_messages`: its key is random, not the draft's id). A
message that never reached Slack (or was deleted there) is posted afresh at its next change.
Drafts started before there was one message have a key per step ("order", "enabling",
"files", "template", "review"): at their next change those messages say where the delivery
went, and the one message is posted as a new generation.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.proof_kinds import DEFAULT_REQUIRED_KINDS
from bot.delivery import proof
from bot.delivery.queries import missing_fields, missing_kinds, previous_round, required_kinds
from bot.delivery.views.message import Shown, build_delivery_message
from bot.delivery.views.replies import build_cancelled_notice, build_taken_over_notice
from bot.orders import contacts
from bot.orders import queries as orders
from bot.orders.queries import OrderCard
from bot.slack import outbox, rewrites
from bot.slack.blocks import section
from bot.slack.outbox import SlackAccess
from storage.models import Delivery, DeliveryState, Order, SlackUser
from storage.rows import get_row, saved_id

MESSAGE = "delivery_message"  # the outbox purpose of the delivery message, rendered when sent
LEGACY_STEPS = ("order", "enabling", "files", "template", "review")


def cached_tz(session: Session, user: str) -> str:
    found = session.get(SlackUser, user)
    return (found.tz if found else None) or "UTC"


def _meta(delivery: Delivery, **extra: Any) -> dict[str, Any]:
    return {
        "purpose": MESSAGE,
        "delivery_id": delivery.id,
        "holder": delivery.holder,
        "generation": delivery.messages.get("generation", 0),
        **extra,
    }


def _post(
    session: Session, delivery: Delivery, card: OrderCard, key: str, *, now: datetime, **meta: Any
) -> None:
    delivery.messages = {**delivery.messages, "message": key}
    session.add(delivery)
    _queue_post(session, delivery, card, key, now=now, **meta)


def _queue_post(
    session: Session, delivery: Delivery, card: OrderCard, key: str, *, now: datetime, **meta: Any
) -> None:
    outbox.enqueue(
        session,
        key=key,
        method="chat.postMessage",
        payload={"channel": delivery.holder, "text": f"Delivering order {card.order.order_no}"},
        now=now,
        order_id=delivery.order_id,
        meta=_meta(delivery, **meta),
    )


def first_messages(required_kinds: tuple[str, ...]) -> dict[str, Any]:
    """`Delivery.messages` of a new draft. Its message's key needs no draft id, so the draft
    is written once, with it (`post_first` queues the message)."""
    key = f"delivery:{uuid.uuid4().hex}:g0"
    return {"generation": 0, "required_kinds": list(required_kinds), "message": key}


def post_first(session: Session, delivery: Delivery, card: OrderCard, *, now: datetime) -> None:
    """Post the message of a new draft (made with `first_messages`) in the holder's DM."""
    _queue_post(session, delivery, card, delivery.messages["message"], now=now)


def post(
    session: Session,
    delivery: Delivery,
    card: OrderCard,
    *,
    now: datetime,
    required_kinds: tuple[str, ...] | None = None,
    **meta: Any,
) -> None:
    """Post the delivery message in the holder's DM anew (after a take-over, or a draft from
    before the one message)."""
    old = delivery.messages or {}
    generation = int(old.get("generation", -1)) + 1
    kinds = required_kinds or old.get("required_kinds") or DEFAULT_REQUIRED_KINDS
    delivery.messages = {"generation": generation, "required_kinds": list(kinds)}
    _post(session, delivery, card, f"delivery:{delivery.id}:g{generation}", now=now, **meta)


def refresh(
    session: Session, delivery: Delivery, card: OrderCard, *, now: datetime, **meta: Any
) -> None:
    """Update the delivery message in place: it shows the draft as it is when it is sent."""
    key = delivery.messages.get("message")
    if not key:
        _retire_steps(session, delivery, card, now=now)
        post(session, delivery, card, now=now, **meta)
        return
    if rewrites.lost(session, key):
        generation = delivery.messages.get("generation", 0)
        again = f"delivery:{delivery.id}:g{generation}:{uuid.uuid4().hex}"
        _post(session, delivery, card, again, now=now, **meta)
        return
    outbox.enqueue(
        session,
        key=f"{key}:update:{uuid.uuid4().hex}",
        method="chat.update",
        payload={
            "channel": outbox.ref(key),
            "ts": outbox.ref(key),
            "text": f"Delivering order {card.order.order_no}",
        },
        now=now,
        order_id=delivery.order_id,
        meta=_meta(delivery, **meta),
    )


def _retire_steps(session: Session, delivery: Delivery, card: OrderCard, *, now: datetime) -> None:
    """A draft from before the one message: each step message it sent says where it went."""
    note = f"Order {card.order.order_no}: this delivery now continues in one message, below."
    for step in LEGACY_STEPS:
        key = delivery.messages.get(step)
        if isinstance(key, str) and outbox.sent_message(session, key):
            outbox.enqueue_update(
                session,
                key=f"{key}:retired",
                of=key,
                text=note,
                blocks=[section(note)],
                now=now,
                order_id=delivery.order_id,
                meta={"purpose": "delivery_retired"},
            )


def close(
    session: Session, delivery: Delivery, card: OrderCard, *, now: datetime, reason: str, by: str
) -> None:
    """Submitted, cancelled or taken over: the message loses its inputs and says how it
    ended; a holder who did not end it themselves is told in a new message."""
    refresh(session, delivery, card, now=now, by=by)
    if by == delivery.holder:
        return
    notice = build_taken_over_notice if reason == "taken_over" else build_cancelled_notice
    blocks, text = notice(card, by)
    generation = delivery.messages.get("generation", 0)
    key = f"delivery:{delivery.id}:g{generation}:{reason}"
    say(session, user=delivery.holder, key=key, blocks=blocks, text=text, now=now)


# -- rendered when sent -----------------------------------------------------------------------
def look_up_customer(slack: SlackAccess, meta: dict) -> None:
    """Before the message is rendered: the customer's calendar, that its validity preview is
    counted in (asked of Slack once; a stale copy is refreshed)."""
    with slack.read_session_factory() as session:
        order_id = get_row(session, Delivery, meta["delivery_id"]).order_id
    contacts.look_up_customer(slack, order_id)


def render_queued(session: Session, payload: dict, meta: dict, now: datetime) -> dict:
    """The payload of a queued post or update of the delivery message, with the message as
    the draft is now (`session` is read-only)."""
    delivery = get_row(session, Delivery, meta["delivery_id"])
    blocks, text = build_delivery_message(read_shown(session, delivery, meta))
    return {**payload, "text": text, "blocks": blocks}


def read_shown(session: Session, delivery: Delivery, meta: dict[str, Any]) -> Shown:
    """What the message of `meta` (a holder's generation of it) shows: a handful of reads."""
    card = orders.card(session, get_row(session, Order, delivery.order_id))
    rows = proof.every_file(session, saved_id(delivery))
    files = [row for row in rows if not row.removed]
    stored = delivery.messages.get("required_kinds") or DEFAULT_REQUIRED_KINDS
    required = tuple(required_kinds(card, tuple(stored)))
    before = (
        previous_round(session, delivery.order_id, before=delivery.round)
        if delivery.round > 1
        else None
    )
    outcome, by = _ending(delivery, meta)
    return Shown(
        card=card,
        delivery=delivery,
        files=files,
        failed=[row for row in rows if row.fetch_error],
        required=required,
        missing_kinds=missing_kinds(files, required),
        missing_fields=missing_fields(card, delivery),
        reason=before.changes_reason if before else None,
        tz=cached_tz(session, meta.get("holder") or delivery.holder),
        outcome=outcome,
        by=by,
    )


def _ending(delivery: Delivery, meta: dict[str, Any]) -> tuple[str | None, str | None]:
    """How the delivery ended for this message's reader, and who ended it (None: open)."""
    by = meta.get("by")
    if meta.get("generation", 0) != delivery.messages.get("generation", 0):
        return "taken_over", by or delivery.holder
    if delivery.state is DeliveryState.CANCELLED:
        return "cancelled", by or delivery.holder
    if delivery.state is not DeliveryState.DRAFT:
        return "submitted", by or delivery.holder
    return None, None


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
