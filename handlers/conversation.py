"""What several listeners share: a write transaction that wakes the outbox, replying to the
person who clicked, starting, cancelling or acting on a seller's draft, and recording a
dropped file. Listener modules import this one, never each other."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_bolt import Respond
from sqlmodel import Session

from bot.core.errors import DeliverybotError
from bot.delivery import dm as delivery_dm
from bot.delivery import drafts as delivery
from bot.delivery import files as delivery_files
from bot.delivery import proof_fetch
from bot.delivery.errors import HeldByTeammate, NotDeliverable
from bot.delivery.views.replies import build_cancelled, build_held_by, build_pointer
from bot.orders.queries import OrderCard
from bot.orders.views import build_error, build_order_details
from bot.slack import directory
from bot.slack.directory import Person
from bot.slack.inbound.payloads import Click
from bot.slack.services import Services
from storage.models import Delivery

Reply = tuple[list[dict[str, Any]], str]


@contextmanager
def writing(services: Services) -> Iterator[Session]:
    """A write transaction, committed (and the outbox woken) when the block succeeds; rolled
    back, with the error passed on, when it raises."""
    with services.session_factory() as session:
        yield session
        session.commit()
    services.notify_outbox()


def start_delivery(services: Services, user: str, order_no: str) -> Reply:
    """Start or resume the delivery of `order_no` for `user`: the reply to show them."""

    def start(session: Session, person: Person) -> delivery.Started:
        return delivery.start_or_resume(
            session,
            order_no=order_no,
            user=user,
            identities=person.identities,
            now=services.clock.now(),
            default_kinds=services.settings.required_proof_kinds,
        )

    try:
        # the seller's cached profile is read in the start's own transaction (one session,
        # not two, per start); someone never seen is asked of Slack with none open
        with writing(services) as session:
            known = directory.cached_for_ack(services, user, session)
            started = start(session, known) if known else None
        if started is None:
            person = directory.lookup(services, user)
            with writing(services) as session:
                started = start(session, person)
    except HeldByTeammate as error:
        return build_held_by(str(error), error.delivery_id), str(error)
    except NotDeliverable as error:  # where it stands, and the order itself
        details = build_order_details(error.card) if error.card else []
        return build_error(str(error)) + details, str(error)
    except DeliverybotError as error:
        return build_error(str(error)), str(error)
    return pointer(started)


def pointer(started: delivery.Started) -> Reply:
    no = started.card.order.order_no
    return build_pointer(no, resumed=started.resumed), f"Order {no}: continue in our DM"


def cancel_draft(services: Services, user: str, order_no: str) -> Reply:
    person = directory.lookup_for_ack(services, user)
    try:
        with writing(services) as session:
            draft = delivery.cancel(
                session,
                order_no=order_no,
                user=user,
                identities=person.identities,
                now=services.clock.now(),
            )
    except DeliverybotError as error:
        return build_error(str(error)), str(error)
    return build_cancelled(order_no.strip(), holder=draft.holder, by=user)


Step = Callable[[Session, Delivery, OrderCard, Person, datetime], None]


def tell(services: Services, click: Click[Any], respond: Respond, reply: Reply) -> None:
    """Reply to the clicker only: ephemeral where Slack gave a response_url, else a DM."""
    blocks, text = reply
    if click.response_url:
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
        return
    with services.session_factory() as session:
        delivery_dm.say(
            session,
            user=click.user.id,
            key=f"reply:{uuid.uuid4().hex}",
            blocks=blocks,
            text=text,
            now=services.clock.now(),
        )
        session.commit()
    services.notify_outbox()


def refuse(
    services: Services, click: Click[Any], respond: Respond, error: DeliverybotError
) -> None:
    tell(services, click, respond, (build_error(str(error)), str(error)))


def on_draft(
    services: Services, click: Click[Any], respond: Respond, delivery_id: int, step: Step
) -> None:
    """Run `step(session, draft, card, person, now)` on a draft the clicker holds."""
    person = directory.lookup_for_ack(services, click.user.id)
    try:
        with writing(services) as session:
            draft, card = delivery.held_draft(
                session, delivery_id, user=person.user_id, identities=person.identities
            )
            step(session, draft, card, person, services.clock.now())
    except DeliverybotError as error:
        refuse(services, click, respond, error)


def take_file(
    services: Services,
    info: dict[str, Any],
    record: Callable[[Session, datetime], delivery_files.Received],
) -> None:
    """Record a dropped file in one short transaction, then try to download it with none open."""
    with services.session_factory() as session:
        received = record(session, services.clock.now())
        session.commit()
    services.notify_outbox()
    if received.row_id:
        proof_fetch.fetch_now(services, received.row_id, info)
