"""What every command does first: read the settings (checked once) and set up logging."""

from __future__ import annotations

import logging

import typer
from pydantic import ValidationError

from bot.core.masking import MaskTokens
from bot.core.settings import Settings


def settings() -> Settings:
    """The configuration, or a clear message naming the variable that is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            typer.echo(f"Configuration error in {name}: {message}", err=True)
        raise typer.Exit(2) from None


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskTokens())
    logging.getLogger("slack_sdk").setLevel(logging.INFO)
