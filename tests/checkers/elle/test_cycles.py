"""Cycle search: classification, budgets (never a false pass), SCC handling."""

from __future__ import annotations

from checkers.elle import check
from checkers.elle._cycles import classify, collapse_time
from checkers.elle._scc import nontrivial_sccs
from checkers.elle._txns import PROCESS, REALTIME, RW, WR, WW
from checkers.elle.synth import synth_history

from ._helpers import concurrent, hist


def test_classify_like_elle():
    assert classify([(0, 1, WW), (1, 0, WW)], 9) == "G0"
    assert classify([(0, 1, WW), (1, 0, WR)], 9) == "G1c"
    assert classify([(0, 1, RW), (1, 0, WR)], 9) == "G-single"
    assert classify([(0, 1, RW), (1, 2, WR), (2, 3, RW), (3, 0, WR)], 9) == "G-nonadjacent"
    assert classify([(0, 1, RW), (1, 2, RW), (2, 0, WR)], 9) == "G2-item"
    assert classify([(0, 1, RW), (1, 0, RW)], 9) == "G2-item"
    assert classify([(0, 1, RW), (1, 0, PROCESS)], 9) == "G-single-process"
    # a walk through time node 9 collapses into one realtime step
    assert classify([(0, 9, REALTIME), (9, 1, REALTIME), (1, 0, RW)], 9) == "G-single-realtime"


def test_collapse_time_when_the_walk_starts_inside_a_time_run():
    steps = [(9, 10, REALTIME), (10, 1, REALTIME), (1, 0, WW), (0, 9, REALTIME)]
    assert collapse_time(steps, 9) == [(0, 1, REALTIME), (1, 0, WW)]


def test_tarjan_finds_nontrivial_components():
    enc = [[1 << 5 | WW], [2 << 5 | WW], [0 << 5 | WW, 3 << 5 | WW], []]
    assert [sorted(c) for c in nontrivial_sccs(enc)] == [[0, 1, 2]]


def test_time_limit_never_passes_falsely():
    h, _ = synth_history(300, ["G-single", "G2-item", "G0-realtime"], seed=4)
    full = check(h, {})
    assert full["valid"] is False
    r = check(h, {"time_limit": 0})
    assert r["valid"] is False  # the fallback cycles still prove invalidity
    assert r["incomplete"]


def test_time_limit_gives_unknown_when_nothing_forbidden_was_proven():
    h = hist(
        *concurrent(
            (0, [["r", "x", []], ["append", "y", 1]]), (1, [["r", "y", []], ["append", "x", 1]])
        )
    )
    assert check(h, {"consistency_model": "snapshot-isolation"})["valid"] is True
    r = check(h, {"consistency_model": "snapshot-isolation", "time_limit": 0})
    assert r["valid"] == "unknown"
    assert "ran out of time" in r["reason"]
    assert r["anomaly_types"] == ["G2-item"]


def test_one_witness_per_scc_and_weakest_type_first():
    h, _ = synth_history(200, ["G-single", "G-single", "G0"], seed=5)
    r = check(h, {})
    assert r["anomaly_types"] == ["G-single", "G0"]
    assert len(r["anomalies"]["G-single"]) == 2


def test_closed_walks_split_into_simple_cycles():
    from checkers.elle._cycles import simple_cycles_of

    walk = [(0, 1, RW), (1, 2, WR), (2, 1, WR), (1, 0, WR)]
    assert simple_cycles_of(walk) == [[(1, 2, WR), (2, 1, WR)], [(0, 1, RW), (1, 0, WR)]]
