"""What Slack knows about people (e-mail, name, time zone), cached in the database."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.clock import Clock
from storage.models import SlackUser

FRESH_FOR = timedelta(hours=12)


def profile(session: Session, client: WebClient, clock: Clock, user_id: str) -> SlackUser | None:
    """The cached profile, refreshed from `users.info` when older than FRESH_FOR.

    Returns the stale copy (or None) when Slack cannot be asked: callers degrade gracefully.
    """
    cached = session.get(SlackUser, user_id)
    now = clock.now()
    if cached and now - cached.fetched_at < FRESH_FOR:
        return cached
    try:
        data = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return cached
    try:
        with session.begin_nested():  # two first requests by one person race to cache them
            return remember(session, data, now=now)
    except IntegrityError:
        return session.get(SlackUser, user_id, populate_existing=True)


def remember(session: Session, data: dict, *, now) -> SlackUser:
    user = session.get(SlackUser, data["id"]) or SlackUser(user_id=data["id"], fetched_at=now)
    profile_data = data.get("profile") or {}
    user.email = (profile_data.get("email") or "").lower() or None
    user.name = data.get("name")
    user.real_name = data.get("real_name") or profile_data.get("real_name")
    user.tz = data.get("tz")
    user.fetched_at = now
    session.add(user)
    return user


def time_zone(session: Session, client: WebClient, clock: Clock, user_id: str) -> str:
    found = profile(session, client, clock, user_id)
    return (found.tz if found and found.tz else None) or "UTC"


def identities(session: Session, client: WebClient, clock: Clock, user_id: str) -> set[str]:
    """How a person may be named as a seller: their user id, and their e-mail if Slack has it."""
    found = profile(session, client, clock, user_id)
    names = {user_id}
    if found and found.email:
        names.add(found.email)
    return names
