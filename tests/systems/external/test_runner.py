"""The real-datastore path with an in-process store: threads, timeouts, faults, plug-ins.

``Store`` is a real system in the protocol's sense (``real_datastore = True``, blocking
clients) without a server, so these tests are fast and need nothing installed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from ddialab.errors import UsageError
from ddialab.runner import TestSpec, run
from systems import SystemEntry
from systems.external import RealSystem, is_real


class Store:
    """A linearizable in-memory register store (a lock around a dict); faults recorded."""

    real_datastore = True
    name = "store"
    claims = frozenset({"linearizable"})

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.hang = float(options.get("hang_s", 0.0))
        self.data: dict[Any, Any] = {}
        self.lock = threading.Lock()
        self.events: list[str] = []
        #: the threads clients were invoked on (a blocking client must not run on the loop's)
        self.invoked_on: set[int] = set()

    def node_names(self) -> list[str]:
        return ["a", "b"]

    def setup(self, workdir: str) -> None:
        assert os.path.isdir(workdir)
        self.events.append("setup")

    def teardown(self) -> None:
        self.events.append("teardown")

    def kill(self, node: str) -> None:
        self.events.append(f"kill {node}")

    def start(self, node: str) -> None:
        self.events.append(f"start {node}")

    def client(self, process: int) -> StoreClient:
        return StoreClient(self)


class StoreClient:
    def __init__(self, store: Store) -> None:
        self.store = store

    def open(self, node: str) -> None:
        pass

    def close(self) -> None:
        pass

    def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            self.store.invoked_on.add(threading.get_ident())
        if self.store.hang and op["f"] == "write":
            time.sleep(self.store.hang)
        k, v = op["value"]
        with self.store.lock:
            cur = self.store.data.get(k)
            if op["f"] == "read":
                return {"type": "ok", "value": [k, cur]}
            if op["f"] == "write":
                self.store.data[k] = v
                return {"type": "ok", "value": [k, v]}
            if cur != v[0]:
                return {"type": "fail", "value": [k, v], "error": "cas-mismatch"}
            self.store.data[k] = v[1]
            return {"type": "ok", "value": [k, v]}


LAST: list[Store] = []


def _build(options: Mapping[str, Any]) -> Store:
    LAST.append(Store(options))
    return LAST[-1]


ENTRY = SystemEntry("store", "in-memory real store", _build, Store.claims, {}, ())
NAME = f"{__name__}:ENTRY"


def _history(run_dir: str) -> list[dict[str, Any]]:
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_store_is_a_real_system() -> None:
    assert is_real(Store({})) and isinstance(Store({}), RealSystem)


def test_user_real_system_runs_with_real_clock_and_writes_the_run_dir(tmp_path: Path) -> None:
    """Guards the real runner's clock, its run directory and its worker threads (a client
    invoked on the event loop's own thread, not via ``trio.to_thread``, fails here)."""
    spec = TestSpec(system=NAME, workload="register", time_limit=0.5, rate=200, quiesce=0.05)
    t0 = time.monotonic()
    r = run(spec, out=str(tmp_path / "r"))
    assert time.monotonic() - t0 >= 0.5  # real seconds, not simulated ones
    assert r.valid is True, r.results
    assert LAST[-1].events == ["setup", "teardown"]
    # blocking clients run on worker threads, never on the event loop's (the caller's) thread
    assert LAST[-1].invoked_on and threading.get_ident() not in LAST[-1].invoked_on
    ops = _history(r.run_dir)
    assert ops[0]["time"] < 0.5e9 and any(op.get("final") for op in ops)
    for name in ("test.json", "results.json", "report.html", "schedule.json"):
        assert os.path.exists(os.path.join(r.run_dir, name))


def test_a_hung_op_times_out_as_info_and_the_run_ends(tmp_path: Path) -> None:
    spec = TestSpec(
        system=NAME, workload="register", time_limit=0.3, rate=100, op_timeout=0.2,
        quiesce=0.0, system_options={"hang_s": 0.5},
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / "r"))
    infos = [op for op in _history(r.run_dir) if op["type"] == "info"]
    assert infos and all(op["error"] == "timeout" for op in infos)
    assert LAST[-1].events[-1] == "teardown"


def test_kill_faults_use_the_systems_abilities(tmp_path: Path) -> None:
    spec = TestSpec(
        system=NAME, workload="register", nemesis=["kill"], time_limit=0.6,
        nemesis_interval=0.1, rate=100, quiesce=0.0,
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / "r"))
    events = LAST[-1].events
    assert any(e.startswith("kill ") for e in events) and "start a" in events
    assert any(op["process"] == "nemesis" for op in _history(r.run_dir))


def test_faults_the_system_cannot_do_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot pause"):
        run(TestSpec(system=NAME, nemesis=["pause"], time_limit=0.1), out=str(tmp_path / "r"))
    with pytest.raises(UsageError, match="time-limit"):
        run(TestSpec(system=NAME, time_limit=10_000), out=str(tmp_path / "r2"))


def test_cli_runs_a_real_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    argv = ["run", "--system", NAME, "--time-limit", "0.3", "--out", str(out), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True


def test_builtin_real_systems_are_registered() -> None:
    from systems import get_system
    from systems.external import REAL_ENTRIES

    names = {e.name for e in REAL_ENTRIES}
    assert {"postgres-serializable", "sqlite", "redis", "redis-replica", "etcd"} <= names
    for name in sorted(names):
        assert is_real(get_system(name).build())
        assert get_system(name).workloads == ()  # the (simulating) matrix leaves them out


def test_pytest_fixture_checks_a_real_system(ddialab: Any) -> None:
    ddialab.check(system=NAME, workload="register", time_limit=0.3, quiesce=0.0)


def test_fault_schedules_are_refused(tmp_path: Path) -> None:
    spec = TestSpec(system=NAME, time_limit=0.1, schedule={"events": []})
    with pytest.raises(UsageError, match="schedule"):
        run(spec, out=str(tmp_path / "r"))


def test_a_failed_setup_is_torn_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Store, workdir: str) -> None:
        self.events.append("setup")
        raise RuntimeError("server would not start")

    monkeypatch.setattr(Store, "setup", broken)
    with pytest.raises(RuntimeError, match="would not start"):
        run(TestSpec(system=NAME, time_limit=0.1), out=str(tmp_path / "r"))
    assert LAST[-1].events == ["setup", "teardown"]
