"""`deliverybot demo` tells the whole story offline, as each person sees it, with no
configuration at all (a real process, in an empty folder, with almost no environment)."""

import json
import subprocess
import sys

# what only the test extra installs: `pip install .` gives none of them (.ci/run proves it too)
WITHOUT_TEST_EXTRA = (
    "import runpy, sys\n"
    "for name in ('httpx', 'pytest', '_pytest', 'time_machine', 'hypothesis'):\n"
    "    sys.modules[name] = None\n"
    "runpy.run_module('bot', run_name='__main__')\n"
)


def test_the_demo_runs_the_seed_scenario_to_completed_with_no_configuration(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TEST_EXTRA, "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    transcript = result.stdout

    assert "Orders waiting for delivery (2)" in transcript
    assert "valid 1 Jan 2026 – 1 Feb 2026" in transcript
    assert "Delivered. Order 12345 is now with the customer for acceptance." in transcript
    assert transcript.count("A friendly reminder") == 3
    assert "has waited 7 days for acceptance" in transcript  # the escalation
    assert "Accepted by you on" in transcript
    # act 3: a customer with no Slack account accepts by e-mail link, over real HTTP
    assert "Subject: Order 12349: please accept the delivery of SecureVPN Enterprise" in transcript
    assert "Pat clicks Accept on the page: POST → 200" in transcript
    assert "Pat at SmallCo accepted your delivery of order *12349*" in transcript
    shown = transcript.split(">>> deliverybot orders show 12345 --json (abridged)\n", 1)[1]
    order = json.loads(shown[: shown.index("\n}\n") + 2])
    assert (order["status"], order["state"]) == ("Completed", "completed")
    assert order["validity_start"].startswith("2026-01-01")
    assert order["validity_end"].startswith("2026-02-01")
    # the evidence pack, verified, and a tampered copy caught; then the report
    assert "evidence-12345.zip: intact. 8 files match the manifest" in transcript
    assert "rounds/round-1/proof/SOW-signed.pdf" in transcript
    assert "timeline.json: content changed" in transcript
    assert "Supervision report: deliveries first submitted" in transcript
    assert "All                                       3        67%" in transcript
