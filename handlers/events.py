"""Events API: each delivery handled once, the seller typing in the DM, files dropped."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot import delivery, delivery_dm, delivery_files, delivery_steps, directory
from bot.dates import format_local, parse_enabling_time
from bot.errors import InvalidInput
from bot.filestore import store_for
from bot.services import Services
from bot.views.delivery import validity_preview
from bot.views.delivery_replies import build_date_echo
from storage.models import ProcessedEvent


def dedupe_events(body: dict, context: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
    """Slack retries an event it thinks we missed (X-Slack-Retry-Num) and may replay it:
    the first delivery of an event_id claims it in the database, the rest are acknowledged
    and dropped."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return next()
    services: Services = context["services"]
    with services.session_factory() as session:
        try:
            session.add(ProcessedEvent(event_id=event_id, received_at=services.clock.now()))
            session.commit()
        except IntegrityError:
            return BoltResponse(status=200, body="")
    return next()


def released_on_failure(listener: Callable[[dict, dict], None]) -> Callable[..., None]:
    """If handling fails, forget the claim so Slack's retry of the event is handled."""

    def run(body: dict, event: dict, context: dict) -> None:
        try:
            listener(event, context)
        except Exception:
            services: Services = context["services"]
            with services.session_factory() as session:
                session.execute(
                    delete(ProcessedEvent).where(ProcessedEvent.event_id == body.get("event_id"))
                )
                session.commit()
            raise

    return run


PLACEMENT_NOTE = " The order was placed that day, so I took the moment it was placed."


def _text(message: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": message}}]


def handle_message(event: dict, context: dict) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    services: Services = context["services"]
    if event.get("subtype") == "file_share":
        for info in event.get("files") or []:
            receive_file(services, event["user"], info)
        return
    if event.get("subtype") is None and (event.get("text") or "").strip():
        typed_date(services, event["user"], event["text"].strip(), event.get("ts", ""))


def typed_date(services: Services, user: str, typed: str, ts: str) -> None:
    """The seller typed in the DM: read it as the enabling time of the draft they hold."""
    now = services.clock.now()
    key = f"typed:{user}:{ts}"
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        drafts = delivery_files.held_drafts(session, user)
        if not drafts:
            message = (
                "I'm not waiting for anything from you right now. Type `/deliver` to see "
                "your orders waiting for delivery, or `/deliver help`."
            )
            delivery_dm.say(
                session, user=user, key=key, blocks=_text(message), text=message, now=now
            )
            session.commit()
            services.notify_outbox()
            return
        draft, card = delivery.held_draft(session, drafts[0].id, user=user, identities=identities)
        tz = directory.time_zone(session, services.client, services.clock, user)
        parsed = parse_enabling_time(typed, now=now, tz=tz)
        try:
            if parsed is None:
                raise InvalidInput(
                    f"I couldn't read “{typed}” as a date. Try “jan 1”, "
                    "“yesterday” or “2026-01-01”, or pick it with the date picker."
                )
            value = delivery_steps.set_enabling_time(
                session, draft, card, value=parsed.value, user=user, tz=tz, now=now, typed=typed
            )
        except InvalidInput as error:
            message = f":warning: Order {card.order.order_no}: {error}"
            delivery_dm.say(
                session,
                user=user,
                key=key,
                blocks=_text(message),
                text=message,
                now=now,
                order_id=card.order.id,
            )
        else:
            alternative = parsed.alternative
            blocks, text = build_date_echo(
                card.order.order_no,
                typed,
                format_local(value, tz),
                validity_preview(card.order.duration, value, tz),
                alternative=alternative,
                delivery_id=draft.id,
                alternative_text=format_local(alternative, tz) if alternative else None,
                note=PLACEMENT_NOTE if value != parsed.value else "",
            )
            delivery_dm.say(
                session,
                user=user,
                key=key,
                blocks=blocks,
                text=text,
                now=now,
                order_id=card.order.id,
            )
        session.commit()
    services.notify_outbox()


def receive_file(services: Services, user: str, info: dict) -> None:
    with services.session_factory() as session:
        identities = directory.identities(session, services.client, services.clock, user)
        received = delivery_files.receive(
            session,
            user=user,
            identities=identities,
            info=info,
            now=services.clock.now(),
            settings=services.settings,
        )
        session.commit()
    if received.row_id:
        delivery_files.fetch_into_store(
            session_factory=services.session_factory,
            settings=services.settings,
            store=store_for(services.settings),
            row_id=received.row_id,
            info=info,
            now=services.clock.now(),
        )
    services.notify_outbox()


def handle_file_shared(event: dict, context: dict) -> None:
    """The second event of a dropped file; it only matters if the `message` one was lost."""
    if not (event.get("channel_id") or "").startswith("D"):
        return
    services: Services = context["services"]
    user = event.get("user_id", "")
    with services.session_factory() as session:
        if delivery_files.proof.known_file(session, event["file_id"], user):
            return
    info = services.client.files_info(file=event["file_id"])["file"]
    receive_file(services, user, info)


def register(app: App) -> None:
    app.middleware(dedupe_events)
    app.event("message")(released_on_failure(handle_message))
    app.event("file_shared")(released_on_failure(handle_file_shared))
