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
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from ddialab.errors import UsageError
from ddialab.runner import TestSpec, run
from ddialab.vocabulary import Option
from systems import SystemEntry
from systems.external import RealSystem, is_real


class Store:
    """A linearizable in-memory register store (a lock around a dict); faults recorded."""

    real_datastore = True
    name = "store"
    claims = frozenset({"linearizable"})

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.hang = float(options.get("hang_s", 0.0))
        self.amnesia = bool(options.get("amnesia", False))
        self.nodes = ["a", "b", "c"][: int(options.get("nodes", 2))]
        self.data: dict[Any, Any] = {}
        self.lock = threading.Lock()
        self.events: list[str] = []
        #: the threads clients were invoked on (a blocking client must not run on the loop's)
        self.invoked_on: set[int] = set()

    def node_names(self) -> list[str]:
        return list(self.nodes)

    def setup(self, workdir: str) -> None:
        assert os.path.isdir(workdir)
        self.events.append("setup")

    def teardown(self) -> None:
        self.events.append("teardown")

    def kill(self, node: str) -> None:
        self.events.append(f"kill {node}")
        if self.amnesia:  # a store that keeps nothing on disk: acknowledged writes lost
            with self.lock:
                self.data.clear()

    def start(self, node: str) -> None:
        self.events.append(f"start {node}")

    def cut(self, grudge: dict[str, list[str]]) -> None:
        self.events.append(f"cut {json.dumps(grudge, sort_keys=True)}")

    def heal(self) -> None:
        self.events.append("heal")

    def client(self, process: int) -> StoreClient:
        return StoreClient(self)


class StoreClient:
    def __init__(self, store: Store) -> None:
        self.store = store

    def open(self, node: str) -> None:
        pass

    def cancel(self) -> None:
        self.store.events.append("cancel")

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


ENTRY = SystemEntry(
    "store", "in-memory real store", _build, {}, (),
    options=(
        Option("hang_s", float, 0.0, help="each op hangs this long"),
        Option("nodes", int, 2, help="how many nodes (at most 3)"),
        Option("amnesia", bool, False, help="a kill loses every write"),
    ),
)  # fmt: skip
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
    with pytest.raises(UsageError, match=r"cannot suffer 'pause'.*pause\(\)/resume\(\)"):
        run(TestSpec(system=NAME, nemesis=["pause"], time_limit=0.1), out=str(tmp_path / "r"))
    with pytest.raises(UsageError, match="simulated world only"):
        run(TestSpec(system=NAME, nemesis=["clock"], time_limit=0.1), out=str(tmp_path / "r"))
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


def _faults(run_dir: str) -> list[tuple[str, str, Any]]:
    return [(op["type"], op["f"], op["value"]) for op in _history(run_dir)
            if op["process"] == "nemesis"]  # fmt: skip


def test_partition_kinds_cut_by_grudge_and_replay_from_the_schedule(tmp_path: Path) -> None:
    """Guards the real partition packages: a bridge is a grudge with one node in neither
    half (not an isolated node), its explicit value lands in schedule.json, and --replay
    performs the same cuts again without drawing anything at random."""
    spec = TestSpec(
        system=NAME, workload="register", nemesis=["partition-bridge", "kill"], time_limit=0.7,
        nemesis_interval=0.1, rate=100, quiesce=0.0, seed=3, system_options={"nodes": 3},
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / "r"))
    cuts = [e for e in LAST[-1].events if e.startswith("cut ")]
    grudge = json.loads(cuts[0][4:])
    # two one-node halves cut from each other; the third node, the bridge, in neither
    assert len(grudge) == 2 and all(len(g) == 1 for g in grudge.values()), grudge
    assert all(grudge[grudge[x][0]] == [x] for x in grudge), grudge
    with open(os.path.join(r.run_dir, "schedule.json"), encoding="utf-8") as f:
        events = json.load(f)["events"]
    assert any(e["f"] == "start-partition" and "grudge" in e["applied"] for e in events)
    assert any(e["f"] == "kill" and e["applied"] in (["a"], ["b"], ["c"]) for e in events)
    r2 = run(replace(spec, schedule={"events": events}, seed=99), out=str(tmp_path / "r2"))
    main = len(events)
    assert [f[1:] for f in _faults(r2.run_dir)[: 2 * main]] == [
        f[1:] for f in _faults(r.run_dir)[: 2 * main]
    ]
    assert [e for e in LAST[-1].events if e.startswith("cut ")][: len(cuts)] == cuts


def test_an_op_timeout_is_recorded_on_time_and_cancels_the_request(tmp_path: Path) -> None:
    """Guards --op-timeout on real clients: a write that hangs 3 s under a 0.3 s timeout
    completes as ``info timeout`` 0.3 s (generous slack: < 1.5 s) after its invocation, and
    the client's ``cancel()`` is called.  A liveness bound, not a performance figure."""
    spec = TestSpec(
        system=NAME, workload="register", time_limit=0.5, rate=50, op_timeout=0.3,
        quiesce=0.0, concurrency=2, system_options={"hang_s": 3.0},
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / "r"))
    ops = _history(r.run_dir)
    invoked = {}
    spans = []
    for op in ops:
        if op["type"] == "invoke":
            invoked[op["process"]] = op["time"]
        elif op.get("error") == "timeout":
            spans.append((op["time"] - invoked[op["process"]]) / 1e9)
    assert spans and all(0.3 <= s < 1.5 for s in spans), spans
    assert "cancel" in LAST[-1].events


def test_a_failed_setup_is_torn_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Store, workdir: str) -> None:
        self.events.append("setup")
        raise RuntimeError("server would not start")

    monkeypatch.setattr(Store, "setup", broken)
    with pytest.raises(RuntimeError, match="would not start"):
        run(TestSpec(system=NAME, time_limit=0.1), out=str(tmp_path / "r"))
    assert LAST[-1].events == ["setup", "teardown"]


def test_shrink_reruns_a_real_run_directory_against_the_real_system(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards one runner for shrinking: ``ddialab shrink`` on a real run directory runs
    its candidates through the real environment (the store is set up, killed and torn
    down again, not simulated), keeps the anomaly, and writes a smaller real run."""
    spec = TestSpec(
        system=NAME, workload="register", nemesis=["kill"], time_limit=0.6, rate=100,
        nemesis_interval=0.1, quiesce=0.0, seed=5, system_options={"amnesia": True},
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / "r"))
    assert r.valid is False, r.results
    before = len(LAST)
    out = tmp_path / "small"
    assert main(["shrink", r.run_dir, "--max-runs", "6", "--out", str(out), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["reproduced"] is True and summary["runs"] >= 2
    assert summary["after"]["time_limit"] <= 0.6 and summary["after"]["faults"] >= 1
    # every candidate (and the final run) set up, killed and tore down a real store
    ran = [s.events for s in LAST[before:] if s.events]
    assert len(ran) == summary["runs"] + 1
    assert all(e[0] == "setup" and e[-1] == "teardown" for e in ran)
    assert any(e.startswith("kill ") for e in ran[-1])
    with open(out / "test.json", encoding="utf-8") as f:
        assert json.load(f)["stats"]["real"] is True
