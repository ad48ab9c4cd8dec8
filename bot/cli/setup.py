"""What every command does first: read the settings (checked once), set up logging, open the
database. Anything wrong is one line naming what to fix and exit status 2, no traceback
(`deliverybot --debug …` shows tracebacks).

The database modules are imported inside the function that needs them (start-up cost, see
bot.cli.main)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from bot.core.masking import mask, mask_url, register_secrets
from bot.core.settings import HINTS, Settings, slack_problems
from bot.core.telemetry.logs import LEVELS, configure

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Options:
    """The global options (`deliverybot --debug --log-level DEBUG …`)."""

    debug: bool = False
    log_level: str | None = None


options = Options()


def fail(line: str) -> typer.Exit:
    typer.echo(mask(line), err=True)
    return typer.Exit(2)


def settings() -> Settings:
    """The configuration, or a clear message naming the variable that is wrong."""
    try:
        loaded = Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            hint = f" ({HINTS[name]})" if name in HINTS else ""
            typer.echo(f"Configuration error in {name}: {message}{hint}", err=True)
        raise typer.Exit(2) from None
    register_secrets((loaded.slack_bot_token, loaded.slack_signing_secret, loaded.slack_app_token))
    return loaded


def require_slack(config: Settings, *, http: bool) -> None:
    """Stop before serving anything when Slack could not work with these settings."""
    problems = slack_problems(config, http=http)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(2)


def configure_logging(level: str | None = None) -> None:
    chosen = (options.log_level or level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    if chosen not in LEVELS:
        raise fail(f"LOG_LEVEL {chosen} is not a level: use one of {', '.join(LEVELS)}.")
    configure(chosen)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    database = url.split("///", 1)[1] if "///" in url else ""
    return Path(database) if database and database != ":memory:" else None


def open_database(config: Settings, *, migrate: bool) -> Engine:
    """The database, reachable and at the latest migration: migrated here when `migrate`, else
    one line saying which command to run. A SQLite file that does not exist is not created
    by a command that would then refuse to use it."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from bot.slack.loops import one_line
    from storage.engine import make_engine
    from storage.migrate import is_migrated, upgrade

    url = config.database_url
    shown = mask_url(url)
    path = sqlite_path(url)
    if path is not None and not migrate and not path.exists():
        raise fail(
            f"There is no database at {path} yet: run `deliverybot db upgrade` to create it "
            "(or import products first, which creates it)."
        )
    if path is not None and not path.parent.exists():
        raise fail(f"DATABASE_URL names a folder that does not exist ({path.parent}): create it.")
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise fail(
            f"DATABASE_URL is not a database URL ({shown}): {HINTS['DATABASE_URL']}. {error}"
        ) from None
    try:
        if migrate:
            upgrade(engine)
        elif not is_migrated(engine):
            engine.dispose()
            raise fail(
                "The database is not up to date: run `deliverybot db upgrade` first "
                f"(DATABASE_URL is {shown})."
            )
    except typer.Exit:
        raise
    except Exception as error:
        engine.dispose()
        if options.debug:
            raise
        raise fail(
            f"Cannot use the database at {shown}: {one_line(error)}. Check DATABASE_URL and "
            "that the database server is running and accepts this user."
        ) from None
    return engine
