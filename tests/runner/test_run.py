"""End-to-end runs on the simulated world: determinism, run directories, verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddialab.history import read_history
from ddialab.runner import TestSpec, recheck, run, simulate


def _spec(**kw: object) -> TestSpec:
    base: dict[str, object] = {
        "system": "single-node",
        "workload": "register",
        "nemesis": ["partition", "kill"],
        "seed": 7,
        "time_limit": 5.0,
    }
    base.update(kw)
    return TestSpec(**base)  # type: ignore[arg-type]


def test_same_seed_gives_byte_identical_history(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    simulate(_spec(), str(a))
    simulate(_spec(), str(b))
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes()) > 1000


def test_different_seeds_give_different_histories(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    simulate(_spec(seed=1), str(a))
    simulate(_spec(seed=2), str(b))
    assert a.read_bytes() != b.read_bytes()


def test_run_writes_a_complete_run_directory(tmp_path: Path) -> None:
    result = run(_spec(), out=str(tmp_path / "run"))
    d = Path(result.run_dir)
    assert {p.name for p in d.iterdir()} >= {"history.jsonl", "test.json", "results.json"}
    test = json.loads((d / "test.json").read_text())
    assert test["spec"]["seed"] == 7
    assert test["replay"].startswith("ddialab run --system single-node --workload register")
    assert test["stats"]["network"]["sent"] > 0
    results = json.loads((d / "results.json").read_text())
    assert results["valid"] is True
    assert results["checkers"]["register-simple"]["valid"] is True
    history = read_history(d)
    assert len(history) == result.ops
    assert {op.f for op in history.nemesis_ops()} >= {"start-partition", "kill", "start"}


def test_history_follows_the_contract(tmp_path: Path) -> None:
    outcome = simulate(_spec(seed=3))
    h = outcome.history
    pairs = h.pairs()
    times = [op.time for op in h]
    assert times == sorted(times)
    for op in h:
        if op.type != "invoke":
            assert pairs[op.index] >= 0, f"completion {op.index} has no invocation"
    # a process whose op ended in info never invokes again
    retired = set()
    for op in h:
        if op.process == "nemesis":
            continue
        assert op.process not in retired or op.type != "invoke"
        if op.type == "info":
            retired.add(op.process)
    assert any(op.type == "info" for op in h.client_ops()), "faults should cause info ops"


def test_final_reads_happen_after_healing(tmp_path: Path) -> None:
    h = simulate(_spec()).history
    finals = [op for op in h if op.extra.get("final")]
    assert finals
    last_heal = max(op.index for op in h.nemesis_ops())
    assert min(op.index for op in finals) > last_heal
    assert all(op.type == "ok" for op in finals if op.type != "invoke")


def test_recheck_reproduces_results(tmp_path: Path) -> None:
    result = run(_spec(), out=str(tmp_path / "run"))
    again = recheck(result.run_dir)
    assert again["valid"] == result.results["valid"]


@pytest.mark.parametrize("seed", range(3))
def test_ack_before_fsync_loses_writes_under_kill(seed: int) -> None:
    """The named unsafe single node is caught: a crash loses acknowledged writes."""
    from checkers import get_checker

    spec = _spec(
        system="single-node-ack-before-fsync",
        nemesis=["kill"],
        seed=seed,
        time_limit=10.0,
        rate=100.0,
        nemesis_interval=1.0,
    )
    h = simulate(spec).history
    result = get_checker("linearizable")(
        h, {"model": "cas-register", "independent": True, "init": None}
    )
    assert result["valid"] is False


def test_record_messages_writes_the_network_log(tmp_path: Path) -> None:
    result = run(_spec(record_messages=True, time_limit=2.0), out=str(tmp_path / "run"))
    lines = (Path(result.run_dir) / "messages.jsonl").read_text().splitlines()
    log = [json.loads(line) for line in lines]
    assert set(log[0]) == {"id", "src", "dst", "type", "sent", "at", "outcome"}
    stats = json.loads((Path(result.run_dir) / "test.json").read_text())["stats"]["network"]
    assert sum(e["outcome"] == "delivered" for e in log) == stats["delivered"]
    assert sum(e["outcome"] != "delivered" for e in log) == stats["dropped"]


def test_replay_command_reproduces_the_history(tmp_path: Path) -> None:
    import shlex

    from ddialab.cli import main

    spec = _spec(seed=11, time_limit=3.0, nemesis_interval=0.7, op_timeout=0.3)
    first = run(spec, out=str(tmp_path / "a"))
    replay = json.loads((Path(first.run_dir) / "test.json").read_text())["replay"]
    argv = [*shlex.split(replay)[1:], "--out", str(tmp_path / "b")]
    assert main(argv) in (0, 1, 4)
    a = (tmp_path / "a" / "history.jsonl").read_bytes()
    assert a == (tmp_path / "b" / "history.jsonl").read_bytes()


def _count_worker_tasks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from ddialab.runner import _interpreter

    seen: list[str] = []
    work = _interpreter.Interpreter._work

    async def counted(self: Any, thread: Any, op: dict[str, Any]) -> None:
        seen.append(op["type"])
        await work(self, thread, op)

    monkeypatch.setattr(_interpreter.Interpreter, "_work", counted)
    return seen


def test_simulated_client_and_nemesis_ops_run_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the inline path of simulated runs: with an inline-safe client (KVClient) no
    client or nemesis op gets a worker task -- only the quiesce sleep does -- while the
    history still has every op completed (the speed of the simulator rests on this)."""
    seen = _count_worker_tasks(monkeypatch)
    history = simulate(_spec(time_limit=2.0)).history
    invokes = [op for op in history if op.type == "invoke"]
    assert len(invokes) > 100
    assert len([op for op in history if op.type != "invoke"]) == len(invokes)
    assert seen == ["sleep"]


def test_a_client_that_is_not_inline_safe_runs_as_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the fallback: a client class that does not declare ``sim_inline`` itself
    (a subclass of KVClient) gets a worker task per op and the run still completes;
    nemesis ops stay inline."""
    from systems import KVClient
    from systems.single import SingleNodeSystem

    class Undeclared(KVClient):
        pass

    def client(self: Any, world: Any, process: int) -> KVClient:
        return Undeclared(world, f"c{process}", self.settings.timeout_ns)

    monkeypatch.setattr(SingleNodeSystem, "client", client)
    seen = _count_worker_tasks(monkeypatch)
    history = simulate(_spec(time_limit=2.0)).history
    invokes = [op for op in history if op.type == "invoke"]
    client_invokes = [op for op in invokes if op.process != "nemesis"]
    assert len(client_invokes) > 100
    assert len([op for op in history if op.type != "invoke"]) == len(invokes)
    assert seen.count("invoke") == len(client_invokes)


def test_an_infinite_op_timeout_runs_inline_without_an_expiry() -> None:
    """Guards the inline op timeout's conversion: ``--op-timeout inf`` is a valid spec (as
    it was for the task path's cancel scope) and must not overflow into a traceback."""
    history = simulate(_spec(time_limit=1.0, op_timeout=float("inf"))).history
    assert len([op for op in history if op.type == "invoke"]) > 50
