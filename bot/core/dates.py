"""Typed dates and how times are shown. The only importer of dateparser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser
from dateparser.data.languages_info import language_order

# A day and a month must be there: dateparser alone reads "ok" as 26 June, "may" as this
# month's 26th and "10" as October (relative words like "yesterday" still work).
_SETTINGS_BASE = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month"],
}
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*")


@dataclass(frozen=True)
class ParsedDate:
    value: datetime  # aware, UTC
    reading: str  # how the bot understood the text, for echoing back
    alternative: datetime | None = None  # the other reading of an ambiguous numeric date


MAX_DATE_TEXT = 64  # characters of a typed reply handed to the date parser


def date_text(typed: str) -> str:
    """The part of a typed reply that is read as a date: its first MAX_DATE_TEXT characters."""
    return typed.strip()[:MAX_DATE_TEXT].strip()


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# The languages a typed date is read in (DELIVERYBOT_DATE_LANGUAGES). Not all of dateparser's
# 200: guessing among them all took 37 MB of serve's memory and a slower parse.
DATE_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")


def unknown_languages(codes: tuple[str, ...]) -> list[str]:
    """The codes dateparser has no data for."""
    return [code for code in codes if code not in language_order]


def warm_up(languages: tuple[str, ...] = DATE_LANGUAGES) -> None:
    """dateparser loads each language's data the first time it has to guess the language
    (seconds, for text that looks like no language): do it at start-up, not in a request."""
    for text in ("1 jan 2020", "xq zv 17 blorp"):
        dateparser.parse(text, languages=list(languages), settings={"PREFER_DATES_FROM": "past"})


def parse_enabling_time(
    text: str,
    *,
    now: datetime,
    tz: str | None,
    date_order: str | None = None,
    languages: tuple[str, ...] = DATE_LANGUAGES,
) -> ParsedDate | None:
    """Parse what a seller typed, in their time zone. None when it is not a date. Only the
    first MAX_DATE_TEXT characters are read: a date is short, and the parser's time grows with
    the text (a pasted page would hold a request for seconds).

    `date_order` ("MDY" or "DMY") picks the reading of 01/02/2026; without it the month comes
    first and the other reading is returned as `alternative` so the bot can offer it.
    """
    text = date_text(text)
    zone_info = zone(tz)
    value = _parse(text, now=now, zone_info=zone_info, date_order=date_order, languages=languages)
    if value is None:
        return None
    alternative = None
    match = _NUMERIC_DATE.match(text)
    if match and date_order is None:
        first, second = int(match.group(1)), int(match.group(2))
        if first <= 12 and second <= 12 and first != second:
            alternative = _parse(
                text, now=now, zone_info=zone_info, date_order="DMY", languages=languages
            )
    return ParsedDate(
        value=value, reading=format_local(value, zone_info.key), alternative=alternative
    )


def _parse(
    text: str,
    *,
    now: datetime,
    zone_info: ZoneInfo,
    date_order: str | None,
    languages: tuple[str, ...],
):
    settings = dict(_SETTINGS_BASE)
    settings["TIMEZONE"] = zone_info.key
    settings["RELATIVE_BASE"] = now.astimezone(zone_info).replace(tzinfo=None)
    if date_order:
        settings["DATE_ORDER"] = date_order
    parsed = dateparser.parse(text.strip(), languages=list(languages), settings=settings)
    return parsed.astimezone(UTC) if parsed else None


def from_picker(date_text: str, *, tz: str | None) -> datetime:
    """A datepicker's "YYYY-MM-DD" as the start of that day in the seller's zone, in UTC."""
    day = datetime.strptime(date_text, "%Y-%m-%d").replace(tzinfo=zone(tz))
    return day.astimezone(UTC)


def format_local(moment: datetime, tz: str | None, *, with_time: bool = True) -> str:
    """'1 Jan 2026 14:00 JST' in the reader's zone; midnight shows as the date alone."""
    local = moment.astimezone(zone(tz))
    # not strftime: its %b is the C locale's, and it is a tenth of a list reply's time
    day = f"{local.day} {_MONTHS[local.month - 1]} {local.year}"
    if not with_time or (local.hour, local.minute) == (0, 0):
        return day
    return f"{day} {local.hour:02d}:{local.minute:02d} {local.tzname()}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def slack_date(moment: datetime, *, fallback_tz: str | None = None, with_time: bool = True) -> str:
    """A `<!date^…>` token: Slack shows it in each reader's own time zone."""
    fmt = "{date_short_pretty} {time}" if with_time else "{date_short_pretty}"
    fallback = format_local(moment, fallback_tz, with_time=with_time)
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def utc(moment: datetime) -> datetime:
    """Aware UTC; naive values (as SQLite returns them) are taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
