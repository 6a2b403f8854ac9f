"""The term-partitioned index: maintenance through updates and deletes, async vs sync."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from ddialab.runner import TestSpec, simulate
from systems import SYSTEMS
from systems.partitioning import claims_for
from systems.partitioning._termindex import apply, changes, members, versioned


def test_entries_claim_index_consistency_only_when_atomic() -> None:
    """Guards the claims the matrix compares: async and non-atomic name the hazard (with a
    scenario for it), the 2PC variant claims it."""
    sync, lazy = SYSTEMS["partitioned-term-index-sync"], SYSTEMS["partitioned-term-index-async"]
    half = SYSTEMS["partitioned-term-index-sync-nonatomic"]
    assert sync.claims == {"index-consistency"} == claims_for(sync.defaults)
    assert lazy.claims == half.claims == frozenset() and not sync.hazards
    assert lazy.hazards == half.hazards == ("index-consistency",)
    assert [s.hazard for s in half.scenarios] == ["index-consistency"]
    assert sync.workloads == lazy.workloads == half.workloads == ("term-index",)


def test_a_recolour_removes_the_old_entry_and_a_delete_removes_the_last() -> None:
    """Guards entry maintenance: updates move, deletes remove, tombstones keep versions."""
    v1 = versioned(None, {"color": "red"})
    v2 = versioned(v1, {"color": "blue"})
    v3 = versioned(v2, None)
    assert changes(None, v1, 5) == [["red", 5, 1, True]]
    assert changes(v1, v2, 5) == [["red", 5, 2, False], ["blue", 5, 2, True]]
    assert changes(v2, v3, 5) == [["blue", 5, 3, False]] and v3 == {"color": None, "v": 3}
    assert changes(v1, versioned(v1, {"color": "red"}), 5) == []


writes = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["red", "blue", None])), max_size=12)


@given(writes, st.randoms(use_true_random=False))
def test_changes_in_any_order_and_duplicated_converge_to_the_data(
    script: list[tuple[int, str | None]], rnd: Any
) -> None:
    """Property: whatever order (and how often) term owners receive the changes, the index
    lists exactly the documents whose latest write gave them the term."""
    docs: dict[int, Any] = {}
    sent: list[list[Any]] = []
    for doc, color in script:
        new = versioned(docs.get(doc), {"color": color} if color else None)
        sent += changes(docs.get(doc), new, doc)
        docs[doc] = new
    delivered = sent + rnd.sample(sent, len(sent) // 2)
    rnd.shuffle(delivered)
    index: dict[str, Any] = {}
    for change in delivered:
        index[change[0]] = apply(index.get(change[0]), change)
    for term in ("red", "blue"):
        assert members(index.get(term)) == sorted(d for d, v in docs.items() if v["color"] == term)


def run(system: str, seed: int) -> tuple[dict[str, Any], Any]:
    spec = TestSpec(system=system, workload="term-index", nemesis=["partition", "kill", "pause"],
                    seed=seed, time_limit=5.0, nemesis_interval=1.0)  # fmt: skip
    history = simulate(spec).history
    result: dict[str, Any] = get_checker("term-index")(history, {})
    return result, history


@pytest.mark.parametrize("seed", range(6))
def test_the_two_phase_commit_index_is_consistent_with_the_data(seed: int) -> None:
    """Guards term-sync (2PC) under partitions, crashes and pauses while partitions move:
    no missing, stale or phantom entry and no mixed visibility; hundreds of (query,
    document) pairs judged."""
    result, _ = run("partitioned-term-index-sync", seed)
    assert result["valid"] is True and result["judged"] > 200


def test_the_non_atomic_synchronous_index_shows_writes_half_applied() -> None:
    """Guards the checker's mixed-visibility rule against the design 2PC replaces, over
    several seeds: a write visible in one term's partition and not yet in another's; never
    a missing entry (the reply waits for every term owner)."""
    found = [run("partitioned-term-index-sync-nonatomic", seed)[0] for seed in range(6)]
    assert all(set(r["anomaly_types"]) <= {"mixed-visibility"} for r in found)
    assert sum(r["valid"] is False for r in found) >= 2
    witness = next(r for r in found if r["valid"] is False)["anomalies"]["mixed-visibility"][0]
    assert witness["first_query"] < witness["query"] and json.dumps(witness)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_asynchronous_index_lags_but_catches_up(seed: int) -> None:
    """Guards term-async and the hazard's witness: missing and stale entries while writes
    are in flight, none in the final queries after the system quiesced."""
    result, history = run("partitioned-term-index-async", seed)
    assert result["valid"] is False
    assert {"missing-entry", "stale-entry"} & set(result["anomaly_types"])
    final = {op.index for op in history if op.extra.get("final")}
    witnesses = [w for ws in result["anomalies"].values() for w in ws]
    assert final and not any(set(w["ops"]) & final for w in witnesses)
    assert json.dumps(witnesses[0])  # witnesses are data
