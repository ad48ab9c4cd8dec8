"""The headline numbers in one aggregate query: a seller's own (their App Home), the whole
marketplace's (operations' App Home, the weekly digest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.reporting.figures import Figures, totals
from bot.reporting.query import ReportFilter

SUMMARY_DAYS = 90


@dataclass(frozen=True)
class Summary:
    days: int
    figures: Figures

    def line(self) -> str:
        f = self.figures
        if not f.deliveries:
            return f"No deliveries in the last {self.days} days."
        rate = f"{f.first_round_rate:.0%}" if f.first_round_rate is not None else "–"
        rounds = f"{f.rounds_per_delivery:.1f}" if f.rounds_per_delivery is not None else "–"
        return (
            f"*{f.deliveries}* deliver{'y' if f.deliveries == 1 else 'ies'} in the last "
            f"{self.days} days · *{rate}* accepted on the first round · *{rounds}* rounds per "
            f"delivery · *{f.automatic}* accepted automatically · *{f.appeals}* "
            f"appeal{'' if f.appeals == 1 else 's'}"
        )


def summary(
    session: Session, *, sellers: Sequence[str] | None, now: datetime, days: int = SUMMARY_DAYS
) -> Summary:
    """`sellers`: the names one person sells under (only their orders count); None: everyone."""
    chosen = ReportFilter(since=now - timedelta(days=days), sellers=tuple(sellers or ()))
    if sellers is not None and not sellers:
        return Summary(days, Figures("none", "all", "all"))
    return Summary(days, totals(session, chosen))
