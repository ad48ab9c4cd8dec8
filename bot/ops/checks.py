"""`deliverybot check`: will this installation work? Each check is a line, passed or not, with
what to do when not. Settings, the database, Slack (token, scopes, the ops channel), the
signing secret, the worker, and work that failed for good."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.core.clock import Clock
from bot.core.masking import mask_url
from bot.core.settings import Settings, slack_problems
from bot.jobs.heartbeat import is_fresh, last_seen
from bot.ops.queue import jobs_summary, outbox_summary
from bot.ops.token import TokenCheck
from bot.slack.loops import one_line
from storage.engine import make_session_factory
from storage.migrate import current_revision, head_revision

SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")  # what Slack issues: 32 hexadecimal characters


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what to do when it is not ok

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def manifest_scopes(*places: Path) -> list[str] | None:
    """The bot scopes manifest.yml asks for (None when no manifest is found)."""
    for place in places:
        if place.is_file():
            data = yaml.safe_load(place.read_text(encoding="utf-8")) or {}
            return list(data.get("oauth_config", {}).get("scopes", {}).get("bot", []))
    return None


def run(
    settings: Settings,
    engine: Engine | None,
    client: WebClient,
    clock: Clock,
    *,
    scopes_wanted: list[str] | None,
    database_error: str | None = None,
) -> Iterator[Check]:
    """`engine` None: no database file yet, or `database_error` says why there is none."""
    http = not settings.slack_app_token
    problems = slack_problems(settings, http=http)
    yield Check("settings", not problems, " ".join(problems) or "all present and well-formed")
    if http and settings.slack_signing_secret:  # unset: the settings line says so
        secret = settings.slack_signing_secret
        plausible = bool(SIGNING_SECRET.fullmatch(secret))
        yield Check(
            "signing secret",
            plausible,
            "32 hexadecimal characters, as Slack issues"
            if plausible
            else f"{len(secret)} characters, not the 32 hexadecimal characters Slack issues: "
            "copy it again from your app's Basic Information page",
        )
    if database_error:
        yield Check("database", False, database_error)
    else:
        yield from _database(settings, engine, clock)
    yield from _slack(settings, client, scopes_wanted)


def _database(settings: Settings, engine: Engine | None, clock: Clock) -> Iterator[Check]:
    shown = mask_url(settings.database_url)
    if engine is None:
        yield Check("database", False, f"no database at {shown} yet: run `deliverybot db upgrade`")
        return
    try:
        current, head = current_revision(engine), head_revision(engine)
    except Exception as error:
        yield Check(
            "database",
            False,
            f"cannot reach {shown} ({one_line(error)}): check DATABASE_URL and the server",
        )
        return
    if current != head:
        yield Check(
            "database",
            False,
            f"at migration {current or 'none'}, the latest is {head}: run `deliverybot db upgrade`",
        )
        return
    yield Check("database", True, f"{shown}, at the latest migration ({head})")
    now = clock.now()
    with make_session_factory(engine, readonly=True)() as session:
        seen = last_seen(session)
        jobs = jobs_summary(session, now)
        outbox = outbox_summary(session, now)
    if is_fresh(seen, now):
        yield Check("worker", True, "a worker finished a pass within the last minute")
    else:
        when = f"last seen {seen:%Y-%m-%d %H:%M} UTC" if seen else "never seen"
        yield Check(
            "worker",
            False,
            f"{when}: start `deliverybot serve` (it runs one) or `deliverybot worker`",
        )
    failed_jobs = jobs.by_status.get("failed", 0)
    yield Check(
        "failed jobs",
        not failed_jobs,
        f"{failed_jobs} failed for good: `deliverybot jobs list --failed`, then `jobs retry ID`"
        if failed_jobs
        else "none",
    )
    failed_messages = outbox.by_status.get("failed", 0)
    yield Check(
        "failed messages",
        not failed_messages,
        f"{failed_messages} failed for good: `deliverybot outbox list --failed`"
        if failed_messages
        else "none",
    )


def _slack(
    settings: Settings, client: WebClient, scopes_wanted: list[str] | None
) -> Iterator[Check]:
    if not settings.slack_bot_token:
        yield Check("slack token", False, "SLACK_BOT_TOKEN is not set")
        return
    token = TokenCheck(client)
    token.verify_once()
    status = token.status
    if not status.verified:
        fix = (
            "copy the Bot User OAuth Token again from your app's OAuth & Permissions page"
            if status.state == "refused"
            else f"check the network and SLACK_API_URL ({settings.slack_api_url})"
        )
        yield Check("slack token", False, f"Slack said {status.detail}: {fix}")
        return
    yield Check(
        "slack token", True, f"valid for workspace {status.team} (bot user {status.bot_user_id})"
    )
    if scopes_wanted is not None:
        missing = sorted(set(scopes_wanted) - set(status.scopes))
        yield Check(
            "scopes",
            not missing,
            f"missing {', '.join(missing)}: add them under OAuth & Permissions (or paste "
            "manifest.yml again) and reinstall the app"
            if missing
            else "cover everything manifest.yml asks for",
        )
    channel = settings.ops_channel
    if not channel:
        yield Check(
            "ops channel",
            False,
            "DELIVERYBOT_OPS_CHANNEL is not set: appeals have nowhere to go. Set it to the "
            "channel's id (C…, at the bottom of the channel's details)",
        )
        return
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else str(error)
        yield Check(
            "ops channel",
            False,
            f"{channel}: Slack says {code}: check DELIVERYBOT_OPS_CHANNEL is the channel's id",
        )
        return
    member = bool((info.get("channel") or {}).get("is_member"))
    yield Check(
        "ops channel",
        member,
        f"{channel} exists and the bot is in it"
        if member
        else f"the bot is not in {channel}: type `/invite @deliverybot` in that channel",
    )
