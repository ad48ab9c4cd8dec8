"""Events API: each delivery handled once, the seller typing in the DM, files dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.delivery import files as delivery_files
from bot.delivery import proof
from bot.delivery import typed_replies as delivery_typing
from bot.slack import directory
from bot.slack.services import Services
from handlers.conversation import take_file
from storage.models import ProcessedEvent
from storage.rows import changed_rows

# Slack retries after about 1 and 5 minutes: a claim this old and unhandled was lost with its process
STALE_CLAIM = timedelta(minutes=2)


def dedupe_events(
    body: dict[str, Any],
    context: BoltContext,
    next: Callable[[], None],  # noqa: A002
) -> BoltResponse | None:
    """Slack retries an event it thinks we missed (X-Slack-Retry-Num) and may replay it:
    the first delivery of an event_id claims it in the database, the rest are acknowledged
    and dropped — unless the claim was never handled and is older than STALE_CLAIM (the
    process died in the middle), in which case Slack's later retry takes it over."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        next()
        return None
    services: Services = context["services"]
    now = services.clock.now()
    with services.session_factory() as session:
        try:
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
            session.commit()
        except IntegrityError:
            session.rollback()
            taken_over = changed_rows(
                session,
                update(ProcessedEvent)
                .where(
                    ProcessedEvent.event_id == event_id, col(ProcessedEvent.handled_at).is_(None)
                )
                .where(col(ProcessedEvent.received_at) < now - STALE_CLAIM)
                .values(received_at=now),
            )
            session.commit()
            if taken_over != 1:
                return BoltResponse(status=200, body="")
    next()  # listeners run before the response: the event has been handled now
    with services.session_factory() as session:
        session.execute(
            update(ProcessedEvent).where(ProcessedEvent.event_id == event_id).values(handled_at=now)
        )
        session.commit()
    return None


def released_on_failure(listener: Callable[[dict, dict], None]) -> Callable[..., None]:
    """If handling fails, forget the claim so Slack's retry of the event is handled."""

    def run(body: dict, event: dict, context: dict) -> None:
        try:
            listener(event, context)
        except Exception:
            services: Services = context["services"]
            with services.session_factory() as session:
                session.execute(
                    delete(ProcessedEvent).where(
                        col(ProcessedEvent.event_id) == body.get("event_id")
                    )
                )
                session.commit()
            raise

    return run


def handle_message(event: dict, context: dict) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    services: Services = context["services"]
    if event.get("subtype") == "file_share":
        for info in event.get("files") or []:
            receive_file(services, event["user"], info)
        return
    typed = (event.get("text") or "").strip()
    if event.get("subtype") is None and typed:
        person = directory.lookup(services, event["user"])
        with services.session_factory() as session:
            delivery_typing.answer_typed(
                session,
                person=person,
                typed=typed,
                key=f"typed:{person.user_id}:{event.get('ts', '')}",
                now=services.clock.now(),
            )
            session.commit()
        services.notify_outbox()


def receive_file(services: Services, user: str, info: dict) -> None:
    """A file dropped in the DM: onto the seller's open draft (or ask which), then fetched."""
    person = directory.lookup(services, user)
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


def handle_file_shared(event: dict, context: dict) -> None:
    """The second event of a dropped file; it only matters if the `message` one was lost."""
    if not (event.get("channel_id") or "").startswith("D"):
        return
    services: Services = context["services"]
    user = event.get("user_id", "")
    with services.read_session_factory() as session:
        if proof.known_file(session, event["file_id"], user):
            return
    info = services.client.files_info(file=event["file_id"])["file"]
    receive_file(services, user, info)


def register(app: App) -> None:
    app.middleware(dedupe_events)
    app.event("message")(released_on_failure(handle_message))
    app.event("file_shared")(released_on_failure(handle_file_shared))
