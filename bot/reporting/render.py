"""The report as text (for a terminal or the demo), JSON, CSV, or one self-contained HTML page
with the charts inside it (base64 PNG)."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from datetime import datetime
from typing import Any

from bot.reporting.figures import Figures, Report

COLUMNS = (
    ("deliveries", "Deliveries"),
    ("first_round_rate", "First-round acceptance"),
    ("rounds_per_delivery", "Rounds per delivery"),
    ("accept_working_median", "Time to accept, median (working h)"),
    ("accept_working_p90", "Time to accept, p90 (working h)"),
    ("accept_calendar_median", "Time to accept, median (h)"),
    ("accept_calendar_p90", "Time to accept, p90 (h)"),
    ("reminders_per_acceptance", "Reminders per acceptance"),
    ("escalations", "Escalations"),
    ("automatic", "Automatic acceptances"),
    ("appeals", "Appeals"),
    ("appeals_in_time_rate", "Appeals decided within 3 working days"),
)


def figures_dict(row: Figures) -> dict[str, Any]:
    accept = row.time_to_accept
    return {
        "seller": row.seller,
        "product": row.product,
        "month": row.month,
        "deliveries": row.deliveries,
        "first_round_accepted": row.first_round_accepted,
        "first_round_answered": row.answered,
        "first_round_rate": _r(row.first_round_rate),
        "rounds_per_delivery": _r(row.rounds_per_delivery),
        "accepted": row.accepted,
        "accept_working_median": _r(accept.working_median),
        "accept_working_p90": _r(accept.working_p90),
        "accept_calendar_median": _r(accept.calendar_median),
        "accept_calendar_p90": _r(accept.calendar_p90),
        "reminders": row.reminders,
        "reminders_per_acceptance": _r(row.reminders_per_acceptance),
        "escalations": row.escalations,
        "automatic": row.automatic,
        "completed_by_operations": row.completed_by_operations,
        "appeals": row.appeals,
        "appeals_decided": row.appeal_decisions.count,
        "appeals_decided_in_time": row.appeal_decisions.within_limit,
        "appeals_in_time_rate": _r(row.appeals_in_time_rate),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def as_json(report: Report) -> str:
    data = {
        "generated_at": report.generated_at.isoformat(),
        "since": _iso(report.filter.since),
        "until": _iso(report.filter.until),
        "sellers": list(report.filter.sellers),
        "products": list(report.filter.products),
        "total": figures_dict(report.total),
        "rows": [figures_dict(row) for row in report.rows],
        "waiting_longest": [
            {
                "order_no": w.order_no,
                "product": w.product,
                "state": w.state,
                "since": w.since.isoformat(),
            }
            for w in report.waiting
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def as_csv(report: Report) -> str:
    out = io.StringIO()
    rows = [figures_dict(row) for row in report.rows] + [figures_dict(report.total)]
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _cells(row: Figures, seller: str) -> list[str]:
    accept = row.time_to_accept
    return [
        seller[:18],
        row.product[:12],
        row.month,
        str(row.deliveries),
        _pct(row.first_round_rate),
        _num(row.rounds_per_delivery, 2),
        f"{_num(accept.working_median)} / {_num(accept.working_p90)}",
        f"{_num(accept.calendar_median)} / {_num(accept.calendar_p90)}",
        _num(row.reminders_per_acceptance, 2),
        str(row.escalations),
        str(row.automatic),
        str(row.appeals),
        _pct(row.appeals_in_time_rate),
    ]


HEADINGS = [
    "Seller",
    "Product",
    "Month",
    "Deliv.",
    "1st round",
    "Rounds",
    "Accept wh med/p90",
    "Accept h med/p90",
    "Rem/acc",
    "Esc.",
    "Auto",
    "Appeals",
    "≤3 wd",
]


def as_text(report: Report) -> str:
    period = (
        f"{report.filter.since:%Y-%m-%d}" if report.filter.since else "the start",
        f"{report.filter.until:%Y-%m-%d}" if report.filter.until else "now",
    )
    table = [HEADINGS] + [_cells(r, report.names.get(r.seller, r.seller)) for r in report.rows]
    total = _cells(report.total, "All")
    table.append([total[0], "", ""] + total[3:])
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADINGS))]
    lines = [
        f"Supervision report: deliveries first submitted from {period[0]} to {period[1]} "
        f"(generated {report.generated_at:%Y-%m-%d %H:%M} UTC)",
        "",
    ]
    for n, line in enumerate(table):
        if n == len(table) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append(
            "  ".join(
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
    lines += [
        "",
        "Times to accept in the customer's working hours (wh) and calendar hours (h); "
        "≤3 wd: appeals decided within 3 working days.",
        "",
        "Orders waiting longest:",
    ]
    now = report.generated_at
    lines += [
        f"  {w.order_no}  {w.product}  {w.state.replace('_', ' ')} since {w.since:%Y-%m-%d} "
        f"({(now - w.since).days} days)"
        for w in report.waiting
    ] or ["  none"]
    return "\n".join(lines) + "\n"


def as_html(report: Report, charts: dict[str, bytes]) -> str:
    """One file: the table, the waiting orders and the charts as data: URIs."""
    e = html.escape
    head = "".join(f"<th>{e(label)}</th>" for label in HEADINGS)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{e(c)}</td>" for c in _cells(r, report.names.get(r.seller, r.seller)))
        + "</tr>"
        for r in report.rows
    )
    cells = _cells(report.total, "All")
    cells[1] = cells[2] = ""
    total = "<tr class=total>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
    images = "".join(
        f"<figure><img alt='{e(title)}' src='data:image/png;base64,"
        f"{base64.b64encode(png).decode()}'><figcaption>{e(title)}</figcaption></figure>"
        for title, png in charts.items()
    )
    waiting = "".join(
        f"<li>{e(w.order_no)} · {e(w.product)} · {e(w.state.replace('_', ' '))} since {w.since:%Y-%m-%d}</li>"
        for w in report.waiting
    )
    text = as_text(report).splitlines()[0]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Supervision report</title>"
        "<style>body{font:13px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}td:nth-child(-n+3){text-align:left}"
        "tr.total{font-weight:bold}img{max-width:100%}figure{margin:1em 0}</style></head><body>"
        f"<h1>Supervision report</h1><p>{e(text)}</p><table><tr>{head}</tr>{body}{total}</table>"
        f"<h2>Orders waiting longest</h2><ul>{waiting or '<li>none</li>'}</ul>"
        f"<h2>Charts</h2>{images}</body></html>\n"
    )
