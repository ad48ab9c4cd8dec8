"""Typed enabling times: how they are read, in whose zone, and which ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.dates import format_local, from_picker, parse_enabling_time
from bot.core.errors import InvalidInput
from bot.delivery.steps import check_enabling_time
from storage.models import Order

NOW = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
PLACED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "tz", "expected"),
    [
        ("2026-01-15", "Europe/Paris", datetime(2026, 1, 14, 23, 0, tzinfo=UTC)),
        ("2026-01-15", "Asia/Tokyo", datetime(2026, 1, 14, 15, 0, tzinfo=UTC)),
        ("2026-01-15", "America/New_York", datetime(2026, 1, 15, 5, 0, tzinfo=UTC)),
        ("1 janvier 2026", "Europe/Paris", datetime(2025, 12, 31, 23, 0, tzinfo=UTC)),
        ("15 jan 2026 14:30", "Asia/Tokyo", datetime(2026, 1, 15, 5, 30, tzinfo=UTC)),
        ("yesterday", "Europe/Paris", datetime(2026, 2, 1, 10, 0, tzinfo=UTC)),
        ("3 days ago", "UTC", datetime(2026, 1, 30, 10, 0, tzinfo=UTC)),
    ],
)
def test_typed_dates_are_read_in_the_sellers_zone(typed, tz, expected):
    assert parse_enabling_time(typed, now=NOW, tz=tz).value == expected


def test_dates_are_read_in_the_configured_languages_only():
    """Russian is not among the default languages (DELIVERYBOT_DATE_LANGUAGES): a marketplace
    that needs it names it."""
    assert parse_enabling_time("15 января 2026", now=NOW, tz="UTC") is None
    in_russian = parse_enabling_time("15 января 2026", now=NOW, tz="UTC", languages=("en", "ru"))
    assert in_russian.value == datetime(2026, 1, 15, tzinfo=UTC)


def test_an_ambiguous_numeric_date_reads_month_first_and_offers_day_first():
    parsed = parse_enabling_time("01/02/2026", now=NOW, tz="UTC")
    assert parsed.value == datetime(2026, 1, 2, tzinfo=UTC)
    assert parsed.alternative == datetime(2026, 2, 1, tzinfo=UTC)
    assert parse_enabling_time("13/01/2026", now=NOW, tz="UTC").alternative is None


@pytest.mark.parametrize(
    "typed", ["banana", "ok", "thanks!", "may", "10", "sat", "the 5th", "Jan 2026"]
)
def test_words_that_are_not_a_whole_date_are_none(typed):
    """A chat reply ("ok") or half a date must not become an enabling time: a day and a month
    are required (dateparser alone reads "ok" as 26 June and "10" as October)."""
    assert parse_enabling_time(typed, now=NOW, tz="UTC") is None


def test_a_picked_date_is_the_start_of_that_day_in_the_sellers_zone():
    assert from_picker("2026-01-10", tz="Asia/Tokyo") == datetime(2026, 1, 9, 15, tzinfo=UTC)


def order() -> Order:
    return Order(order_no="1", placed_at=PLACED)


def test_a_future_enabling_time_is_refused_saying_why():
    with pytest.raises(InvalidInput, match="in the future"):
        check_enabling_time(datetime(2026, 2, 3, tzinfo=UTC), order=order(), now=NOW, tz="UTC")


def test_an_enabling_time_before_placement_is_refused_saying_why():
    with pytest.raises(InvalidInput, match=r"before the order was placed \(1 Jan 2026 09:00 UTC\)"):
        check_enabling_time(datetime(2025, 12, 30, tzinfo=UTC), order=order(), now=NOW, tz="UTC")


@pytest.mark.parametrize("tz", ["Europe/Paris", "Asia/Tokyo", "America/New_York", "UTC"])
def test_the_placement_day_itself_means_the_placement_moment(tz):
    """'Jan 1' for an order placed on Jan 1 (local day) is the placement, not midnight."""
    placed_day = parse_enabling_time(format_local(PLACED, tz, with_time=False), now=NOW, tz=tz)
    assert check_enabling_time(placed_day.value, order=order(), now=NOW, tz=tz) == PLACED


def test_now_is_allowed():
    assert check_enabling_time(NOW, order=order(), now=NOW, tz="UTC") == NOW


def test_only_the_first_characters_of_a_long_reply_are_read_as_a_date():
    pasted = "1 January 2026" + " " * 60 + "and here the seller pasted a whole page of notes " * 820
    assert len(pasted) > 40_000
    parsed = parse_enabling_time(pasted, now=NOW, tz="UTC")
    assert parsed is not None and parsed.value == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_enabling_time(" " * 70 + "1 January 2026", now=NOW, tz="UTC") is not None
    assert parse_enabling_time("x" * 70 + " 1 January 2026", now=NOW, tz="UTC") is None
