"""How fast `deliverybot orders import` takes a large file.

Generates N orders (default 100,000) as CSV, runs the real command into a fresh SQLite file,
and into a fresh PostgreSQL schema when TEST_DATABASE_URL is set; then imports the same file
again (every row unchanged). Each import runs as its own process (`python -m bot orders
import`), so its time and peak RSS are its own. Prints rows/s, the ratio against a baseline
measured in the same run (the naive import: look the order up, one ORM object per row,
flush, on a sample, extrapolated to N) and issue 12's targets for 1,000,000 orders.

    python -m bench.bench_import [--orders 1000000] [--sample 2000] [--no-pg]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.orders.imports.files import read_records
from bot.orders.imports.rules import decide_state
from bot.orders.imports.validation import validate_orders
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AuditEvent, Order, OrderSeller, Product

TARGETS = {"SQLite": 60.0, "PostgreSQL": 30.0}  # seconds for 1,000,000 new orders (issue 12)
TARGET_RSS_MB = 300
HEADER = (
    "order_no,product_code,amount,currency,status,placed_at,duration,sellers,"
    "customer_user_id,customer_email,customer_name,customer_channel,renewal_of"
)
STATUSES = ["Processing", "paid", "Completed", "Pending payment", "Canceled"]
DURATIONS = ["1 month", "P1M", "1 year", "30 days", "P3M"]
PRODUCTS = Path(__file__).parent.parent / "examples" / "products.yaml"


def write_orders(path: Path, count: int, *, prefix: str = "") -> None:
    rng = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for n in range(count):
            status = "Completed" if n % 50 == 0 else rng.choice(STATUSES)
            renews = f"{prefix}{n - 25}" if n % 50 == 25 else ""  # renews a completed order
            sellers = f"U{n % 97:05d}" + (f";seller{n % 13}@isv.example" if n % 3 == 0 else "")
            placed = (start + timedelta(seconds=30 * n)).isoformat()  # 1M: under a year
            out.write(
                f"{prefix}{n},SECUREVPN,{rng.randint(100, 99999)}.{n % 100:02d},EUR,{status},"
                f"{placed},{rng.choice(DURATIONS)},{sellers},U{n:08d},"
                f"admin{n}@buyer.example,Customer {n},,{renews}\n"
            )


def cli_import(url: str, path: Path) -> tuple[float, float]:
    """The real command in a process of its own: (seconds, peak RSS in MB)."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "orders", "import", str(path)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout and process.stderr
    output, errors = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"import failed: {output.decode()} {errors.decode()}")
    print(f"    {output.decode().strip()}")
    return elapsed, usage.ru_maxrss / 1024


def naive_import(url: str, path: Path) -> float:
    """The baseline: check the file, then per row look the order up and add ORM objects."""
    now = datetime.now(UTC)
    factory = make_session_factory(make_engine(url))
    began = time.perf_counter()
    with factory() as session:
        products = dict(session.exec(select(Product.code, Product.id)).all())
        records, _ = read_records(path)
        for row in validate_orders(records, product_ids=products, now=now).rows:
            order = session.exec(select(Order).where(Order.order_no == row.order_no)).first()
            state = decide_state(row.status, renews_supervised=False, existing=None, rounds=0)
            order = order or Order(
                order_no=row.order_no,
                state=state,
                state_changed_at=now,
                created_at=now,
                round=0,
                rejected_rounds=0,
            )
            for key in (
                "product_id",
                "amount",
                "currency",
                "placed_at",
                "duration",
                "customer_user_id",
                "customer_email",
                "customer_name",
                "renewal_of",
            ):
                setattr(order, key, getattr(row, key))
            order.imported_status, order.updated_at = row.status, now
            session.add(order)
            session.flush()
            for seller in row.sellers:
                session.add(OrderSeller(order_id=order.id, seller=seller))
            session.add(AuditEvent(order_id=order.id, at=now, actor="cli", kind="imported"))
            session.flush()
        session.commit()
    return time.perf_counter() - began


@contextmanager
def fresh_sqlite(folder: Path, name: str) -> Iterator[str]:
    url = f"sqlite:///{folder / name}"
    yield url


@contextmanager
def fresh_postgres(base: str, name: str) -> Iterator[str]:
    schema = f"bench_import_{name}_{os.getpid()}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    result = CliRunner().invoke(
        cli, ["products", "import", str(PRODUCTS)], env={"DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output


def bench(label: str, fresh, big: Path, sample: Path, orders: int, sample_size: int) -> None:
    # a shared machine: the load says how much of it the import had
    print(f"{label} (load average {os.getloadavg()[0]:.1f}):")
    with fresh("bulk") as url:
        prepare(url)
        first, first_rss = cli_import(url, big)
        again, again_rss = cli_import(url, big)
    with fresh("naive") as url:
        prepare(url)
        naive = naive_import(url, sample)
    bulk_rate, again_rate, naive_rate = orders / first, orders / again, sample_size / naive
    print(
        f"  first import   {orders:>7} rows in {first:6.2f} s  {bulk_rate:>9,.0f} rows/s"
        f"  peak RSS {first_rss:.0f} MB"
    )
    print(
        f"  re-import      {orders:>7} rows in {again:6.2f} s  {again_rate:>9,.0f} rows/s"
        f"  peak RSS {again_rss:.0f} MB"
    )
    print(
        f"  naive baseline {sample_size:>7} rows in {naive:6.2f} s  {naive_rate:>9,.0f} rows/s "
        f"(~{orders / naive_rate:,.0f} s for {orders})"
    )
    print(f"  bulk / naive: {bulk_rate / naive_rate:.1f}x")
    scaled = first * 1_000_000 / orders
    met = scaled < TARGETS[label] and max(first_rss, again_rss) < TARGET_RSS_MB
    print(
        f"  target: 1,000,000 in < {TARGETS[label]:.0f} s, peak RSS < {TARGET_RSS_MB} MB: "
        f"{'met' if met else 'missed'} ({scaled:.0f} s at this rate)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        big, sample = folder / "orders.csv", folder / "sample.csv"
        write_orders(big, args.orders)
        write_orders(sample, args.sample, prefix="S")
        print(f"{args.orders} orders, {big.stat().st_size / 1e6:.1f} MB of CSV")

        def sqlite(name: str):
            return fresh_sqlite(folder, f"{name}.db")

        bench("SQLite", sqlite, big, sample, args.orders, args.sample)
        if (base := os.environ.get("TEST_DATABASE_URL")) and not args.no_pg:
            bench(
                "PostgreSQL",
                lambda name: fresh_postgres(base, name),
                big,
                sample,
                args.orders,
                args.sample,
            )


if __name__ == "__main__":
    main()
