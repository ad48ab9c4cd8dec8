"""Throughput of signed `/deliver` requests at 16 concurrent clients.

Compares how `deliverybot serve` dispatches (Bolt in a thread pool, listeners before the
response) with a baseline in the same process: Bolt's own sync Starlette adapter, which runs
`app.dispatch` on the event loop. Prints requests/s, p50/p99 and the ratio.

    python -m bench.bench_http [--requests 400] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from slack_bolt.adapter.starlette.handler import SlackRequestHandler
from starlette.applications import Starlette
from starlette.routing import Route

from bot.app import create_app
from bot.core.clock import ManualClock
from bot.demo.sandbox import SIGNING_SECRET, LoopbackServer, Sandbox
from bot.fakeslack.driver import SlackDriver
from storage.migrate import upgrade
from storage.models import Order, OrderSeller, Product
from storage.states import OrderStatus, SupervisionState

SELLER = "USELLER"


def seed(box: Sandbox, orders: int) -> None:
    with box.session_factory() as session:
        product = Product(code="BENCH", name="Bench product", delivery_template=[])
        session.add(product)
        session.flush()
        placed = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(orders):
            order = Order(
                order_no=f"B{n:05d}",
                product_id=product.id,
                amount=100,
                currency="EUR",
                imported_status=OrderStatus.PROCESSING,
                state=SupervisionState.AWAITING_DELIVERY,
                placed_at=placed,
                duration="P1M",
                state_changed_at=placed,
                created_at=placed,
                updated_at=placed,
            )
            session.add(order)
            session.flush()
            session.add(OrderSeller(order_id=order.id, seller=SELLER))
        session.commit()


def load(driver: SlackDriver, *, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def client() -> None:
        mine = []
        for n in range(per_thread):
            started = time.perf_counter()
            response = driver.command(SELLER, "B00001" if n % 2 else "")
            assert response.status_code == 200, response.text
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def report(name: str, throughput: float, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<44} {throughput:8.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        server = LoopbackServer().start()
        clock = ManualClock(datetime.now(UTC))
        with Sandbox(url, clock=clock, files_dir=Path(folder) / "files", server=server) as box:
            upgrade(box.engine)
            box.slack.add_user(SELLER, "sam", email="sam@isv.example", tz="Europe/Paris")
            seed(box, 200)
            box.driver.command(SELLER, "")  # warm caches (profile, dateparser, pools)
            # Measure the app alone: the outbox is not drained by the clients between requests.
            driver = SlackDriver(app_url=box.url, signing_secret=SIGNING_SECRET, slack=box.slack)

            baseline_app = create_app(box.services, process_before_response=False)
            handler = SlackRequestHandler(baseline_app)

            async def endpoint(request):
                return await handler.handle(request)

            server.target = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
            base_rps, base_lat = load(driver, requests=args.requests, concurrency=args.concurrency)

            server.target = box.loopback_target
            ours_rps, ours_lat = load(driver, requests=args.requests, concurrency=args.concurrency)
        server.stop()
    print(
        f"{args.requests} signed /deliver requests, {args.concurrency} concurrent clients, SQLite"
    )
    report("baseline: Bolt sync Starlette adapter", base_rps, base_lat)
    report("deliverybot serve (thread pool, before-response)", ours_rps, ours_lat)
    print(f"throughput ratio (ours / baseline): {ours_rps / base_rps:.2f}x")


if __name__ == "__main__":
    main()
