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
    with open(os.path.join(r.run_dir, "history.jsonl"), encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    faults = {op["f"] for op in ops if op["process"] == "nemesis"}
    assert {"start-partition", "stop-partition", "kill", "start", "pause"} <= faults, faults
    assert sum(op["type"] == "ok" and op["f"] == "write" for op in ops) > 10
    for n in ("n1", "n2", "n3"):
        assert os.path.exists(os.path.join(r.run_dir, "logs", f"{n}.log"))
