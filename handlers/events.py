"""Events API: the seller typing in the DM and dropping files. Each event is handled once
(`bot.slack.inbound.once`, through `handlers.boundary.on_event`)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.delivery import files as delivery_files
from bot.delivery import proof
from bot.delivery import typed_replies as delivery_typing
from bot.slack import directory
from bot.slack.inbound.payloads import Dropped, FileShared, Ignored, SharedFile, Typed, summary
from bot.slack.services import Services
from handlers.boundary import on_event, refuse
from handlers.conversation import take_file
from handlers.inputs import FileSharedCallback, MessageCallback

log = logging.getLogger("deliverybot")

# files.info answers for a file that is gone: nothing to receive, and no use retrying
FILE_GONE = {"file_not_found", "file_deleted"}


def handle_message(message: Typed | Dropped | Ignored, services: Services) -> None:
    if isinstance(message, Dropped):
        for shared in message.files:
            receive_file(services, message.user, shared.info())
        return
    if not isinstance(message, Typed) or not message.text.strip():
        return
    person = directory.lookup_for_ack(services, message.user)
    with services.session_factory() as session:
        delivery_typing.answer_typed(
            session,
            person=person,
            typed=message.text.strip(),
            key=f"typed:{person.user_id}:{message.ts}",
            now=services.clock.now(),
            languages=services.settings.date_languages,
        )
        session.commit()
    services.notify_outbox()


def receive_file(services: Services, user: str, info: dict[str, Any]) -> None:
    """A file dropped in the DM: onto the seller's open draft (or ask which), then fetched."""
    person = directory.lookup_for_ack(services, user)
    take_file(
        services,
        info,
        lambda session, now: delivery_files.receive(
            session,
            user=user,
            identities=person.identities,
            info=info,
            now=now,
            settings=services.settings,
        ),
    )


def handle_file_shared(event: FileShared, services: Services) -> None:
    """The second event of a dropped file; it only matters if the `message` one was lost."""
    if not event.channel_id.startswith("D"):
        return
    with services.read_session_factory() as session:
        if proof.known_file(session, event.file_id, event.user_id):
            return
    try:
        info = services.client.files_info(file=event.file_id)["file"]
    except SlackApiError as error:
        if error.response.get("error") not in FILE_GONE:
            raise  # Slack's retry of the event may find it answering
        log.warning("file %s was shared, then deleted before I could read it", event.file_id)
        return
    try:
        shared = SharedFile.model_validate(info)
    except ValidationError as error:
        refuse(f"files.info answer for {event.file_id}", summary(error))
        return
    receive_file(services, event.user_id, shared.info())


def register(app: App) -> None:
    app.event("message")(on_event(MessageCallback, handle_message))
    app.event("file_shared")(on_event(FileSharedCallback, handle_file_shared))
