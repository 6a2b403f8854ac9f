"""A run killed with SIGKILL leaves a history prefix that ``ddialab check`` reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ddialab.history import read_history


def test_sigkilled_run_leaves_a_readable_history(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ddialab", "run", "--time-limit", "100000", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = out / "history.jsonl"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if history.exists() and history.stat().st_size > 20_000:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    h = read_history(history)
    assert len(h) > 100
    check = subprocess.run(
        [sys.executable, "-m", "ddialab", "check", str(history), "-c", "register-simple"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "valid" in check.stdout
