"""The charts are drawn from the crafted orders, and are real PNGs of a plausible size; the
HTML report carries them inside itself."""

from __future__ import annotations

import struct

from bot.reporting import render
from bot.reporting.charts import TITLES, all_charts
from bot.reporting.figures import ReportFilter, build_report
from bot.reporting.series import build_series
from tests.reporting.crafted import craft
from tests.reporting.test_figures import NOW


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_the_series_count_the_crafted_orders(session):
    craft(session)
    series = build_series(session, ReportFilter())
    assert series.accept_days[:8] == [0, 1, 1, 0, 0, 0, 1, 0]  # B 32 h, A 65 h, C 167 h
    assert series.weeks == {
        "2026-02-02": {"still open": 1},
        "2026-02-09": {"completed by operations": 1},
        "2026-03-02": {
            "accepted on round 1": 1,
            "accepted after changes": 1,
            "accepted automatically": 1,
        },
    }
    assert series.appeal_half_days[5] == 1 and series.appeal_half_days[6] == 1  # 71 h, 73 h


def test_charts_are_pngs_and_the_html_report_embeds_them(session):
    craft(session)
    charts = all_charts(build_series(session, ReportFilter()))
    assert list(charts) == ["acceptance-time", "weekly-outcomes", "appeal-decisions"]
    for png in charts.values():
        width, height = png_size(png)
        assert (width, height) == (700, 350)
        assert 8_000 < len(png) < 200_000
    result = build_report(session, ReportFilter(), now=NOW, hours=(9, 18), decision_days=3)
    page = render.as_html(result, {TITLES[k]: v for k, v in charts.items()})
    assert page.count("src='data:image/png;base64,iVBORw0KGgo") == 3
    assert "http://" not in page and "https://" not in page
