"""Dual writes vs change data capture: the issue's acceptance runs, and the view's apply.

Dual writes race and leave the view permanently divergent (caught with the racing writes
as witness, no faults needed); CDC converges under crashes of the view and of the
connector (replays: at-least-once with idempotent apply), and its staleness is measured.
"""

from __future__ import annotations

from typing import Any

import pytest

from checkers.derived import check_view
from ddialab.runner import TestSpec, simulate
from systems.derived import ViewState

#: crash the view consumer, then the CDC connector, each restarted after a while
CRASHES = {
    "events": [
        {"time": 1.5, "f": "kill", "value": ["view"]},
        {"time": 2.5, "f": "start", "value": None},
        {"time": 3.5, "f": "kill", "value": ["cdc"]},
        {"time": 4.0, "f": "start", "value": None},
    ]
}


def _run(system: str, seed: int, crashes: bool = True) -> dict[str, Any]:
    spec = TestSpec(
        system=system, workload="derived-view", seed=seed, time_limit=6, concurrency=4,
        rate=60, quiesce=2, nemesis=["kill"] if crashes else [],
        schedule=CRASHES if crashes else None,
    )  # fmt: skip
    return check_view(simulate(spec).history, {})


@pytest.mark.parametrize("system", ["derived-cdc", "derived-cdc-rebuild"])
@pytest.mark.parametrize("seed", [0, 1])
def test_cdc_converges_under_consumer_and_connector_crashes(system: str, seed: int) -> None:
    r = _run(system, seed)
    assert r["valid"] is True, r["anomalies"]
    lag = r["lag"]
    assert lag["samples"] > 50 and lag["stale_reads"] > 0
    assert lag["max_ns"] >= 50_000_000  # the connector was down for 0.5 s: reads lagged


def test_dual_writes_diverge_for_good_with_the_racing_writes_as_witness() -> None:
    r = _run("derived-dual-writes", seed=0, crashes=False)
    assert r["valid"] is False and "divergence" in r["anomaly_types"]
    w = r["anomalies"]["divergence"][0]
    assert w["racing"] is True
    src, view = w["source_write"], w["view_write"]
    # crossed: the source's winner wrote the source last, the view's winner the view last
    assert src["steps"]["source"] > view["steps"]["source"]
    assert view["steps"]["view"] > src["steps"]["view"]
    assert "raced" in w["explanation"]


def test_non_idempotent_apply_counts_replayed_changes_twice() -> None:
    r = _run("derived-cdc-non-idempotent", seed=0)
    assert r["anomaly_types"] == ["aggregate-mismatch"]
    w = r["anomalies"]["aggregate-mismatch"][0]
    assert w["view_writes"] > w["source_writes"]


def test_view_state_skips_replayed_changes_only_when_idempotent() -> None:
    for idempotent, expected in ((True, 2), (False, 4)):
        view = ViewState(idempotent)
        for lsn, v in [(1, "a"), (2, "b"), (1, "a"), (2, "b")]:  # a replayed suffix
            view.apply(lsn, "k", v)
        assert view.cache == {"k": "b"} and view.versions == {"k": expected}
    view = ViewState()
    view.apply(1, "x", 5)
    view.apply(2, "y", 5)
    assert view.dump()["index"] == [[5, ["x", "y"]]]


#: crash the source, then the broker, then the view and the connector together
EVERY_NODE = {
    "events": [
        {"time": 1.0, "f": "kill", "value": ["db"]},
        {"time": 1.6, "f": "start", "value": None},
        {"time": 2.5, "f": "kill", "value": ["broker"]},
        {"time": 3.2, "f": "start", "value": None},
        {"time": 4.0, "f": "kill", "value": ["view", "cdc"]},
        {"time": 4.5, "f": "start", "value": None},
    ]
}


@pytest.mark.parametrize("system", ["derived-cdc", "derived-cdc-rebuild"])
def test_cdc_converges_when_every_node_crashes_and_under_mixed_faults(system: str) -> None:
    spec = TestSpec(
        system=system, workload="derived-view", nemesis=["kill"], seed=0, time_limit=6,
        concurrency=4, rate=60, quiesce=2, schedule=EVERY_NODE,
    )  # fmt: skip
    r = check_view(simulate(spec).history, {})
    assert r["valid"] is True, r["anomalies"]
    mixed = TestSpec(
        system=system, workload="derived-view", nemesis=["kill", "partition", "pause"],
        seed=1, time_limit=8, quiesce=3,
    )  # fmt: skip
    r = check_view(simulate(mixed).history, {})
    assert r["valid"] is True, r["anomalies"]
