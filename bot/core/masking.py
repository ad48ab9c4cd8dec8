"""Secrets never reach the logs or the terminal: Slack tokens (`xox…`, `xapp-…`), the password
in a database URL, and the configured secrets themselves (the signing secret has no prefix to
find it by), in messages, arguments and tracebacks alike."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
# scheme://user:password@host: the password goes, the rest stays readable
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]+)(?=@)")
MASK = "***"
_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Mask these exact values too from now on (the configured token, signing secret, …).
    Values shorter than 8 characters are not: masking them would garble ordinary words."""
    _secrets.update(value for value in values if value and len(value) >= 8)


def mask(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _TOKEN.sub("xox…", text)
    return _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)


def mask_url(url: str) -> str:
    """A database URL fit to print: its password masked."""
    return _URL_PASSWORD.sub(lambda m: m["head"] + MASK, url)


class MaskTokens(logging.Filter):
    """Secrets never reach the logs: the message, its arguments and its traceback are masked
    before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        else:
            record.msg = mask(str(record.msg))
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: _masked(v) for k, v in record.args.items()}
            else:
                record.args = tuple(_masked(a) for a in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def _masked(value: object) -> object:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value)
    masked = mask(text)
    return value if masked == text else masked
