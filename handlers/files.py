"""Clicks on proof files: classify, remove, and say which order a stray file belongs to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, Respond
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.errors import DeliverybotError
from bot.core.ids import ActionId
from bot.delivery import files as delivery_files
from bot.slack.inbound.payloads import Click
from bot.slack.services import Services
from handlers.boundary import on_click
from handlers.conversation import on_draft, refuse, start_delivery, take_file, tell
from handlers.inputs import FileAttach, FileButton, FileKindChoice
from storage.models import ProofFile


def _file_step(
    services: Services,
    click: Click[Any],
    respond: Respond,
    row_id: int,
    change: Callable[..., Any],
) -> None:
    with services.read_session_factory() as session:
        row = session.get(ProofFile, row_id)
        delivery_id = row.delivery_id if row else 0

    def step(session, draft, card, person, now):
        row = delivery_files.file_on_draft(session, row_id)
        change(session, draft, card, row, user=person.user_id, now=now)

    on_draft(services, click, respond, delivery_id, step)


def handle_file_kind(click: Click[FileKindChoice], respond: Respond, services: Services) -> None:
    row_id, kind = click.action.selected_option.value

    def change(session, draft, card, row, *, user, now):
        delivery_files.classify(session, draft, card, row, kind, user=user, now=now)

    _file_step(services, click, respond, row_id, change)


def handle_file_remove(click: Click[FileButton], respond: Respond, services: Services) -> None:
    def change(session, draft, card, row, *, user, now):
        if not delivery_files.remove(session, draft, card, row, user=user, now=now):
            raise DeliverybotError(f"{row.name} was already removed.")

    _file_step(services, click, respond, click.action.value, change)


def handle_attach(click: Click[FileAttach], respond: Respond, services: Services) -> None:
    """A file dropped with no open delivery, and the seller said which order it is for."""
    user = click.user.id
    order_no, file_id = click.action.value
    tell(services, click, respond, start_delivery(services, user, order_no))
    with services.read_session_factory() as session:
        if delivery_files.held_draft_of(session, user, order_no) is None:
            return  # the reply said why the delivery could not start
    try:
        info = services.client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        code = error.response.get("error", "")
        gone = code in ("file_not_found", "file_deleted")
        why = "it was deleted from Slack" if gone else f"Slack said {code}"
        message = f"I couldn't add that file to order {order_no}: {why}. Drop it here again."
        refuse(services, click, respond, DeliverybotError(message))
        return

    def record(session: Session, now: datetime) -> delivery_files.Received:
        draft = delivery_files.held_draft_of(session, user, order_no)
        if draft is None:  # cancelled or taken over meanwhile
            return delivery_files.Received(None)
        return delivery_files.attach_to(
            session, draft, user=user, info=info, now=now, settings=services.settings
        )

    take_file(services, info, record)


def register(app: App) -> None:
    app.action(ActionId.FILE_KIND)(on_click(Click[FileKindChoice], handle_file_kind))
    app.action(ActionId.FILE_REMOVE)(on_click(Click[FileButton], handle_file_remove))
    app.action(ActionId.FILE_ATTACH)(on_click(Click[FileAttach], handle_attach))
