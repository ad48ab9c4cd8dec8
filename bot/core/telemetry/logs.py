"""Logging set up once per process: one JSON object a line when not on a terminal (for log
collectors), readable lines on a terminal; secrets masked everywhere (bot.core.masking).

What a line is about rides along: `log_context(request_id=…, user=…)` (a context variable, so
each request or job has its own) or `extra={"order_no": …}` on the call; the fields named in
CONTEXT_FIELDS are added to the JSON object when known."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bot.core.masking import MaskTokens, mask

CONTEXT_FIELDS = ("order_no", "user", "request_id", "job_id", "outbox_id", "surface")
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "log_context", default=None
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Every line logged inside carries these fields (None values are left out)."""
    known = {k: v for k, v in fields.items() if v is not None}
    token = _context.set({**(_context.get() or {}), **known})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get() or {})


class AddContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, event (the message), the context fields
    known for it, and the traceback (masked) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": mask(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = mask(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["traceback"] = mask(record.exc_text)
        if record.stack_info:
            line["stack"] = mask(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        known = [f"{n}={getattr(record, n)}" for n in CONTEXT_FIELDS if getattr(record, n, None)]
        return mask(text + (f" [{' '.join(known)}]" if known else ""))


def configure(level: str = "INFO", *, as_json: bool | None = None, stream: Any = None) -> None:
    """Replace the root logger's handlers with one that masks secrets and writes JSON lines
    (`as_json`, by default when the stream is not a terminal) or readable text."""
    stream = stream or sys.stderr
    if as_json is None:
        as_json = not (hasattr(stream, "isatty") and stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.addFilter(AddContext())
    handler.addFilter(MaskTokens())
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # slack_sdk at DEBUG logs request bodies and headers: never below INFO
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, root.level))
    # slack-sdk logs an ERROR for every failed try; ours say once what failed and what next
    logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
    # alembic says which plugins it set up at every start: only worth reading when debugging
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # uvicorn's own handlers would write plain lines beside ours: send them through the root
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_log = logging.getLogger(name)
        uvicorn_log.handlers.clear()
        uvicorn_log.propagate = True
