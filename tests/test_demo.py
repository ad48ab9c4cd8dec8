"""`deliverybot demo` tells the whole story offline, as each person sees it."""

import subprocess
import sys


def test_the_demo_runs_the_seed_scenario_to_completed():
    lines: list[str] = []
    from bot.demo.story import run_demo

    shown = run_demo(out=lines.append)
    transcript = "\n".join(lines)

    assert "Orders waiting for delivery (2)" in transcript
    assert "valid 1 Jan 2026 – 1 Feb 2026" in transcript
    assert "Delivered. Order 12345 is now with the customer for acceptance." in transcript
    assert transcript.count("A friendly reminder") == 3
    assert "has waited 7 days for acceptance" in transcript  # the escalation
    assert "Accepted by you on" in transcript
    assert shown["status"] == "Completed" and shown["state"] == "completed"
    assert shown["validity_start"].startswith("2026-01-01") and shown["validity_end"].startswith(
        "2026-02-01"
    )


def test_the_demo_command_needs_no_configuration(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Accepted by you on" in result.stdout
