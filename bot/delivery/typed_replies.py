"""The seller typing in the DM: read as the enabling time of the draft they hold, echoed back.

An ambiguous numeric date (01/02/2026) is read month first, as dateparser does; when only the
day-first reading is a possible enabling time (the other would be in the future or before the
order), that one is taken. The echo always says which reading was taken and offers the other
when it is possible.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.dates import ParsedDate, date_text, parse_enabling_time
from bot.core.errors import InvalidInput
from bot.delivery import dm as delivery_dm
from bot.delivery import drafts as delivery
from bot.delivery import files as delivery_files
from bot.delivery.steps import check_enabling_time, set_enabling_time
from bot.delivery.views.replies import Reading, build_date_echo, build_note, echo
from bot.slack.directory import Person
from storage.models import Order
from storage.rows import saved_id

NOTHING_OPEN = (
    "I'm not waiting for anything from you right now. Type `/deliver` to see "
    "your orders waiting for delivery, or `/deliver help`."
)


def why_not(value: datetime, *, order: Order, now: datetime, tz: str) -> str | None:
    try:
        check_enabling_time(value, order=order, now=now, tz=tz)
    except InvalidInput:
        return "in the future" if value > now else "before the order was placed"
    return None


def choose_reading(parsed: ParsedDate, *, order: Order, now: datetime, tz: str) -> Reading:
    if parsed.alternative is None:
        return Reading(parsed.value)
    month_first = why_not(parsed.value, order=order, now=now, tz=tz)
    day_first = why_not(parsed.alternative, order=order, now=now, tz=tz)
    if month_first and not day_first:
        return Reading(parsed.alternative, "day first", parsed.value, month_first)
    return Reading(parsed.value, "month first", parsed.alternative, day_first)


def answer_typed(
    session: Session,
    *,
    person: Person,
    typed: str,
    key: str,
    now: datetime,
    languages: tuple[str, ...],
) -> None:
    """Record what `person` typed as the enabling time of their draft (read in `languages`),
    and say how it was read (or why it can't be the enabling time)."""
    # before the first query: the parse must not run inside the transaction (on SQLite it
    # would hold the write lock every other request waits for)
    parsed = parse_enabling_time(typed, now=now, tz=person.tz, languages=languages)
    drafts = delivery_files.held_drafts(session, person.user_id)
    if not drafts:
        blocks, text = build_note(NOTHING_OPEN)
        delivery_dm.say(session, user=person.user_id, key=key, blocks=blocks, text=text, now=now)
        return
    draft, card = delivery.held_draft(
        session, saved_id(drafts[0]), user=person.user_id, identities=person.identities
    )
    order = card.order
    try:
        if parsed is None:
            raise InvalidInput(
                f"I couldn't read “{echo(typed)}” as a date. Try “jan 1”, "
                "“yesterday” or “2026-01-01”, or pick it with the date picker."
            )
        reading = choose_reading(parsed, order=order, now=now, tz=person.tz)
        kept = set_enabling_time(
            session,
            draft,
            card,
            value=reading.value,
            user=person.user_id,
            tz=person.tz,
            now=now,
            typed=date_text(typed),
        )
    except InvalidInput as error:
        blocks, text = build_note(f":warning: Order {order.order_no}: {error}")
    else:
        assert kept is not None  # set from a date, not "not stated"
        blocks, text = build_date_echo(card, draft, typed, reading, kept=kept, tz=person.tz)
    delivery_dm.say(
        session, user=person.user_id, key=key, blocks=blocks, text=text, now=now, order_id=order.id
    )
