"""The report's three charts as PNG bytes (matplotlib, Agg backend: no display needed).

matplotlib is imported here only, and only when a chart is drawn: it takes about a second,
which the bot's other commands should not pay (start-up cost)."""

from __future__ import annotations

import io
from typing import Any

from bot.reporting.series import (
    ACCEPT_DAYS_SHOWN,
    APPEAL_HALF_DAYS_SHOWN,
    OUTCOMES,
    Series,
)

TITLES = {
    "acceptance-time": "Time to accept (calendar days from the accepted delivery)",
    "weekly-outcomes": "Deliveries per week, by outcome",
    "appeal-decisions": "Appeal decision times against the 3-working-day deadline",
}
COLOURS = ("#2e7d32", "#81c784", "#64b5f6", "#ffb74d", "#bdbdbd")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    _pyplot().close(figure)
    return buffer.getvalue()


def acceptance_time(series: Series) -> bytes:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    labels = [str(d) for d in range(ACCEPT_DAYS_SHOWN)] + [f"{ACCEPT_DAYS_SHOWN}+"]
    axes.bar(labels, series.accept_days, color=COLOURS[0])
    axes.set_xlabel("days")
    axes.set_ylabel("deliveries accepted")
    axes.set_title(TITLES["acceptance-time"], fontsize=10)
    return _png(figure)


def weekly_outcomes(series: Series) -> bytes:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    weeks = list(series.weeks) or ["(none)"]
    bottom = [0] * len(weeks)
    for outcome, colour in zip(OUTCOMES, COLOURS, strict=True):
        heights = [series.weeks.get(week, {}).get(outcome, 0) for week in weeks]
        axes.bar(weeks, heights, bottom=bottom, label=outcome, color=colour)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("deliveries")
    axes.set_title(TITLES["weekly-outcomes"], fontsize=10)
    axes.legend(fontsize=7)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    return _png(figure)


def appeal_decisions(series: Series, deadline_days: int = 3) -> bytes:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    positions = [i / 2 for i in range(APPEAL_HALF_DAYS_SHOWN + 1)]
    colours = [COLOURS[0] if p < deadline_days else "#e53935" for p in positions]
    axes.bar(positions, series.appeal_half_days, width=0.45, align="edge", color=colours)
    axes.axvline(
        deadline_days, color="#e53935", linestyle="--", label=f"{deadline_days} working days"
    )
    axes.set_xlabel(f"working days to decide ({APPEAL_HALF_DAYS_SHOWN / 2:g}+ in the last bar)")
    axes.set_ylabel("appeals")
    axes.set_title(TITLES["appeal-decisions"], fontsize=10)
    axes.legend(fontsize=8)
    return _png(figure)


def all_charts(series: Series) -> dict[str, bytes]:
    """name -> PNG, in the order a reader wants them."""
    return {
        "acceptance-time": acceptance_time(series),
        "weekly-outcomes": weekly_outcomes(series),
        "appeal-decisions": appeal_decisions(series),
    }
