"""Ctrl-C during ``ddialab run`` and ``ddialab matrix``: stop promptly, one line, exit 130.

Real subprocesses and a real SIGINT: the interrupt travels through trio (which wraps it in
an exception group) and, for the matrix, past a pool of worker processes.  The bound on
the time to stop is a generous liveness check, not a performance claim.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

STOP_WITHIN = 30.0  # the alternative (finishing the queue) takes hours; CI machines are loaded


def _start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "ddialab", *argv]
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )


def _wait_for(ready: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, "exited before it was interrupted"
        assert time.monotonic() < deadline, "never started running"
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen[str]) -> tuple[int, str, float]:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, err, time.monotonic() - t0


def _big(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 20_000


def test_ctrl_c_during_run_exits_130_with_one_line(tmp_path: Path) -> None:
    """Guards the trio exception group path: it used to print a traceback and exit 1."""
    out = tmp_path / "run"
    proc = _start(["run", "--time-limit", "100000", "--out", str(out)])
    _wait_for(lambda: _big(out / "history.jsonl"), proc)
    code, err, seconds = _interrupt(proc)
    assert code == 130, err
    assert err.strip().splitlines() == ["ddialab: interrupted"]
    assert seconds < STOP_WITHIN


def test_ctrl_c_during_matrix_stops_the_pool_promptly(tmp_path: Path) -> None:
    """Guards the worker pool: workers used to swallow the SIGINT and finish the queue."""
    out = tmp_path / "m"
    argv = ["matrix", "--systems", "single-node", "--seeds", "40", "--time-limit", "200",
            "--jobs", "2", "--out", str(out)]  # fmt: skip
    proc = _start(argv)
    _wait_for(lambda: any(_big(p) for p in out.glob("runs/*/history.jsonl")), proc)
    code, err, seconds = _interrupt(proc)
    assert code == 130, err
    lines = err.strip().splitlines()
    assert lines[-1] == "ddialab: interrupted"
    assert all(line.startswith("[") for line in lines[:-1]), err  # progress lines only
    assert "Traceback" not in err
    assert seconds < STOP_WITHIN


def test_ctrl_c_during_a_real_run_removes_its_temporary_directory(tmp_path: Path) -> None:
    """Guards the real runner's cleanup on interrupt (SQLite: no server to install)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "run"
    argv = ["run", "-s", "sqlite", "-w", "list-append", "--time-limit", "300", "--out", str(out)]
    proc = _start(argv, env={**os.environ, "TMPDIR": str(temp)})
    _wait_for(lambda: _big(out / "history.jsonl"), proc)
    assert list(temp.glob("ddialab-sqlite-*")), "the run's working directory is not where expected"
    code, err, seconds = _interrupt(proc)
    assert code == 130, err
    lines = err.strip().splitlines()
    assert lines[-1] == "ddialab: interrupted"
    assert all(line.startswith("running: ") for line in lines[:-1]), err  # progress only
    assert not list(temp.glob("ddialab-*"))
    assert seconds < STOP_WITHIN
