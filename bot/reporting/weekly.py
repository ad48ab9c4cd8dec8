"""The weekly operations digest: every Monday at 08:00 UTC, the last seven days' headline
numbers and the chart of deliveries per week by outcome (the last eight weeks), posted to the
operations channel as one message with the image (files.share, through the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from bot.core.filestore import store_for
from bot.jobs import scheduler
from bot.jobs.scheduler import JobRun
from bot.reporting.figures import longest_waiting
from bot.reporting.query import ReportFilter
from bot.reporting.series import build_series
from bot.reporting.summary import summary
from bot.slack import outbox

WEEKLY_DIGEST = "ops_weekly_digest"
DIGEST_HOUR_UTC = 8
CHART_WEEKS = 8


def seed_weekly_digest(session: Session, now: datetime) -> None:
    """The next Monday 08:00 UTC (today's, if it is Monday before eight)."""
    moment = now.astimezone(UTC)
    day = moment.date() + timedelta(days=(7 - moment.weekday()) % 7)
    if day == moment.date() and moment.time() >= time(DIGEST_HOUR_UTC):
        day += timedelta(days=7)
    due = datetime.combine(day, time(DIGEST_HOUR_UTC), tzinfo=UTC)
    scheduler.schedule(session, key=f"ops-weekly:{due:%Y-%m-%d}", kind=WEEKLY_DIGEST, due_at=due)


def headline(session: Session, now: datetime) -> str:
    week = summary(session, sellers=None, now=now, days=7)
    waiting = longest_waiting(session, ReportFilter())
    oldest = (
        f"Waiting longest: order {waiting[0].order_no} "
        f"({waiting[0].state.replace('_', ' ')} for {(now - waiting[0].since).days} days)."
        if waiting
        else "No order is waiting."
    )
    return (
        f":bar_chart: *Supervision this week* (to {now:%d %b %Y}): {week.line().rstrip('.')}. {oldest} "
        "The full report: `deliverybot report --format html`."
    )


def send_weekly_digest(run: JobRun) -> None:
    from bot.reporting.charts import weekly_outcomes  # matplotlib (start-up cost): when drawing

    settings = run.services.settings
    if settings.ops_channel:
        since = run.now - timedelta(weeks=CHART_WEEKS)
        chart = weekly_outcomes(build_series(run.session, ReportFilter(since=since)))
        digest = store_for(settings).put(chart)
        name = f"deliveries-by-week-{run.now:%Y-%m-%d}.png"
        outbox.enqueue(
            run.session,
            key=f"ops-weekly:{run.now:%Y-%m-%d}",
            method="files.share",
            payload={
                "channel": settings.ops_channel,
                "files": [{"sha256": digest, "name": name, "title": "Deliveries per week"}],
                "initial_comment": headline(run.session, run.now),
            },
            now=run.now,
            meta={"purpose": WEEKLY_DIGEST},
        )
    seed_weekly_digest(run.session, run.now)
