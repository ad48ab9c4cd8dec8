"""Readiness: may this process take traffic? The database reachable and at the latest
migration, Slack's answer on the token, a worker seen within a minute, and no unsent message
older than DELIVERYBOT_READY_OUTBOX_AGE_SECONDS. Each check is one entry in the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.jobs.heartbeat import FRESH, last_seen
from bot.ops.queue import jobs_summary, outbox_summary
from bot.ops.token import TokenCheck
from bot.slack.loops import one_line
from storage.engine import SessionFactory
from storage.migrate import is_migrated


@dataclass
class Readiness:
    ok: bool = True
    checks: dict[str, Any] = field(default_factory=dict)

    def fail(self, name: str, detail: str) -> None:
        self.ok = False
        self.checks[name] = detail

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.checks}


def readiness(
    engine: Engine,
    session_factory: SessionFactory,
    token: TokenCheck | None,
    now: datetime,
    *,
    outbox_max_age: timedelta,
) -> Readiness:
    result = Readiness()
    try:
        if not is_migrated(engine):
            result.fail("database", "not migrated: run `deliverybot db upgrade`")
            return result
    except Exception as error:
        result.fail("database", f"unreachable: {one_line(error)}")
        return result
    result.checks["database"] = "ok"
    if token is not None:
        status = token.status
        if status.verified:
            result.checks["slack"] = "ok"
        else:
            detail = {"pending": "verifying the token", "refused": "token refused"}.get(
                status.state, "unreachable"
            )
            result.fail("slack", f"{detail}: {status.detail}" if status.detail else detail)
    with session_factory() as session:
        seen = last_seen(session)
        outbox = outbox_summary(session, now)
        jobs = jobs_summary(session, now)
    if seen is None:
        result.fail("worker", "no worker has run yet")
    elif now - seen >= FRESH:
        result.fail("worker", f"last seen {int((now - seen).total_seconds())} s ago")
    else:
        result.checks["worker"] = "ok"
    age = outbox.oldest_age(now)
    if age is not None and age > outbox_max_age:
        result.fail("outbox", f"oldest unsent message waits {int(age.total_seconds())} s")
    else:
        result.checks["outbox"] = "ok"
    result.checks["failed_jobs"] = jobs.by_status.get("failed", 0)  # shown, never unready
    result.checks["failed_messages"] = outbox.by_status.get("failed", 0)
    return result
