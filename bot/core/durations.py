"""Purchased durations: "1 month", "P1M", "1 year", "30 days" <-> ISO 8601 <-> relativedelta."""

from __future__ import annotations

import re

from dateutil.relativedelta import relativedelta

_UNITS = {
    "y": "Y",
    "yr": "Y",
    "yrs": "Y",
    "year": "Y",
    "years": "Y",
    "mo": "M",
    "mon": "M",
    "month": "M",
    "months": "M",
    "w": "W",
    "wk": "W",
    "wks": "W",
    "week": "W",
    "weeks": "W",
    "d": "D",
    "day": "D",
    "days": "D",
}
_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_PLAIN = re.compile(r"(\d+)\s*([a-z]+)")


def normalize_duration(text: str) -> str:
    """Canonical ISO 8601 duration for a typed one; raises ValueError with a usable message."""
    raw = text.strip()
    upper = raw.upper()
    if upper.startswith("P"):
        match = _ISO.match(upper)
        if not match or not any(match.groups()):
            raise ValueError(f"unknown duration {text!r} (use e.g. P1M, P1Y, P30D or '1 month')")
        years, months, weeks, days = (int(g or 0) for g in match.groups())
        return _iso(years, months, weeks * 7 + days)
    totals = {"Y": 0, "M": 0, "W": 0, "D": 0}
    rest = _PLAIN.sub("", raw.lower()).replace(",", "").replace("and", "").strip()
    parts = _PLAIN.findall(raw.lower())
    if not parts or rest:
        raise ValueError(f"unknown duration {text!r} (use e.g. '1 month', '1 year', '30 days')")
    for amount, unit in parts:
        if unit not in _UNITS:
            raise ValueError(
                f"unknown duration unit {unit!r} in {text!r} (use days, weeks, months, years)"
            )
        totals[_UNITS[unit]] += int(amount)
    return _iso(totals["Y"], totals["M"], totals["W"] * 7 + totals["D"])


def _iso(years: int, months: int, days: int) -> str:
    years, months = years + months // 12, months % 12
    if not (years or months or days):
        raise ValueError("a duration must be longer than zero")
    return "P" + "".join(f"{n}{u}" for n, u in ((years, "Y"), (months, "M"), (days, "D")) if n)


def to_relativedelta(iso: str) -> relativedelta:
    match = _ISO.match(iso)
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {iso!r}")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return relativedelta(years=years, months=months, days=weeks * 7 + days)


def describe_duration(iso: str) -> str:
    """'1 month', '1 year 6 months', '30 days' for people."""
    delta = to_relativedelta(iso)
    parts = []
    for amount, unit in ((delta.years, "year"), (delta.months, "month"), (delta.days, "day")):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts)
