"""The bot as real processes for the fault tests: `deliverybot worker` and `deliverybot serve`
against the test's database and fake Slack, on the system clock or with it shifted ahead (a
process started "later", after the leases of a dead one ran out), killed with SIGKILL.

Each runs the CLI entry point through a small wrapper that skips dateparser's warm-up (about
4 s on this machine; it only makes the first date typed in a DM parse faster) and, where the
faketime package is missing, moves Python's clock with time-machine instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.demo.sandbox import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]

WRAPPER = """
import sys
from datetime import UTC, datetime, timedelta
import bot.core.dates
bot.core.dates.warm_up = lambda languages=(): None
ahead = float(sys.argv[1])
if ahead and sys.argv[2] == "time-machine":
    import time_machine
    time_machine.travel(datetime.now(UTC) + timedelta(seconds=ahead), tick=True).start()
from bot.cli.main import main
sys.argv = ["deliverybot", *sys.argv[3:]]
main()
"""


STARTED: list[subprocess.Popen] = []  # what a failed test leaves running is killed after it


def kill_leftovers() -> None:
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            kill(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(box, tmp_path: Path, *args: str, ahead: float = 0) -> subprocess.Popen:
    """`deliverybot <args>` on the box's database and fake Slack, its clock `ahead` seconds
    ahead of the system's. Output goes to a log file in tmp_path (`output(process)`)."""
    env = {
        **os.environ,
        # this checkout's code, whichever one the virtualenv's editable install points at
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TZ": "UTC",
        "DATABASE_URL": box.database_url,
        "SLACK_API_URL": box.slack.api_url,
        "SLACK_BOT_TOKEN": box.slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "DELIVERYBOT_OPS_CHANNEL": box.ops_channel,
        "DELIVERYBOT_FILES_DIR": str(box.files_dir),
    }
    clock_mover = "faketime" if shutil.which("faketime") else "time-machine"
    command = [sys.executable, "-c", WRAPPER, str(ahead), clock_mover, *args]
    if ahead and clock_mover == "faketime":
        env.update(DONT_FAKE_MONOTONIC="1", NO_FAKE_STAT="1")
        command = ["faketime", "-f", f"+{int(ahead)}", *command]
    log = tmp_path / f"{args[0]}-{time.monotonic_ns()}.log"
    with log.open("w") as out:  # cwd: a folder without the developer's .env
        process = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=out, stderr=out, start_new_session=True
        )
    process.log = log  # type: ignore[attr-defined]
    STARTED.append(process)
    return process


def output(process: subprocess.Popen) -> str:
    return process.log.read_text()  # type: ignore[attr-defined]


def run(box, tmp_path: Path, *args: str, ahead: float = 0) -> subprocess.Popen:
    """Start and wait for a command that ends by itself (`worker --once`)."""
    process = start(box, tmp_path, *args, ahead=ahead)
    process.wait(timeout=60)
    return process


def serve(box, tmp_path: Path, *, ahead: float = 0) -> tuple[subprocess.Popen, str]:
    """`deliverybot serve` with its outbox and scheduler; returns it once /healthz answers."""
    port = free_port()
    process = start(box, tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port), ahead=ahead)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(output(process))
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    kill(process)
    raise AssertionError(f"serve did not start:\n{output(process)}")


def kill(process: subprocess.Popen) -> None:
    """kill -9: no shutdown handler, no finally block, no goodbye. Sent to the process group:
    faketime runs the bot as its child."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> str:
    """Ctrl-C's polite cousin (SIGTERM), then kill -9 if it does not end."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        kill(process)
    return output(process)


def wait_for(condition, *, timeout: float = 20, what: str = "the condition") -> None:
    """Poll until `condition()` holds (a deadline, not a sleep that hopes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
