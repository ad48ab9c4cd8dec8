"""The validity period (DOMAIN.md): the seed's scenarios by name, calendar edge cases, and
properties over durations, time zones and month ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.durations import normalize_duration
from bot.orders.validity import add_duration, compute_validity, renewal_validity

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
FEB_1 = datetime(2026, 2, 1, tzinfo=UTC)
MAR_1 = datetime(2026, 3, 1, tzinfo=UTC)
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Paris",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Australia/Lord_Howe",
    "America/St_Johns",
]


def test_seed_one_month_bought_jan_1_accepted_feb_1_without_enabling_time_is_feb_1_to_mar_1():
    validity = compute_validity(duration="P1M", accepted_at=FEB_1, enabling_time=None)
    assert (validity.start, validity.end) == (FEB_1, MAR_1)


def test_seed_one_month_bought_jan_1_accepted_feb_1_enabled_jan_1_is_jan_1_to_feb_1():
    validity = compute_validity(duration="P1M", accepted_at=FEB_1, enabling_time=JAN_1)
    assert (validity.start, validity.end) == (JAN_1, FEB_1)


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        ((2026, 1, 31), "P1M", (2026, 2, 28)),  # the last day of February
        ((2028, 1, 31), "P1M", (2028, 2, 29)),  # …in a leap year
        ((2028, 2, 29), "P1Y", (2029, 2, 28)),  # a year from Feb 29
        ((2028, 2, 29), "P4Y", (2032, 2, 29)),  # four years from Feb 29 is Feb 29 again
        ((2026, 3, 31), "P1M", (2026, 4, 30)),
        ((2026, 8, 31), "P6M", (2027, 2, 28)),
        ((2026, 12, 15), "P1M", (2027, 1, 15)),  # over the year end
        ((2026, 1, 1), "P30D", (2026, 1, 31)),
        ((2026, 2, 1), "P30D", (2026, 3, 3)),  # days are days, not months
        ((2026, 1, 31), "P1Y1M", (2027, 2, 28)),
        ((2026, 1, 1), "P2W", (2026, 1, 15)),
    ],
)
def test_calendar_arithmetic(start, duration, end):
    result = add_duration(datetime(*start, 12, 0, tzinfo=UTC), duration)
    assert result == datetime(*end, 12, 0, tzinfo=UTC)


def test_the_calendar_is_the_readers_so_a_month_ends_on_their_month_end():
    # Jan 31 18:00 in New York is Jan 31 23:00 UTC; a month later is Feb 28 18:00 New York
    start = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    validity = compute_validity(
        duration="P1M", accepted_at=start, enabling_time=None, tz=ZoneInfo("America/New_York")
    )
    assert validity.end.astimezone(ZoneInfo("America/New_York")) == datetime(
        2026, 2, 28, 18, 0, tzinfo=ZoneInfo("America/New_York")
    )
    # in Tokyo the same instant is already Feb 1: a month later is Mar 1 in Tokyo
    tokyo = compute_validity(
        duration="P1M", accepted_at=start, enabling_time=None, tz=ZoneInfo("Asia/Tokyo")
    )
    assert tokyo.end.astimezone(ZoneInfo("Asia/Tokyo")).date() == datetime(2026, 3, 1).date()


def test_validity_is_stored_in_utc_whatever_zone_the_times_came_in():
    paris = datetime(2026, 1, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    validity = compute_validity(duration="P1M", accepted_at=FEB_1, enabling_time=paris)
    assert validity.start.tzinfo == UTC and validity.end.tzinfo == UTC
    assert validity.start == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_duration(datetime(2026, 1, 1), "P1M")


def test_a_renewal_continues_from_the_end_of_the_order_it_renews():
    validity = renewal_validity(renewed_end=MAR_1, duration="P1Y", tz=ZoneInfo("UTC"))
    assert (validity.start, validity.end) == (MAR_1, datetime(2027, 3, 1, tzinfo=UTC))


def test_a_renewal_of_a_month_ending_on_the_31st_keeps_to_month_ends():
    validity = renewal_validity(
        renewed_end=datetime(2026, 1, 31, tzinfo=UTC), duration="P1M", tz=ZoneInfo("UTC")
    )
    assert validity.end == datetime(2026, 2, 28, tzinfo=UTC)


def test_a_renewal_keeps_to_month_ends_on_the_customers_calendar():
    tokyo = ZoneInfo("Asia/Tokyo")
    jan_31_in_tokyo = datetime(2026, 1, 31, tzinfo=tokyo)  # 30 Jan 15:00 UTC
    validity = renewal_validity(renewed_end=jan_31_in_tokyo, duration="P1M", tz=tokyo)
    assert validity.end == datetime(2026, 2, 28, tzinfo=tokyo)


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


def _safe_duration(y: int, m: int, d: int) -> str | None:
    try:
        return normalize_duration(f"P{y}Y{m}M{d}D")
    except ValueError:  # all zero
        return None


durations = st.builds(
    _safe_duration, st.integers(0, 5), st.integers(0, 24), st.integers(0, 400)
).filter(bool)


@given(moments, durations, st.sampled_from(ZONES))
def test_the_period_always_moves_forward_and_is_utc(start, duration, tz):
    validity = compute_validity(
        duration=duration, accepted_at=start, enabling_time=None, tz=ZoneInfo(tz)
    )
    assert validity.start == start
    assert validity.end > validity.start
    assert validity.end.tzinfo == UTC


@given(moments, st.integers(1, 36), st.sampled_from(ZONES))
def test_months_land_on_the_same_day_or_the_last_day_of_a_shorter_month(start, months, tz):
    zone = ZoneInfo(tz)
    local_start = start.astimezone(zone)
    local_end = add_duration(start, f"P{months}M", zone).astimezone(zone)
    assert (local_end.year * 12 + local_end.month) - (
        local_start.year * 12 + local_start.month
    ) == months
    if local_end.day != local_start.day:
        assert local_end.day < local_start.day
        assert (local_end + timedelta(days=1)).month != local_end.month  # the month's last day
    # the wall-clock time is kept (to the hour, as a DST gap may shift it)
    assert (
        abs((local_end.hour * 60 + local_end.minute) - (local_start.hour * 60 + local_start.minute))
        <= 60
    )


@given(moments, st.integers(1, 1000))
def test_days_are_exact_24_hour_days_in_utc(start, days):
    assert add_duration(start, f"P{days}D") == start + timedelta(days=days)


@given(moments, durations, moments)
def test_an_enabling_time_decides_the_start_whatever_the_acceptance(enabled, duration, accepted):
    validity = compute_validity(duration=duration, accepted_at=accepted, enabling_time=enabled)
    assert validity.start == enabled
    assert validity == compute_validity(duration=duration, accepted_at=enabled, enabling_time=None)


@given(moments, durations, st.sampled_from(ZONES))
def test_a_renewal_is_the_same_period_as_an_order_starting_where_the_renewed_one_ends(
    end, duration, zone_name
):
    tz = ZoneInfo(zone_name)
    renewal = renewal_validity(renewed_end=end, duration=duration, tz=tz)
    assert renewal == compute_validity(
        duration=duration, accepted_at=end, enabling_time=None, tz=tz
    )


def test_a_submitted_delivery_keeps_the_zone_it_was_submitted_in(session):
    """The delivery's own zone wins over the customer's cached profile; a draft, or a delivery
    submitted before zones were kept (NULL), uses the cache; nothing cached is UTC."""
    from bot.orders.calendar import delivery_time_zone
    from bot.orders.validity import validity_for
    from storage.models import Delivery, DeliveryState, SlackUser
    from tests.factories import CUSTOMER, make_order

    order = make_order(session, "12345", duration="P1M")
    frozen = Delivery(
        order_id=order.id,
        round=1,
        state=DeliveryState.SUBMITTED,
        holder="USELLER",
        customer_tz="Asia/Tokyo",
        created_at=JAN_1,
        updated_at=JAN_1,
    )
    legacy = Delivery(
        order_id=order.id,
        round=1,
        state=DeliveryState.SUBMITTED,
        holder="USELLER",
        created_at=JAN_1,
        updated_at=JAN_1,
    )
    assert delivery_time_zone(session, order, legacy) == "UTC"
    session.add(SlackUser(user_id=CUSTOMER, tz="America/New_York", fetched_at=JAN_1))
    session.flush()

    assert delivery_time_zone(session, order, frozen) == "Asia/Tokyo"
    assert delivery_time_zone(session, order, legacy) == "America/New_York"
    assert delivery_time_zone(session, order, None) == "America/New_York"
    enabled = datetime(2026, 1, 30, 23, 0, tzinfo=UTC)  # 31 Jan 08:00 Tokyo, 30 Jan 18:00 NY
    ends = {
        delivery.customer_tz: validity_for(
            session, order, delivery=delivery, accepted_at=FEB_1, enabling_time=enabled
        ).end
        for delivery in (frozen, legacy)
    }
    assert ends == {
        "Asia/Tokyo": datetime(2026, 2, 27, 23, 0, tzinfo=UTC),  # 28 Feb 08:00 Tokyo
        None: datetime(2026, 2, 28, 23, 0, tzinfo=UTC),  # 28 Feb 18:00 New York
    }
