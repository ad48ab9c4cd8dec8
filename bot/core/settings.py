"""Settings, read once from the environment (and `.env`) and passed down."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.dates import DATE_LANGUAGES, unknown_languages
from bot.core.proof_kinds import DEFAULT_REQUIRED_KINDS, PROOF_KINDS

DEFAULT_DATABASE_URL = "sqlite:///deliverybot.db"
# An automatic acceptance is announced to the customer at least this long before it happens.
AUTO_ACCEPT_NOTICE = timedelta(days=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: str = Field("", alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str = Field("", alias="SLACK_SIGNING_SECRET")
    slack_app_token: str = Field("", alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    ops_channel: str = Field("", alias="DELIVERYBOT_OPS_CHANNEL")
    ops_usergroup: str = Field("", alias="DELIVERYBOT_OPS_USERGROUP")
    files_dir: Path = Field(Path("files"), alias="DELIVERYBOT_FILES_DIR")
    max_file_bytes: int = Field(50 * 1024 * 1024, alias="DELIVERYBOT_MAX_FILE_BYTES")
    # the worker's download of a proof file that the quick try at drop time did not finish
    download_timeout_seconds: float = Field(120.0, alias="DELIVERYBOT_DOWNLOAD_TIMEOUT_SECONDS")
    # the largest request body `serve` reads, 413 above it: Slack's largest (a click carries its
    # whole message, at most 50 blocks of 3,000 characters) stay within a few hundred KB
    max_request_bytes: int = Field(1024 * 1024, gt=0, alias="DELIVERYBOT_MAX_REQUEST_BYTES")
    # /readyz says not ready while an unsent message has waited longer than this
    ready_outbox_age_seconds: float = Field(
        300.0, gt=0, alias="DELIVERYBOT_READY_OUTBOX_AGE_SECONDS"
    )
    # the outbox: sends at once (across channels) and per second across the workspace, shared
    # by every replica (Slack allows about one post per second per channel besides)
    outbox_workers: int = Field(8, ge=1, alias="DELIVERYBOT_OUTBOX_WORKERS")
    outbox_rate: float = Field(50.0, ge=0, alias="DELIVERYBOT_OUTBOX_RATE")
    # scheduled jobs run at once per worker (one order's jobs always in turn)
    job_workers: int = Field(4, ge=1, alias="DELIVERYBOT_JOB_WORKERS")
    reminder_days: Annotated[tuple[int, ...], NoDecode] = Field(
        (1, 3, 7), alias="DELIVERYBOT_REMINDER_DAYS"
    )
    working_hours: Annotated[tuple[int, int], NoDecode] = Field(
        (9, 18), alias="DELIVERYBOT_WORKING_HOURS"
    )
    auto_accept_days: int | None = Field(None, alias="DELIVERYBOT_AUTO_ACCEPT_DAYS")
    required_proof_kinds: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_REQUIRED_KINDS, alias="DELIVERYBOT_REQUIRED_PROOF_KINDS"
    )
    date_languages: Annotated[tuple[str, ...], NoDecode] = Field(
        DATE_LANGUAGES, alias="DELIVERYBOT_DATE_LANGUAGES"
    )
    # e-mail to customers Slack cannot reach: smtp://user:pass@host:587 (STARTTLS when the
    # server offers it) or smtps://… (TLS from the start); empty: no e-mail is sent
    smtp_url: str = Field("", alias="SMTP_URL")
    mail_from: str = Field("deliverybot@localhost", alias="MAIL_FROM")
    # where `serve` is reached from the internet: the accept page's links start with it
    public_url: str = Field("", alias="PUBLIC_URL")
    # signs the accept page's links (default: derived from SLACK_SIGNING_SECRET)
    link_secret: str = Field("", alias="DELIVERYBOT_LINK_SECRET")
    link_days: int = Field(30, ge=1, alias="DELIVERYBOT_LINK_DAYS")

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, url: str) -> str:
        if url and not url.startswith(("smtp://", "smtps://")):
            raise ValueError("SMTP_URL looks like smtp://user:password@host:587 or smtps://…")
        return url

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_URL is the address people open, e.g. https://bot.example.com")
        return url.rstrip("/")

    # the Ed25519 key evidence packs are signed with (base64 of 32 bytes; bot.evidence.signing),
    # and the public key `evidence verify` trusts when this server's private key is not at hand
    evidence_key: str = Field("", alias="DELIVERYBOT_EVIDENCE_KEY", repr=False)
    evidence_public_key: str = Field("", alias="DELIVERYBOT_EVIDENCE_PUBLIC_KEY")

    @field_validator("evidence_key", "evidence_public_key")
    @classmethod
    def _ed25519_key(cls, value: str) -> str:
        if value and len(_base64_bytes(value)) != 32:
            raise ValueError(
                "an Ed25519 key is 32 bytes in base64: make one with `deliverybot evidence keygen`"
            )
        return value.strip()

    @field_validator("reminder_days", "required_proof_kinds", "date_languages", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("reminder_days")
    @classmethod
    def _reminder_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 for day in days):
            raise ValueError(
                "reminder days count from the delivery: use whole days from 1, e.g. 1,3,7"
            )
        return tuple(sorted(set(days)))

    @field_validator("working_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        """'9-18' or '09:00-18:00' (whole hours), in each customer's own time zone."""
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.replace(",", "-").split("-") if part.strip()]
        hours = []
        for part in parts:
            hour, _, minutes = part.partition(":")
            if not hour.isdigit() or minutes.strip("0"):
                raise ValueError(
                    f"working hours are whole hours like 9-18 or 09:00-18:00, not {value!r}"
                )
            hours.append(int(hour))
        return tuple(hours)

    @field_validator("working_hours")
    @classmethod
    def _hours_in_order(cls, hours: tuple[int, int]) -> tuple[int, int]:
        start, end = hours
        if not 0 <= start < end <= 24:
            raise ValueError(
                f"working hours must start before they end within a day (got {start}-{end})"
            )
        return hours

    @field_validator("required_proof_kinds")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in kinds if kind not in PROOF_KINDS]
        if unknown:
            raise ValueError(
                f"unknown proof kind(s) {', '.join(unknown)}: use {', '.join(PROOF_KINDS)}"
            )
        return kinds

    @field_validator("date_languages")
    @classmethod
    def _known_languages(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        if not codes:
            raise ValueError("name at least one language, e.g. en,fr")
        unknown = unknown_languages(codes)
        if unknown:
            raise ValueError(f"no date language {', '.join(unknown)}: use codes such as en,fr,de")
        return codes

    @field_validator("auto_accept_days", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if value in ("", "0", 0, "off") else value

    @field_validator("auto_accept_days")
    @classmethod
    def _announced_in_time(cls, days: int | None) -> int | None:
        """The customer hears of it with the delivery at the latest: fewer days than the notice
        could never be announced in time."""
        if days is not None and timedelta(days=days) < AUTO_ACCEPT_NOTICE:
            notice = AUTO_ACCEPT_NOTICE.days
            raise ValueError(
                f"automatic acceptance is announced to the customer {notice} day ahead at least, "
                f"so it needs a number of days from {notice} (or 'off')"
            )
        return days


def _base64_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except ValueError:
        return b""


# What each setting looks like and where to get it: the one line a wrong or missing one gets.
HINTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…): copy it from your app's "
    "OAuth & Permissions page at https://api.slack.com/apps",
    "SLACK_SIGNING_SECRET": "copy it from your app's Basic Information page at "
    "https://api.slack.com/apps (App Credentials → Signing Secret)",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write, from your app's "
    "Basic Information page (App-Level Tokens); leave it unset to serve over HTTP",
    "SLACK_API_URL": "Slack's Web API base URL, e.g. https://slack.com/api/",
    "DATABASE_URL": "e.g. sqlite:///deliverybot.db or postgresql+psycopg://user@host/db",
    "DELIVERYBOT_OPS_CHANNEL": "the operations channel's id (C…): in Slack, open the channel's "
    "details; the id is at the bottom",
}


