"""How fast the supervision report runs over a large marketplace on PostgreSQL.

Generates N orders (default 200,000; the issue's target is 1,000,000: `--orders 1000000`) in
a fresh schema, all in SQL (generate_series): their sellers, delivery rounds (one in seven
orders needs a second), audit events (submissions, acceptances, 0-2 reminders, escalations)
and appeals (one in fifty), then VACUUM ANALYZE as autovacuum would. Then times
`build_report` (every figure, grouped by seller, product and month, plus the totals) and the
chart series, against a baseline measured in the same process: a plain COUNT(*) of each table
the report reads (one sequential scan of each).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python -m bench.bench_report [--orders 200000] [--keep SCHEMA]

`--keep SCHEMA` generates the orders into that schema once and keeps it: later runs with the
same name reuse the data (a million orders take minutes to generate); drop it when done.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bot.reporting.figures import ReportFilter, build_report
from bot.reporting.series import build_series
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade

SCHEMA = f"bench_report_{os.getpid()}"
GENERATE = [
    "INSERT INTO product (id, code, name, delivery_template) "
    "SELECT p, 'P' || p, 'Product ' || p, '[]' FROM generate_series(1, 20) p",
    # 1 in 5 still waits for the customer; the rest completed (1 in 23 automatically)
    """INSERT INTO orders (id, order_no, product_id, amount, currency, imported_status, state,
        placed_at, duration, customer_user_id, round, rejected_rounds, accepted_at, accepted_by,
        state_changed_at, created_at, updated_at)
    SELECT i, 'O' || i, 1 + i % 20, 100, 'EUR', 'Processing',
        CASE WHEN i % 5 = 0 THEN 'awaiting_acceptance' ELSE 'completed' END,
        t, 'P1M', 'UC' || (i % 5000), 1 + (i % 7 = 0)::int, (i % 7 = 0)::int,
        CASE WHEN i % 5 <> 0 THEN t + interval '1 day' + (i % 97) * interval '1 hour' END,
        CASE WHEN i % 5 <> 0 THEN CASE WHEN i % 23 = 0 THEN 'system' ELSE 'UC' || (i % 5000) END END,
        t, t, t
    FROM (SELECT i, timestamptz '2025-01-01' + i * CAST(:spread AS interval) AS t
          FROM generate_series(1, :n) i) g""",
    "INSERT INTO orderseller (order_id, seller) SELECT i, 'U' || (i % 200) FROM generate_series(1, :n) i",
    """INSERT INTO delivery (order_id, round, state, holder, step, enabling_decided,
        template_answers, messages, customer_tz, created_at, updated_at, submitted_at)
    SELECT o.id, r, CASE WHEN r < o.round THEN 'changes_requested'
                         WHEN o.state = 'completed' THEN 'accepted' ELSE 'submitted' END,
        'U1', 'submitted', true, '{}', '{}',
        (ARRAY['America/New_York','Europe/Paris','Asia/Tokyo','UTC'])[1 + o.id % 4],
        o.placed_at, o.placed_at, o.placed_at + r * interval '1 hour'
    FROM orders o CROSS JOIN LATERAL generate_series(1, o.round) r""",
    """INSERT INTO auditevent (order_id, at, actor, kind, detail)
    SELECT o.id, o.placed_at + interval '1 hour', 'U1', 'submit', '{}'::json FROM orders o
    UNION ALL SELECT o.id, o.accepted_at, o.accepted_by, 'accept', '{}'::json FROM orders o
        WHERE o.accepted_at IS NOT NULL
    UNION ALL SELECT o.id, o.placed_at + k * interval '1 day', 'system', 'reminder_sent', '{}'::json
        FROM orders o CROSS JOIN LATERAL generate_series(1, o.id % 3) k
    UNION ALL SELECT o.id, o.placed_at + interval '3 days', 'system', 'escalated', '{}'::json
        FROM orders o WHERE o.id % 11 = 0""",
    """INSERT INTO appeal (order_id, by_user, by_role, reason_kind, details, file_ids, state,
        decided_by, decided_at, created_at)
    SELECT o.id, 'U1', 'seller', 'unresponsive', '', '[]', 'rejected', 'UOPS',
        o.placed_at + interval '2 days' + (o.id % 6) * interval '1 day',
        o.placed_at + interval '2 days'
    FROM orders o WHERE o.id % 50 = 0""",
]
TABLES = ("orders", "orderseller", "delivery", "auditevent", "appeal", "product", "slackuser")


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="SCHEMA", help="generate into SCHEMA once, reuse it")
    args = parser.parse_args()
    schema = args.keep or SCHEMA
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("Set TEST_DATABASE_URL to a PostgreSQL database (the report's target).")
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    separator = "&" if "?" in base else "?"
    engine = make_engine(f"{base}{separator}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            orders = connection.execute(text("SELECT count(*) FROM orders")).scalar_one()
        if orders and orders != args.orders:
            raise SystemExit(f"{schema} holds {orders:,} orders, not {args.orders:,}: drop it.")
        seconds = 0.0
        if not orders:
            spread = f"{365 * 86400 / args.orders:.3f} seconds"
            seconds, _ = timed(lambda: _generate(engine, args.orders, spread))
        with engine.connect() as connection:
            events = connection.execute(text("SELECT count(*) FROM auditevent")).scalar_one()
        how = f"generated in {seconds:.0f} s" if seconds else f"reused from schema {schema}"
        print(f"{args.orders:,} orders and {events:,} audit events, {how}")
        factory = make_session_factory(engine, readonly=True)
        now = datetime(2026, 1, 15, tzinfo=UTC)
        best: dict[str, float] = {}
        for _ in range(args.runs):
            with factory() as session:
                baseline, _ = timed(
                    lambda s=session: [
                        s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
                    ]
                )
                report_s, report = timed(
                    lambda s=session: build_report(
                        s, ReportFilter(), now=now, hours=(9, 18), decision_days=3
                    )
                )
                series_s, _ = timed(lambda s=session: build_series(s, ReportFilter()))
            for name, value in (("baseline", baseline), ("report", report_s), ("series", series_s)):
                best[name] = min(best.get(name, value), value)
        total = report.total  # type: ignore[attr-defined]
        print(
            f"report: {len(report.rows):,} seller/product/month rows, "  # type: ignore[attr-defined]
            f"{total.deliveries:,} deliveries, median time to accept "
            f"{total.time_to_accept.working_median:.1f} working h"
        )
        print(f"COUNT(*) of the {len(TABLES)} tables (baseline): {best['baseline']:.2f} s")
        print(
            f"report (figures + totals): {best['report']:.2f} s "
            f"({best['report'] / best['baseline']:.1f}x the baseline)"
        )
        print(f"chart series: {best['series']:.2f} s ({best['series'] / best['baseline']:.1f}x)")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _generate(engine, n: int, spread: str) -> None:
    with engine.begin() as connection:
        for statement in GENERATE:
            params = {k: v for k, v in (("n", n), ("spread", spread)) if f":{k}" in statement}
            connection.execute(text(statement), params)
    # as autovacuum would have by the time anyone reports on a million orders: statistics, and
    # the visibility map index-only scans need
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(TABLES)}"))


if __name__ == "__main__":
    main()
