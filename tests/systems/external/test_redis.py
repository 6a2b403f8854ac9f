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
