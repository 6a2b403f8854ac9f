"""Redis: a single node is linearizable; reads from an async replica are stale."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

SPEC = {"workload": "register", "time_limit": 2.0, "concurrency": 6, "rate": 300.0,
        "quiesce": 0.1, "op_timeout": 2.0}  # fmt: skip


@pytest.fixture(autouse=True)
def _redis(real: Any) -> None:
    real.require("redis", "pip install redis (or: pip install -e '.[external]')")


def stale_reads(run_dir: str) -> list[dict[str, Any]]:
    """ok reads of a value overwritten (by an ok write invoked after it completed) before
    the read began: no linearizable register returns those."""
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    invoked = {}
    writes: dict[Any, list[tuple[Any, int, int]]] = {}  # key -> (value, invoke, complete)
    reads = []
    for op in ops:
        if op["type"] == "invoke":
            invoked[op["process"]] = op["time"]
        elif op["type"] == "ok" and op["f"] in ("write", "cas"):
            k, v = op["value"]
            new = v[1] if op["f"] == "cas" else v
            writes.setdefault(k, []).append((new, invoked[op["process"]], op["time"]))
        elif op["type"] == "ok" and op["f"] == "read":
            reads.append((op, invoked[op["process"]]))
    stale = []
    for op, start in reads:
        k, v = op["value"]
        done_v = [w for w in writes.get(k, []) if w[0] == v]
        if not done_v:
            continue
        after = [w for w in writes[k] if w[1] > done_v[0][2] and w[2] < start]
        if after:
            stale.append(op)
    return stale


def test_single_node_is_linearizable(real: Any) -> None:
    r = real.run(system="redis", **SPEC)
    assert r.valid is True, r.results
    assert not stale_reads(r.run_dir)


def test_replica_reads_are_stale_and_not_linearizable(real: Any) -> None:
    r = real.run(system="redis-replica", **SPEC)
    lin = r.results["checkers"]["linearizable"]
    assert lin["valid"] is False and "nonlinearizable" in lin["anomaly_types"], lin
    assert stale_reads(r.run_dir)
    assert os.path.exists(os.path.join(r.run_dir, "logs", "replica.log"))


def nemesis_ops(run_dir: str) -> list[dict[str, Any]]:
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    return [op for op in ops if op["process"] == "nemesis" and op["type"] == "info"]


def test_single_node_survives_kill_and_pause_with_every_acknowledged_write(real: Any) -> None:
    """Guards the Redis kill/pause abilities and AOF durability: the server is SIGKILLed
    and restarted on its data (the durability checker must run, over durable writes, and
    find nothing lost), paused and resumed, and stays linearizable."""
    spec = {**SPEC, "time_limit": 4.0, "op_timeout": 0.5, "nemesis_interval": 0.5}
    r = real.run(system="redis", nemesis=["kill", "pause"], **spec)
    assert r.valid is True, r.results
    durability = r.results["checkers"]["durability"]
    assert durability["valid"] is True and durability["durable_writes"] > 0, durability
    assert durability["crashes"] >= 1, durability
    done = {op["f"] for op in nemesis_ops(r.run_dir)}
    assert {"kill", "start", "pause", "resume"} <= done, done


@pytest.mark.parametrize("package", ["kill-primary", "kill", "pause"])
def test_replica_pair_under_process_faults(real: Any, package: str) -> None:
    """Guards kill/pause of either Redis node (``kill-primary`` targets the primary): the
    faulted node comes back (the replica resyncs) and ops succeed after the heal."""
    spec = {**SPEC, "time_limit": 3.0, "op_timeout": 0.5, "nemesis_interval": 0.5}
    r = real.run(system="redis-replica", nemesis=[package], seed=2, **spec)
    victims = [op["value"] for op in nemesis_ops(r.run_dir) if op["f"] in ("kill", "pause")]
    assert victims and all(v in (["primary"], ["replica"]) for v in victims), victims
    if package == "kill-primary":
        assert all(v == ["primary"] for v in victims), victims
    finals = [op for op in read_ops(r.run_dir) if op.get("final")]
    assert finals and all(op["type"] == "ok" for op in finals), finals


def read_ops(run_dir: str) -> list[dict[str, Any]]:
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        return [op for op in map(json.loads, f) if op["type"] != "invoke"]
