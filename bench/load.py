"""A load generator in a process of its own (so the clients do not share the server's GIL):
signed slash commands over HTTP from N threads; returns each request's latency."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import urllib.parse
from multiprocessing import get_context

import httpx


def signed(secret: str, body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }


def command_body(user: str, text: str, team: str = "T0001") -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": "D" + user,
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/deliver",
            "text": text,
            "api_app_id": "A0001",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": "1.2.3",
        }
    )


def _run(url: str, secret: str, texts: list[str], user: str, concurrency: int, out) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(enumerate(texts))
    # the clock starts once every client is made: making one (its TLS context) costs ~15 ms of
    # this process's time, which counted against the server (a quarter of a bare run)
    ready = threading.Barrier(concurrency + 1)

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            ready.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    _, text = queue.pop(0)
                body = command_body(user, text)
                started = time.perf_counter()
                response = http.post(url, content=body, headers=signed(secret, body))
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    out.put((time.perf_counter() - started, latencies, errors))


def load(
    url: str, secret: str, texts: list[str], *, user: str, concurrency: int
) -> tuple[float, list[float], list[str]]:
    """(seconds, latencies, errors) of sending one signed `/deliver <text>` per `texts`."""
    context = get_context("spawn")
    out = context.Queue()
    process = context.Process(target=_run, args=(url, secret, texts, user, concurrency, out))
    process.start()
    result = out.get()
    process.join()
    return result
