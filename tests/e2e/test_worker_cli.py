"""`deliverybot worker --once` as a real process whose whole system clock is shifted.

The process runs under libfaketime (the Debian `faketime` package), which moves the clock
for everything in the process at the libc level, SQL drivers included: the closest thing to
a server whose clock says another day. Where faketime is not installed, time-machine moves
Python's clock inside a small wrapper that calls the CLI entry point instead.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_deliver_command import blocks_text
from tests.e2e.test_reminders import reminders_seen, submitted_order

ROOT = Path(__file__).resolve().parents[2]
DELIVERYBOT = str(Path(sys.executable).with_name("deliverybot"))


def worker_once_at(box, moment: str, tmp_path) -> subprocess.CompletedProcess:
    """Run `deliverybot worker --once` with the system clock at `moment` (UTC)."""
    env = {
        **os.environ,
        "TZ": "UTC",
        "DATABASE_URL": box.database_url,
        "SLACK_API_URL": box.slack.api_url,
        "SLACK_BOT_TOKEN": box.slack.token,
        "SLACK_SIGNING_SECRET": "x",
        "DELIVERYBOT_OPS_CHANNEL": "COPS",
    }
    if shutil.which("faketime"):
        env["DONT_FAKE_MONOTONIC"] = "1"
        command = ["faketime", "-f", f"@{moment}", DELIVERYBOT, "worker", "--once"]
    else:
        wrapper = (
            "import sys, time_machine; from bot.cli.main import main; "
            f"time_machine.travel('{moment}Z', tick=True).start(); "
            "sys.argv = ['deliverybot', 'worker', '--once']; main()"
        )
        command = [sys.executable, "-c", wrapper]
    # cwd: a folder without the developer's .env
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


def test_worker_once_under_a_shifted_clock_sends_what_is_due(box, session, tmp_path):
    submitted_order(box, session)  # Monday 2 Feb 2026 10:00 UTC

    early = worker_once_at(box, "2026-02-03 13:30:00", tmp_path)  # 08:30 in New York
    assert early.returncode == 0, early.stderr
    assert reminders_seen(box) == []
    assert "1 plan_reminders" in early.stdout

    due = worker_once_at(box, "2026-02-03 14:05:00", tmp_path)  # 09:05 in New York
    assert due.returncode == 0, due.stderr
    [reminder] = reminders_seen(box)
    assert "order *12345*" in blocks_text(reminder.blocks)
    assert "1 reminder" in due.stdout and "messages sent: 1" in due.stdout

    again = worker_once_at(box, "2026-02-03 14:10:00", tmp_path)
    assert again.returncode == 0 and len(reminders_seen(box)) == 1
