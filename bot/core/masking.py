"""Secrets never reach the logs: a logging filter that masks Slack tokens."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


class MaskTokens(logging.Filter):
    """Slack tokens never reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub("xox…", record.msg)
        if record.args:
            record.args = tuple(
                _TOKEN.sub("xox…", a) if isinstance(a, str) else a for a in record.args
            )
        return True
