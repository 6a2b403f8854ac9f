"""The bank workload on the isolation levels: read skew (DDIA fig. 7-6) below SI, none at SI+."""

from __future__ import annotations

import random

import pytest

from checkers import get_checker
from ddialab.runner import TestSpec, simulate
from workloads import get_workload


def bank(system: str, seed: int) -> dict[str, object]:
    spec = TestSpec(system=system, workload="bank", seed=seed, time_limit=2.0, rate=100.0)
    history = simulate(spec).history
    name, options = get_workload("bank").checkers({})["bank"]
    result = dict(get_checker(name)(history, options))
    result["transfers"] = sum(1 for op in history if op.f == "transfer" and op.type == "ok")
    return result


@pytest.mark.parametrize("system", ["txn-read-uncommitted", "txn-read-committed"])
def test_weak_levels_lose_or_skew_money(system: str) -> None:
    result = bank(system, 1)
    assert result["anomaly_types"] == ["wrong-total"]


@pytest.mark.parametrize("system", ["txn-snapshot-isolation", "txn-2pl", "txn-ssi"])
def test_snapshot_and_serializable_levels_conserve_money(system: str) -> None:
    result = bank(system, 1)
    assert result["valid"] is True, result["anomaly_types"]
    assert result["reads"] > 50
    assert result["transfers"] > 50


def test_generator_ops() -> None:
    gen = get_workload("bank").generator(random.Random(1), {"read_ratio": 0.5})
    ops = [gen() for _ in range(50)]
    assert {op["f"] for op in ops} == {"read", "transfer"}
    for op in ops:
        assert (op["accounts"], op["initial"]) == (5, 20)
        if op["f"] == "transfer":
            v = op["value"]
            assert v["from"] != v["to"] and 1 <= v["amount"] <= 5


def test_indivisible_total_is_refused() -> None:
    with pytest.raises(ValueError):
        get_workload("bank").checkers({"accounts": 3, "total": 100})
