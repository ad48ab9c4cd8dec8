"""The report's figures, exactly, on the crafted orders (tests/reporting/crafted.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.reporting import render
from bot.reporting.figures import ReportFilter, build_report
from storage.models import AppealState, Product
from tests.factories import SELLER, TEAMMATE, make_order
from tests.reporting.crafted import _appeal, _decide, _submit, craft, utc

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture
def crafted(session):
    craft(session)
    return session


def report(session, **kw):
    return build_report(session, ReportFilter(**kw), now=NOW, hours=(9, 18), decision_days=3)


def test_the_figures_per_seller_product_and_month(crafted):
    rows = {(r.seller, r.product, r.month): r for r in report(crafted).rows}
    assert set(rows) == {(SELLER, "VPN", "2026-03"), (TEAMMATE, "CRM", "2026-02")}
    vpn = rows[SELLER, "VPN", "2026-03"]
    assert (vpn.deliveries, vpn.answered, vpn.first_round_accepted) == (3, 3, 2)
    assert vpn.rounds_per_delivery == pytest.approx(4 / 3)
    assert (vpn.accepted, vpn.automatic, vpn.reminders, vpn.escalations) == (3, 1, 5, 2)
    accept = vpn.time_to_accept
    assert accept.count == 3
    assert accept.calendar_median == pytest.approx(65)  # A, over the change to summer time
    assert accept.calendar_p90 == pytest.approx(65 + (167 - 65) * 0.8)
    assert accept.working_median == pytest.approx(17)  # B
    assert accept.working_p90 == pytest.approx(17 + (45 - 17) * 0.8)
    crm = rows[TEAMMATE, "CRM", "2026-02"]
    assert (crm.deliveries, crm.answered, crm.first_round_accepted) == (2, 1, 0)
    assert (crm.completed_by_operations, crm.appeals, crm.appeals_decided) == (1, 2, 2)
    assert crm.appeal_decisions.within_limit == 1  # D in 71 h; E in 73 h, an hour late
    assert crm.appeals_in_time_rate == 0.5
    assert crm.appeal_decisions.working_median == pytest.approx(72)
    assert crm.time_to_accept.count == 0  # nothing accepted: no time, rather than 0 hours
    assert crm.time_to_accept.working_median is None


def test_the_total_and_the_orders_waiting_longest(crafted):
    result = report(crafted)
    total = result.total
    assert (total.deliveries, total.answered, total.first_round_accepted) == (5, 4, 2)
    assert total.time_to_accept.working_median == pytest.approx(17)
    assert [w.order_no for w in result.waiting] == ["F", "D"]


def test_filters_by_seller_as_email_by_product_and_by_period(crafted):
    mine = report(crafted, sellers=["sam@isv.example"])  # the cache pairs it with the id
    assert {r.seller for r in mine.rows} == {SELLER}
    assert mine.total.deliveries == 3
    assert [w.order_no for w in mine.waiting] == ["F"]
    assert report(crafted, products=["CRM"]).total.deliveries == 2
    march = report(crafted, since=datetime(2026, 3, 1, tzinfo=UTC))
    assert march.total.deliveries == 3
    assert report(crafted, until=datetime(2026, 3, 1, tzinfo=UTC)).total.deliveries == 2


def test_an_order_with_two_sellers_counts_for_each_and_once_in_the_total(crafted):
    crm = crafted.exec(select(Product).where(Product.code == "CRM")).one()
    g = make_order(crafted, "G", product=crm, sellers=(SELLER, TEAMMATE), placed_at=utc(2026, 2, 1))
    # Mon 09:00 -> Tue 09:00 in New York: 24 h, 9 working h; its appeal decided in 24 h.
    _decide(crafted, g, _submit(crafted, g, utc(2026, 2, 9, 14)), utc(2026, 2, 10, 14))
    _appeal(crafted, g, utc(2026, 2, 10, 10), utc(2026, 2, 11, 10), AppealState.REJECTED)
    crafted.commit()
    result = report(crafted)
    rows = {(r.seller, r.product, r.month): r for r in result.rows}
    mine = rows[SELLER, "CRM", "2026-02"]
    assert (mine.deliveries, mine.accepted, mine.appeals) == (1, 1, 1)
    assert mine.time_to_accept.working_median == pytest.approx(9)
    assert mine.appeal_decisions.count == 1 and mine.appeals_in_time_rate == 1
    assert rows[TEAMMATE, "CRM", "2026-02"].deliveries == 3
    assert rows[TEAMMATE, "CRM", "2026-02"].time_to_accept.count == 1
    total = result.total
    assert (total.deliveries, total.accepted, total.appeals) == (6, 4, 3)
    assert (total.time_to_accept.count, total.appeal_decisions.count) == (4, 3)
    assert total.time_to_accept.calendar_median == pytest.approx((32 + 65) / 2)
    only_mine = report(crafted, sellers=[SELLER])
    assert {r.seller for r in only_mine.rows} == {SELLER}
    assert (only_mine.total.deliveries, only_mine.total.appeals) == (4, 1)


def test_text_json_and_csv_say_the_same(crafted):
    result = report(crafted)
    text = render.as_text(result)
    assert "Sam Seller" in text and "67%" in text and "17.0 / 39.4" in text
    assert "F  VPN  awaiting delivery since 2026-01-02 (77 days)" in text
    data = __import__("json").loads(render.as_json(result))
    assert data["total"]["deliveries"] == 5
    assert data["total"]["appeals_in_time_rate"] == 0.5
    lines = render.as_csv(result).splitlines()
    assert len(lines) == 1 + 2 + 1 and lines[-1].startswith("all,all,all,5,")
