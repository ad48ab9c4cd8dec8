"""What Slack knows about people (e-mail, name, time zone), cached in the database.

Handlers use `lookup(services, user)` before they open their own transaction: it reads the
cache with a read-only session, asks Slack (`users.info`) with no transaction open, and
stores the answer in a short write transaction of its own. On SQLite a write session holds
the database's one write lock from its first query, so asking Slack inside one would make
every other writer wait on Slack.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlalchemy import Row, bindparam
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import SlackUser
from storage.rows import get_row

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.slack.services import Services

FRESH_FOR = timedelta(hours=12)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """A Slack user as far as the bot needs them; safe to keep after the session closed."""

    user_id: str
    email: str | None = None
    real_name: str | None = None
    tz: str = "UTC"
    team: str | None = None  # their home workspace; only from a fresh answer (not cached)
    answered: bool = False  # Slack answered just now (False: the cached copy, or nothing)

    @property
    def identities(self) -> set[str]:
        """How they may be named as a seller: their user id, and their e-mail if Slack has it."""
        return {self.user_id} | ({self.email} if self.email else set())

    @classmethod
    def of(cls, user_id: str, cached: SlackUser | Row | None) -> Person:
        """From the cache's row (a SlackUser, or a row of its columns), if any."""
        if cached is None:
            return cls(user_id)
        return cls(user_id, cached.email, cached.real_name, cached.tz or "UTC")


def lookup(services: Services, user_id: str, *, ask_slack: bool = False) -> Person:
    """The person, refreshed from Slack when the cached copy is older than FRESH_FOR (or
    always with `ask_slack`: only a fresh answer says which workspace they belong to).

    Falls back to the stale copy (or just the user id) when Slack cannot be asked.
    """
    now = services.clock.now()
    with services.read_session_factory() as session:
        cached = session.get(SlackUser, user_id)
        if cached and _fresh(cached, now) and not ask_slack:
            return Person.of(user_id, cached)
        stale = Person.of(user_id, cached)
    try:
        data = services.client.users_info(user=user_id)["user"]
    except (SlackApiError, OSError):  # an error answer, or no answer (connection errors)
        return stale
    with services.session_factory() as session:
        stored = store(session, data, now=now)
        person = replace(Person.of(user_id, stored), team=_team(data), answered=True)
        session.commit()
    return person


def lookup_for_ack(services: Services, user_id: str, session: Session | None = None) -> Person:
    """The person for a reply that must come within Slack's 3 s: the cached copy, refreshed
    from Slack after the reply when stale. Only someone never seen before is asked at once
    (their e-mail may be what their orders name them by). `session`: a read session the
    caller has open anyway."""
    if session is None:
        with services.read_session_factory() as own:
            return lookup_for_ack(services, user_id, own)
    return cached_for_ack(services, user_id, session) or lookup(services, user_id)


def cached_for_ack(services: Services, user_id: str, session: Session) -> Person | None:
    """`lookup_for_ack` without asking Slack: None for someone never seen before (the caller
    asks with `lookup`, with no transaction open, and tries again)."""
    cached = session.connection().execute(_CACHED, {"user_id": user_id}).first()
    if cached is None:
        return None
    if not _fresh(cached, services.clock.now()):
        after_reply(f"user:{user_id}", lambda: lookup(services, user_id))
    return Person.of(user_id, cached)


# every ack reads it: built once (an ORM get costs several times the read)
_USERS = SlackUser.__table__  # type: ignore[attr-defined]
_CACHED = select_columns(
    _USERS.c.email, _USERS.c.real_name, _USERS.c.tz, _USERS.c.fetched_at
).where(_USERS.c.user_id == bindparam("user_id"))


_background: ThreadPoolExecutor | None = None
_in_hand: set[str] = set()
_guard = threading.Lock()


def after_reply(key: str, work: Callable[[], object]) -> None:
    """Run `work` on a small background pool, once at a time per `key` (a refresh asked for
    again while one is under way is dropped): Slack calls a reply does not need."""
    global _background
    with _guard:
        if key in _in_hand:
            return
        _in_hand.add(key)
        if _background is None:  # made on first use: nothing starts at import time
            _background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="after-reply")

    def run() -> None:
        try:
            work()
        except Exception:  # a refresh is best effort: the cached copy stays
            log.exception("background refresh %s failed", key)
        finally:
            with _guard:
                _in_hand.discard(key)

    _background.submit(run)


def _team(data: dict) -> str | None:
    return data.get("team_id") or (data.get("profile") or {}).get("team") or None


def cached_person(session: Session, *, user_id: str | None, email: str | None) -> SlackUser | None:
    """What the cache holds about a person named by user id, else by e-mail (no Slack call)."""
    if user_id:
        return session.get(SlackUser, user_id)
    if email:
        return session.exec(select(SlackUser).where(SlackUser.email == email.lower())).first()
    return None


def _fresh(cached: SlackUser | Row, now: datetime) -> bool:
    return now - cached.fetched_at < FRESH_FOR


def store(session: Session, data: dict, *, now: datetime) -> SlackUser:
    """Cache what `users.info` (or `users.lookupByEmail`) said; a concurrent first caching of
    the same person (a unique violation on PostgreSQL) keeps theirs."""
    try:
        with session.begin_nested():  # two first requests by one person race to cache them
            return remember(session, data, now=now)
    except IntegrityError:
        return get_row(session, SlackUser, data["id"], populate_existing=True)


def remember(session: Session, data: dict, *, now: datetime) -> SlackUser:
    user = session.get(SlackUser, data["id"]) or SlackUser(user_id=data["id"], fetched_at=now)
    profile_data = data.get("profile") or {}
    user.email = (profile_data.get("email") or "").lower() or None
    user.name = data.get("name")
    user.real_name = data.get("real_name") or profile_data.get("real_name")
    user.tz = data.get("tz")
    user.fetched_at = now
    session.add(user)
    return user


def in_channel(client: WebClient, channel: str, user_id: str) -> bool:
    """Whether `user_id` is a member of `channel`, reading every page of members.
    Fails closed: False when Slack cannot say."""
    cursor = None
    try:
        while True:
            page = client.conversations_members(channel=channel, limit=1000, cursor=cursor)
            if user_id in page["members"]:
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
    except SlackApiError:
        return False
