"""The outbox against the fake Slack limiting `chat.postMessage` to one per second per channel
(a faster post gets a 429 with Retry-After: 1): 100 messages to one busy channel queued first,
then one message to each of 1,000 other channels, sent by two dispatchers sharing the database.

Checks that the 1,000 drain at the configured workspace rate, that the busy channel holds
none of them up, and that the two dispatchers together never post to a channel faster than
once a second (no 429s). The baseline, run in the same process on a smaller sample: the
previous dispatcher's way (one thread, rows in id order, sleeping out each channel's second).

    python -m bench.bench_outbox [--channels 1000] [--busy 100] [--rate 50] [--db sqlite pg]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import func
from sqlmodel import col, select

from bench.seeding import database
from bot.core.clock import SystemClock
from bot.fakeslack.server import FakeSlack
from bot.slack.dispatcher import OutboxDispatcher
from bot.slack.outbox import enqueue
from storage.engine import make_session_factory
from storage.models import OutboxMessage, OutboxStatus

BUSY = "UBUSY"


class ChannelLimit:
    """Slack's ~1 post per second per channel, as the fake Slack's `when` hook: True refuses."""

    def __init__(self, per_second: float = 1.0):
        self.gap = 1.0 / per_second
        self.accepted: dict[str, list[float]] = defaultdict(list)
        self.refused = 0

    def __call__(self, args: dict) -> bool:
        channel, now = str(args.get("channel")), time.monotonic()
        times = self.accepted[channel]
        if times and now - times[-1] < self.gap * 0.95:  # a little slack for clock jitter
            self.refused += 1
            return True
        times.append(now)
        return False


def fake_slack(users: list[str]) -> tuple[FakeSlack, ChannelLimit]:
    slack = FakeSlack().start()
    for user in users:
        slack.add_user(user, user.lower())
    limit = ChannelLimit()
    slack.fail(
        "chat.postMessage", "ratelimited", status=429, retry_after=1, times=10**9, when=limit
    )
    return slack, limit


def queue(session_factory, channels: list[str], busy: int, prefix: str) -> None:
    now = datetime.now(UTC)
    with session_factory() as session:
        for n in range(busy):
            payload = {"channel": BUSY, "text": f"busy {n}"}
            enqueue(
                session, key=f"{prefix}b{n}", method="chat.postMessage", payload=payload, now=now
            )
        for channel in channels:
            payload = {"channel": channel, "text": "hello"}
            enqueue(
                session,
                key=f"{prefix}{channel}",
                method="chat.postMessage",
                payload=payload,
                now=now,
            )
        session.commit()


def run_ours(engine, slack, channels: list[str], busy: int, rate: float) -> dict:
    session_factory = make_session_factory(engine)
    queue(session_factory, channels, busy, "o")
    client = WebClient(token=slack.token, base_url=slack.api_url + "/")
    stop = threading.Event()
    dispatchers = [
        OutboxDispatcher(
            session_factory=session_factory,
            client=client,
            clock=SystemClock(),
            channel_interval=1.0,
            workers=8,
            workspace_rate=rate,
        )
        for _ in range(2)
    ]
    threads = [threading.Thread(target=d.run_forever, args=(stop,)) for d in dispatchers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    others_done = busy_sent = None
    while time.monotonic() - started < 300:
        with session_factory() as session:
            sent = {}
            for busy_one in (True, False):
                where = col(OutboxMessage.channel_key) == BUSY
                sent[busy_one] = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.SENT, where if busy_one else ~where)
                ).one()
        if sent.get(False, 0) >= len(channels) and others_done is None:
            others_done = time.monotonic() - started
            busy_sent = sent.get(True, 0)
            break
        time.sleep(0.2)
    stop.set()
    for d in dispatchers:
        d.wake.set()
    for thread in threads:
        thread.join()
    assert others_done is not None, "the 1,000 did not drain in 5 minutes"
    return {"seconds": others_done, "busy_sent": busy_sent}


def run_baseline(slack, channels: list[str], busy: int) -> float:
    """The previous dispatcher: one thread, in id order, sleeping out each channel's second."""
    client = WebClient(token=slack.token, base_url=slack.api_url + "/")
    last: dict[str, float] = {}
    started = time.monotonic()
    for channel in [BUSY] * busy + channels:
        if channel in last and time.monotonic() - last[channel] < 1.0:
            time.sleep(1.0 - (time.monotonic() - last[channel]))
        last[channel] = time.monotonic()
        client.chat_postMessage(channel=channel, text="hello")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--busy", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0, help="workspace sends per second")
    parser.add_argument("--db", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    channels = [f"U{n:05d}" for n in range(args.channels)]
    sample_channels, sample_busy = channels[: args.channels // 10], max(1, args.busy // 10)
    print(
        f"{args.busy} posts to one channel, then {args.channels} to {args.channels} channels; "
        f"Slack allows 1 post/s per channel; workspace rate {args.rate:g}/s; two dispatchers"
    )
    with tempfile.TemporaryDirectory() as folder:
        slack, limit = fake_slack([BUSY, *channels])
        try:
            base_seconds = run_baseline(slack, sample_channels, sample_busy)
            base_rate = len(sample_channels) / base_seconds
            print(
                f"| baseline (one thread, sleeps per channel) | {len(sample_channels)} others after "
                f"{sample_busy} busy: {base_seconds:.1f} s | {base_rate:.1f} msg/s |"
            )
            for kind in args.db:
                slack.calls.clear()
                limit.refused, limit.accepted = 0, defaultdict(list)
                with database(kind, Path(folder), args.pg, f"outbox_{kind}") as engine:
                    ours = run_ours(engine, slack, channels, args.busy, args.rate)
                rate = args.channels / ours["seconds"]
                gaps = [
                    b - a
                    for times in limit.accepted.values()
                    for a, b in zip(times, times[1:], strict=False)
                ]
                print(
                    f"| {kind}: ours, 2 dispatchers | {args.channels} others in "
                    f"{ours['seconds']:.1f} s ({rate:.0f} msg/s, {rate / base_rate:.0f}× baseline) "
                    f"| busy channel meanwhile: {ours['busy_sent']} sent | 429s: {limit.refused} "
                    f"| closest two posts to one channel: {min(gaps, default=0):.2f} s |"
                )
        finally:
            slack.stop()


if __name__ == "__main__":
    main()
