"""Faults for real processes: SIGKILL + restart, SIGSTOP/SIGCONT, libfaketime."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from systems.external import ProcessFaults, faketime_env, find_libfaketime, set_fake_offset

# prints a counter every 20 ms, for at most ~30 s (it stops by itself)
SLEEP = "    time.sleep(0.05)\n"
TICKER = "import time\nfor i in range(1500):\n    print(i, flush=True)\n    time.sleep(0.02)\n"


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_for(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def procs() -> Iterator[Callable[[str], int]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> int:
        p = subprocess.Popen([sys.executable, "-c", TICKER], stdout=subprocess.DEVNULL)
        started.append(p)
        return p.pid

    yield start
    for p in started:
        p.kill()
        p.wait()


def test_pause_resume_kill_and_restart(procs: Callable[[str], int]) -> None:
    start = procs
    faults = ProcessFaults({"a": start("a")}, restart=start)
    pid = faults.pids["a"]
    assert faults.invoke({"f": "pause", "value": ["a"]})["value"] == ["a"]
    assert _wait_for(lambda: _state(pid) == "T")
    faults.invoke({"f": "resume"})
    assert _wait_for(lambda: _state(pid) != "T")
    faults.invoke({"f": "pause", "value": ["a"]})
    faults.invoke({"f": "kill", "value": ["a"]})  # even a stopped process dies
    assert not Path(f"/proc/{pid}").exists()
    assert faults.invoke({"f": "start"})["value"] == ["a"]
    new = faults.pids["a"]
    assert new != pid
    # alive and not stopped: a fresh interpreter may briefly be in D (disk wait) while loading
    assert _wait_for(lambda: _state(new) in "RS")
    faults.heal()
    assert not faults.down and not faults.paused


@pytest.mark.skipif(
    find_libfaketime() is None, reason="libfaketime not installed (apt-get install libfaketime)"
)
def test_faketime_offsets_a_running_process_clock(tmp_path: Path) -> None:
    offset = str(tmp_path / "offset")
    env = faketime_env(offset, offset_s=3600)
    code = "import time\nfor _ in range(200):\n    print(time.time(), flush=True)\n" + SLEEP
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True
    ) as p:
        try:
            assert p.stdout is not None
            first = float(p.stdout.readline())
            assert first - time.time() > 3000
            set_fake_offset(offset, -3600)
            seen = [float(p.stdout.readline()) - time.time() for _ in range(10)]
            assert min(seen) < -3000
        finally:
            p.kill()


# a parent that forks a child in a session of its own (as PostgreSQL's backends do)
FORKER = (
    "import os, sys, time\n"
    "if os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\n    os._exit(0)\n"
    "time.sleep(30)\n"
)


def test_tree_faults_reach_descendants_in_other_sessions() -> None:
    """Guards ``ProcessFaults(tree=True)``: pause stops, and kill kills, a child that
    left the parent's process group (a group signal would miss it)."""
    from systems.external._process import descendants

    p = subprocess.Popen([sys.executable, "-c", FORKER])
    try:
        assert _wait_for(lambda: len(descendants(p.pid)) == 1)
        child = descendants(p.pid)[0]
        faults = ProcessFaults({"pg": p.pid}, lambda n: 0, tree=True)
        faults.pause("pg")
        assert _wait_for(lambda: _state(p.pid) == "T" and _state(child) == "T")
        faults.resume("pg")
        assert _wait_for(lambda: _state(child) != "T")
        faults.kill("pg")
        assert _wait_for(lambda: not Path(f"/proc/{child}").exists() or _state(child) == "Z")
    finally:
        p.kill()
        p.wait()
