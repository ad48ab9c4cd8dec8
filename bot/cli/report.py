"""`deliverybot report`: the supervision report as text, JSON, CSV or HTML, and its charts.

The command imports what it runs inside itself (start-up cost, see bot.cli.main)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from bot.cli.setup import settings


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


def _day(text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        typer.echo(f"{option} takes a date like 2026-01-31, not {text!r}.", err=True)
        raise typer.Exit(2) from None


def report(
    since: str = typer.Option(None, "--since", help="First deliveries from this day (UTC)."),
    until: str = typer.Option(None, "--until", help="… up to (not including) this day."),
    seller: list[str] = typer.Option(
        [], "--seller", help="Only this seller (id or e-mail); repeatable."
    ),
    product: list[str] = typer.Option([], "--product", help="Only this product code; repeatable."),
    format: Format = typer.Option(Format.TEXT, "--format", help="text, json, csv or html."),
    charts: Path | None = typer.Option(
        None, "--charts", help="Also write the charts as PNGs here."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not to stdout."),
) -> None:
    """Per seller, product and month: deliveries, first-round acceptance, rounds, time to
    accept (median, p90), reminders, escalations, automatic acceptances, appeals; and the orders
    waiting longest."""
    from bot.cli.orders import session_scope  # start-up cost (bot.cli.main)
    from bot.reporting import render
    from bot.reporting.figures import ReportFilter, build_report
    from bot.reporting.series import build_series
    from bot.supervision.appeal_terms import DECISION_DAYS

    config = settings()
    chosen = ReportFilter(_day(since, "--since"), _day(until, "--until"), seller, product)
    now = datetime.now(UTC)
    with session_scope(readonly=True) as session:
        figures = build_report(
            session, chosen, now=now, hours=config.working_hours, decision_days=DECISION_DAYS
        )
        series = build_series(session, chosen) if charts or format is Format.HTML else None
    pngs: dict[str, bytes] = {}
    if series is not None:
        from bot.reporting.charts import TITLES, all_charts

        pngs = all_charts(series)
        if charts:
            charts.mkdir(parents=True, exist_ok=True)
            for name, png in pngs.items():
                (charts / f"{name}.png").write_bytes(png)
            typer.echo(f"Wrote {len(pngs)} charts to {charts}/.", err=True)
        pngs = {TITLES[name]: png for name, png in pngs.items()}
    text = {
        Format.TEXT: lambda: render.as_text(figures),
        Format.JSON: lambda: render.as_json(figures),
        Format.CSV: lambda: render.as_csv(figures),
        Format.HTML: lambda: render.as_html(figures, pngs),
    }[format]()
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}.", err=True)
    else:
        typer.echo(text, nl=False)
