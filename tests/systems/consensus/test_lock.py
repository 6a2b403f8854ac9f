"""Locks with fencing tokens on Raft: no lost updates; without fencing, lost updates by seed."""

from __future__ import annotations

import pytest

from checkers import get_checker
from ddialab.history import History
from ddialab.runner import TestSpec, simulate
from systems import SYSTEMS
from systems.consensus import StateMachine
from workloads import lock


@pytest.fixture(autouse=True)
def _lock_workload(monkeypatch: pytest.MonkeyPatch) -> None:
    import workloads

    monkeypatch.setitem(workloads.WORKLOADS, "lock", lock.WORKLOAD)


def _run(system: str, seed: int, nemesis: list[str]) -> History:
    spec = TestSpec(system=system, workload="lock", nemesis=nemesis, seed=seed,
                    time_limit=6.0, rate=50.0, nemesis_interval=1.0)  # fmt: skip
    return simulate(spec).history


def test_fencing_tokens_grow_and_stale_tokens_are_refused() -> None:
    sm = StateMachine()
    first = sm.apply(5, ["acquire", "L", "a", 0, 100])
    assert first["token"] == 5
    assert sm.apply(6, ["acquire", "L", "b", 50, 100])["code"] == "lock-held"
    second = sm.apply(7, ["acquire", "L", "b", 150, 100])  # a's lease ran out
    assert second["token"] == 7
    assert sm.apply(8, ["fenced-read", "x", 7])["type"] == "ok"
    assert sm.apply(9, ["fenced-write", "x", 1, 5])["code"] == "stale-token"
    assert sm.apply(10, ["fenced-write", "x", 1, 7])["type"] == "ok"
    assert sm.apply(11, ["release", "L", "a"])["code"] == "not-holder"


def test_lock_entries_are_registered() -> None:
    assert "linearizable" in SYSTEMS["raft-lock"].claims
    assert SYSTEMS["raft-lock-unfenced"].claims == frozenset()
    assert SYSTEMS["raft-lock-unfenced"].build().claims == frozenset()
    assert "lock" in SYSTEMS["raft-lock"].workloads


@pytest.mark.parametrize(
    ("seed", "nemesis"), [(0, []), (1, ["partition", "kill", "pause", "clock"])]
)
def test_fenced_increments_are_never_lost(seed: int, nemesis: list[str]) -> None:
    h = _run("raft-lock", seed, nemesis)
    result = get_checker("counter")(h, {})
    assert result["valid"] is True
    assert result["final"]["value"] >= 30
    refused = [op for op in h.client_ops() if op.error == "stale-token"]
    assert refused, "stalled holders were fenced off"


#: ``ddialab run --system raft-lock-unfenced --workload lock --seed 0 --time-limit 6
#: --rate 50`` (no faults needed: the clients' own stalls outlive their leases)
UNFENCED_SEED = 0


def test_without_fencing_a_stalled_holder_loses_updates() -> None:
    h = _run("raft-lock-unfenced", UNFENCED_SEED, [])
    result = get_checker("counter")(h, {})
    assert result["valid"] is False
    final = result["final"]
    assert final["value"] < final["lower"], "the final count misses acknowledged increments"
