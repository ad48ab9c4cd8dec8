"""Memory of `deliverybot serve` (HTTP, with its outbox and scheduler threads) after the ack
benchmark's load: 20,000 orders for one seller, signed `/deliver` and `/deliver N` requests
at 16 concurrent clients. The baseline: a bare Bolt AsyncApp under uvicorn, same load.

    python -m bench.bench_serve_rss [--orders 20000] [--requests 400]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import load
from bench.seeding import SELLER, seed_orders
from bot.demo.sandbox import SIGNING_SECRET
from bot.fakeslack.server import FakeSlack
from storage.engine import make_engine
from storage.migrate import upgrade


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def measure(command: list[str], env: dict[str, str], port: int, texts: list[str]) -> tuple:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"", timeout=1)
                break
            except httpx.HTTPError as error:
                if time.monotonic() > deadline or process.poll() is not None:
                    told = process.stderr.read().decode() if process.stderr else ""
                    raise SystemExit(told) from error
                time.sleep(0.2)
        before = memory(process.pid)[0]
        url = f"http://127.0.0.1:{port}/slack/events"
        seconds, latencies, errors = load(url, SIGNING_SECRET, texts, user=SELLER, concurrency=16)
        assert not errors, errors[:3]
        time.sleep(2)  # the outbox and the Home renders catch up
        return before, *memory(process.pid), len(latencies) / seconds
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    slack = FakeSlack().start()
    slack.add_user(SELLER, "sam", email="sam@isv.example", tz="Europe/Paris")
    half = args.requests // 2
    texts = [""] * half + [f"B{n:07d}" for n in range(half)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'serve.db'}"
            engine = make_engine(url)
            upgrade(engine)
            seed_orders(engine, args.orders)
            engine.dispose()
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": url,
                "DELIVERYBOT_FILES_DIR": str(Path(folder) / "files"),
            }
            port = free_port()
            serve = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
            ours = measure(serve, env, port, texts)
            port = free_port()
            bare = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port)]
            base = measure(bare, env, port, [""] * args.requests)
    finally:
        slack.stop()
    print("| process | RSS at start | RSS after the load | peak RSS | throughput |")
    print("|---|---|---|---|---|")
    for name, (start, after, peak, rps) in (("deliverybot serve", ours), ("bare AsyncApp", base)):
        print(f"| {name} | {start:.0f} MB | {after:.0f} MB | {peak:.0f} MB | {rps:.0f} req/s |")
    print(f"serve / bare, RSS after the load: {ours[1] / base[1]:.2f}×")


if __name__ == "__main__":
    main()
