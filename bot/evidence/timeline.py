"""An order's audit trail as evidence: every event with who, when (UTC and the customer's
own time zone) and the order's state before and after it; as JSON and as one printable HTML
page with nothing to fetch."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from bot.core.dates import zone
from storage.models import AuditEvent, Order

ROLES = {"system": "the bot", "cli": "command line"}


def actor_role(actor: str, *, sellers: Sequence[str], customer: str | None) -> str:
    if actor in sellers:
        return "seller"
    if customer and actor == customer:
        return "customer"
    return ROLES.get(actor, "other (operations, or someone refused)")


def timeline(
    order: Order,
    events: Sequence[AuditEvent],
    *,
    tz: str,
    sellers: Sequence[str],
    names: dict[str, str],
) -> dict[str, Any]:
    """The events in order, each with the state before and after (a transition says both;
    any other event leaves the state as it was)."""
    first_move = next((e.detail.get("from") for e in events if "from" in e.detail), None)
    state = first_move or order.state.value
    rows = []
    for event in events:
        before = event.detail.get("from", state)
        state = event.detail.get("to", before)
        rows.append(
            {
                "id": event.id,
                "kind": event.kind,
                "actor": event.actor,
                "actor_name": names.get(event.actor),
                "actor_role": actor_role(
                    event.actor, sellers=sellers, customer=order.customer_user_id
                ),
                "at_utc": event.at.astimezone(UTC).isoformat(),
                "at_customer": event.at.astimezone(zone(tz)).isoformat(),
                "state_before": before,
                "state_after": state,
                "detail": event.detail,
            }
        )
    return {"order_no": order.order_no, "customer_time_zone": tz, "events": rows}


STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 18px; } table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eee; } td.detail { font-family: monospace; font-size: 11px; white-space: pre-wrap; }
tr { page-break-inside: avoid; } @media print { body { margin: 0; } th { background: none; } }
"""


def timeline_html(data: dict[str, Any], *, facts: dict[str, Any]) -> str:
    """One self-contained page (inline style, no scripts, no links out) that prints well."""
    e = html.escape
    fact_rows = "".join(
        f"<tr><th>{e(str(k))}</th><td>{e('' if v is None else str(v))}</td></tr>"
        for k, v in facts.items()
    )
    rows = []
    for n, event in enumerate(data["events"], 1):
        who = event["actor"] + (f" ({event['actor_name']})" if event["actor_name"] else "")
        rows.append(
            "<tr>"
            f"<td>{n}</td><td>{e(event['at_utc'])}</td><td>{e(event['at_customer'])}</td>"
            f"<td>{e(event['kind'].replace('_', ' '))}</td>"
            f"<td>{e(who)}<br><small>{e(event['actor_role'])}</small></td>"
            f"<td>{e(event['state_before'])} → {e(event['state_after'])}</td>"
            f"<td class=detail>{e(json.dumps(event['detail'], ensure_ascii=False, sort_keys=True))}</td>"
            "</tr>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Order {e(data['order_no'])}: timeline</title><style>{STYLE}</style></head><body>"
        f"<h1>Order {e(data['order_no'])}: timeline</h1><table>{fact_rows}</table><h2>Events</h2>"
        "<table><tr><th>#</th><th>UTC</th>"
        f"<th>Customer's time ({e(data['customer_time_zone'])})</th><th>What</th><th>Who</th>"
        "<th>State</th><th>Detail</th></tr>" + "".join(rows) + "</table>"
        "<p><small>Every file of this pack is listed with its SHA-256 in MANIFEST.sha256, "
        "whose digest the server signed (SIGNATURE.json): check it with "
        "<code>deliverybot evidence verify</code>.</small></p></body></html>\n"
    )
