"""Clicks on proof files: classify, remove, and say which order a stray file belongs to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId
from bot.delivery import files as delivery_files
from bot.slack.services import Services
from handlers.conversation import on_draft, start_delivery, take_file, tell
from storage.models import ProofFile


def _file_step(
    services: Services, body: dict, respond: Respond, row_id: str, change: Callable[..., Any]
) -> None:
    with services.read_session_factory() as session:
        row = session.get(ProofFile, int(row_id))
        delivery_id = str(row.delivery_id) if row else "0"

    def step(session, draft, card, person, now):
        row = delivery_files.file_on_draft(session, row_id)
        change(session, draft, card, row, user=person.user_id, now=now)

    on_draft(services, body, respond, delivery_id, step)


def handle_file_kind(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    row_id, _, kind = action["selected_option"]["value"].partition(":")

    def change(session, draft, card, row, *, user, now):
        delivery_files.classify(session, draft, card, row, kind, user=user, now=now)

    _file_step(context["services"], body, respond, row_id, change)


def handle_file_remove(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    ack()
    services: Services = context["services"]

    def change(session, draft, card, row, *, user, now):
        if not delivery_files.remove(session, draft, card, row, user=user, now=now):
            raise DeliverybotError(f"{row.name} was already removed.")

    _file_step(services, body, respond, action["value"], change)


def handle_attach(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
    """A file dropped with no open delivery, and the seller said which order it is for."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    order_no, _, file_id = action["value"].partition("|")
    reply = start_delivery(services, user, order_no)
    with services.read_session_factory() as session:
        started = delivery_files.held_draft_of(session, user, order_no) is not None
    if started:  # else the reply says why the delivery could not start
        info = services.client.files_info(file=file_id)["file"]

        def record(session: Session, now: datetime) -> delivery_files.Received:
            draft = delivery_files.held_draft_of(session, user, order_no)
            if draft is None:  # cancelled or taken over meanwhile
                return delivery_files.Received(None)
            return delivery_files.attach_to(
                session, draft, user=user, info=info, now=now, settings=services.settings
            )

        take_file(services, info, record)
    tell(services, body, respond, reply)


def register(app: App) -> None:
    app.action(ActionId.FILE_KIND)(handle_file_kind)
    app.action(ActionId.FILE_REMOVE)(handle_file_remove)
    app.action(ActionId.FILE_ATTACH)(handle_attach)
