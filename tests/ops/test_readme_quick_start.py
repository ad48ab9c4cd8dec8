"""The README's quick start, run verbatim (but for the port) in a fresh folder with its
placeholder credentials, reaches a running `serve` with no traceback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.test_serve import free_port

ROOT = Path(__file__).resolve().parents[2]


def quick_start() -> str:
    readme = (ROOT / "README.md").read_text()
    step = readme[readme.index("3. Create the database") :]
    block = step[step.index("```sh") + len("```sh") : step.index("```", step.index("```sh") + 5)]
    return "\n".join(line.strip() for line in block.strip().splitlines())


def test_the_quick_start_reaches_a_running_serve(tmp_path):
    script = quick_start()
    assert script.splitlines()[-1].startswith(".venv/bin/deliverybot serve")
    port = free_port()
    script = re.sub(r"--port \d+", f"--port {port}", script)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    process = subprocess.Popen(
        ["bash", "-euc", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reply = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert reply is not None and reply.json() == {"ok": True}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert "Orders: 5 created" in output
    assert "Traceback" not in output