def slack_problems(settings: Settings, *, http: bool) -> list[str]:
    """What keeps the bot from talking to Slack, one line per setting (empty: nothing).
    `http`: requests come over HTTP and must be signed (not needed in Socket Mode)."""
    problems = []
    token = settings.slack_bot_token
    if not token:
        problems.append(f"SLACK_BOT_TOKEN is not set: {HINTS['SLACK_BOT_TOKEN']}.")
    elif not token.isascii() or " " in token:
        problems.append(
            "SLACK_BOT_TOKEN holds characters a token never has (a placeholder such as xoxb-…, "
            f"or a space?): {HINTS['SLACK_BOT_TOKEN']}."
        )
    elif not token.startswith("xoxb-"):
        problems.append(
            f"SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-): "
            f"{HINTS['SLACK_BOT_TOKEN']}."
        )
    if http and not settings.slack_signing_secret:
        problems.append(f"SLACK_SIGNING_SECRET is not set: {HINTS['SLACK_SIGNING_SECRET']}.")
    app_token = settings.slack_app_token
    if app_token and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN does not look like an app-level token (it should start with "
            f"xapp-): {HINTS['SLACK_APP_TOKEN']}."
        )
    if not settings.slack_api_url.startswith(("https://", "http://")):
        problems.append(
            f"SLACK_API_URL is not a URL ({settings.slack_api_url!r}): {HINTS['SLACK_API_URL']}."
        )
    return problems
