"""Each Events API event handled once, whatever Slack retries (`X-Slack-Retry-Num`) or replays.

The first delivery of an `event_id` claims it in the database (one row, unique) before its
listener runs; the listener runs; then the claim is marked handled. A later delivery of the
same event is acknowledged without running anything once it is handled. While it is still in
hand it is answered 409, so that Slack keeps its later retries coming: a 2xx would end them,
and if the process holding the claim dies mid-listener the event would be lost. A claim still
unhandled after STALE_CLAIM was lost with its process, and the retry that finds it takes over.

If the listener fails, the claim is released so that Slack's retry handles the event. If only
the marking fails, the event is acknowledged all the same (a 2xx: Slack sends no retry) and the
claim kept, so a duplicate delivery finds it in hand rather than free: it must not run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import BoltResponse
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col

from bot.slack.services import Services
from storage.models import ProcessedEvent
from storage.rows import changed_rows

log = logging.getLogger("deliverybot")

# Slack retries at once, after about 1 minute and after about 5: a claim this old and still
# unhandled was lost with its process, and the 5-minute retry takes it over
STALE_CLAIM = timedelta(minutes=2)
IN_HAND = 409  # not 2xx: Slack retries later, and by then the event is handled (or lost)


def once(services: Services, event_id: str, listener: Callable[[], None]) -> BoltResponse | None:
    """Run `listener` for this delivery of `event_id` unless it is handled or in hand."""
    answer = _taken(services, event_id)
    if answer is not None:
        return answer
    try:
        listener()
    except Exception:
        _release(services, event_id)
        raise
    try:
        _mark_handled(services, event_id)
    except SQLAlchemyError:
        log.exception("event %s was handled but could not be marked so; it stays claimed", event_id)
    return None


def _taken(services: Services, event_id: str) -> BoltResponse | None:
    """Claim the event for this delivery (None), or the answer to give Slack if it is taken."""
    now = services.clock.now()
    with services.session_factory() as session:
        try:
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        taken_over = changed_rows(
            session,
            update(ProcessedEvent)
            .where(col(ProcessedEvent.event_id) == event_id)
            .where(col(ProcessedEvent.handled_at).is_(None))
            .where(col(ProcessedEvent.received_at) < now - STALE_CLAIM)
            .values(received_at=now),
        )
        session.commit()
        if taken_over == 1:
            log.info(
                "event %s: its first delivery was lost with its process; handling it now", event_id
            )
            return None
        claim = session.get(ProcessedEvent, event_id)
    if claim is not None and claim.handled_at is not None:
        return BoltResponse(status=200, body="")
    log.info("event %s is being handled: Slack is asked to retry later", event_id)
    return BoltResponse(status=IN_HAND, body="")


def _mark_handled(services: Services, event_id: str) -> None:
    with services.session_factory() as session:
        session.execute(
            update(ProcessedEvent)
            .where(col(ProcessedEvent.event_id) == event_id)
            .values(handled_at=services.clock.now())
        )
        session.commit()


def _release(services: Services, event_id: str) -> None:
    with services.session_factory() as session:
        session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.event_id) == event_id))
        session.commit()
