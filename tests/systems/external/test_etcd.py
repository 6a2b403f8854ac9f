"""etcd: a 3-node cluster stays linearizable under kills, pauses and peer partitions."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _httpx(real: Any) -> None:
    real.require("httpx", "pip install httpx (or: pip install -e '.[external]')")


def test_linearizable_under_partitions_kills_and_pauses(real: Any) -> None:
    r = real.run(
        system="etcd", workload="register", nemesis=["partition", "kill", "pause"],
        nemesis_interval=0.6, time_limit=6.0, concurrency=6, rate=100.0, quiesce=1.0,
    )  # fmt: skip
    assert r.valid is True, r.results
    durability = r.results["checkers"]["durability"]
    assert durability["checked_writes"] > 0, durability  # kills tested real fsynced writes
    with open(os.path.join(r.run_dir, "history.jsonl"), encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    faults = {op["f"] for op in ops if op["process"] == "nemesis"}
    assert {"start-partition", "stop-partition", "kill", "start", "pause"} <= faults, faults
    assert sum(op["type"] == "ok" and op["f"] == "write" for op in ops) > 10
    for n in ("n1", "n2", "n3"):
        assert os.path.exists(os.path.join(r.run_dir, "logs", f"{n}.log"))


def test_a_majority_keeps_writing_while_the_minority_is_cut_off(real: Any) -> None:
    """Guards per-(source, destination) peer routing: cutting n1 from n2 and n3 (and them
    from it) leaves a quorum on the majority side -- writes through n2 succeed -- while
    n1 cannot commit; before this, a partition could only cut every node from all."""
    import tempfile

    from systems.external._etcd import INSTALL, Etcd

    real.need("etcd", INSTALL)
    etcd = Etcd({"op_timeout": 1.0})
    try:
        etcd.setup(tempfile.mkdtemp(dir=real.tmp_path))
        assert set(etcd.proxy.call(lambda p: p.link("n1").identified)) == {
            etcd.member_ids["n2"],
            etcd.member_ids["n3"],
        }  # every peer connection to n1 was identified by its dialler
        etcd.cut({"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]})
        results = {}
        for node in ("n1", "n2"):
            client = etcd.client(0)
            client.open(node)
            results[node] = client.invoke({"f": "write", "value": [1, 7]})["type"]
            client.close()
        assert results == {"n1": "info", "n2": "ok"}, results
    finally:
        etcd.teardown()


def test_linearizable_under_pairwise_partitions(real: Any) -> None:
    """Guards the partition kinds on a real cluster: majorities ring, bridge and one-way
    cuts are performed (explicit grudges in the history) and etcd stays linearizable."""
    r = real.run(
        system="etcd", workload="register",
        nemesis=["partition-ring", "partition-bridge", "partition-one-way"],
        nemesis_interval=0.6, time_limit=6.0, concurrency=6, rate=100.0, quiesce=1.0,
    )  # fmt: skip
    assert r.valid is True, r.results
    with open(os.path.join(r.run_dir, "history.jsonl"), encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    kinds = {
        op["value"]["kind"]
        for op in ops
        if op["process"] == "nemesis" and op["f"] == "start-partition" and op["type"] == "info"
    }
    assert kinds == {"majorities-ring", "bridge", "one-way"}, kinds
