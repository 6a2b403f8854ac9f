"""rw-register version-order assumptions: wfr_keys, sequential_keys, linearizable_keys.

The first two cases are Elle's own (test/elle/rw_register_test.clj, ``checker-test``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.elle import check
from checkers.elle._txns import collect
from checkers.versions import Graphs, _Ends, _relate, linearizable_graphs
from ddialab.cli import main

from ._helpers import hist, txn

RW = {"model": "rw-register"}


def test_elle_g0_needs_sequential_keys() -> None:
    """Elle's G0 case: x and y written in opposite orders by two processes, each then
    reading the other's value.  Guards sequential_keys (process order orders versions)
    and that it is off by default."""
    h = hist(
        *txn(0, [["w", "x", 1], ["w", "y", 2]]),
        *txn(1, [["w", "x", 2], ["w", "y", 1]]),
        *txn(0, [["r", "x", 2]]),
        *txn(1, [["r", "y", 2]]),
    )
    assert check(h, {**RW, "consistency_model": "read-uncommitted"})["valid"] is True
    r = check(h, {**RW, "consistency_model": "read-uncommitted", "sequential_keys": True})
    assert r["valid"] is False and r["anomaly_types"] == ["G0"]
    steps = r["anomalies"]["G0"][0]["steps"]
    assert {(s["key"], s["value"], s["value2"]) for s in steps} == {("x", 1, 2), ("y", 1, 2)}


def test_elle_linearizable_keys_read_returns_what_was_just_written() -> None:
    """Elle's 'Read read returns what was just been written': w x 1, then r x 2, then
    r x 1, one after another.  Guards linearizable_keys: real time orders 1 < 2 < 1, a
    cyclic version order naming its sources; without the option, nothing is wrong."""
    h = hist(*txn(0, [["w", "x", 1]]), *txn(1, [["r", "x", 2]]), *txn(2, [["r", "x", 1]]))
    assert check(h, RW)["valid"] is True
    r = check(h, {**RW, "linearizable_keys": True})
    assert r["anomaly_types"] == ["cyclic-versions"]
    w = r["anomalies"]["cyclic-versions"][0]
    assert w["sources"] == ["initial-state", "linearizable-keys"]
    assert set(w["cycle"]) == {1, 2}


def test_linearizable_keys_orders_versions_for_rw_edges() -> None:
    """Guards that real-time version order yields rw edges: after w x 1 completes, w x 2
    runs concurrently with a read of x = 1 that also sees the writer's y: a G-single.
    Run after the writer instead, the stale read contradicts real time on x itself."""
    concurrent_read = hist(
        *txn(0, [["w", "x", 1]]),
        ("invoke", 1, [["w", "x", 2], ["w", "y", 1]]),
        ("invoke", 2, [["r", "x", None], ["r", "y", None]]),
        ("ok", 1, [["w", "x", 2], ["w", "y", 1]]),
        ("ok", 2, [["r", "x", 1], ["r", "y", 1]]),
    )
    opts = {**RW, "consistency_model": "serializable"}
    assert check(concurrent_read, opts)["valid"] is True
    lin = {**opts, "linearizable_keys": True}
    assert check(concurrent_read, lin)["anomaly_types"] == ["G-single"]
    later_read = hist(
        *txn(0, [["w", "x", 1]]),
        *txn(1, [["w", "x", 2], ["w", "y", 1]]),
        *txn(2, [["r", "x", 1], ["r", "y", 1]]),
    )
    assert check(later_read, lin)["anomaly_types"] == ["cyclic-versions"]


def test_sequential_keys_ignores_real_time_across_processes() -> None:
    """Guards that sequential_keys uses process order only: the same serial-looking
    history on three processes orders nothing."""
    h = hist(
        *txn(0, [["w", "x", 1]]),
        *txn(1, [["w", "x", 2], ["w", "y", 1]]),
        *txn(2, [["r", "x", 1], ["r", "y", 1]]),
    )
    opts = {**RW, "consistency_model": "serializable", "sequential_keys": True}
    assert check(h, opts)["valid"] is True


def _brute_linearizable(h: Any) -> Graphs:
    """Oracle: relate a -> b for every key both touch when a completed before b was
    invoked and no txn touching the key lies strictly between them in real time."""
    g, _ = collect(h, process=False, realtime=False)
    txns = [t for t in g.txns if t.invoke >= 0]
    ends = _Ends(g.txns)
    graphs: Graphs = {}

    def before(a: Any, b: Any) -> bool:
        return a.complete is not None and a.complete < b.invoke

    for a in txns:
        for b in txns:
            for k in ends.keys(a.id) & ends.keys(b.id):
                if before(a, b) and not any(
                    k in ends.keys(c.id) and before(a, c) and before(c, b) for c in txns
                ):
                    _relate(graphs, ends, a.id, b.id, k)
    return graphs


@st.composite
def _register_histories(draw: Any) -> Any:
    n = draw(st.integers(1, 7))
    mops = [
        draw(
            st.lists(
                st.tuples(st.sampled_from("rw"), st.sampled_from("xy"), st.integers(0, 2)),
                min_size=1,
                max_size=3,
            )
        )
        for _ in range(n)
    ]
    # Each txn appears twice: its first appearance is the invocation, the second the ok.
    order = draw(st.permutations([i for i in range(n) for _ in (0, 1)]))
    rows = []
    seen: set[int] = set()
    for i in order:
        m = [[f, k, v * 10 + i if f == "w" else v] for f, k, v in mops[i]]
        if i in seen:
            rows.append(("ok", i, m))
        else:
            seen.add(i)
            rows.append(("invoke", i, m))
    return hist(*rows)


@given(_register_histories())
def test_linearizable_frontier_matches_the_brute_force_reduction(h: Any) -> None:
    """Property: the frontier's version edges equal the O(n^3) definition; guards the
    reduction (too few edges miss anomalies, too many mislabel cycles)."""
    g, _ = collect(h, process=False, realtime=False)
    assert linearizable_graphs(g.txns) == _brute_linearizable(h)


@pytest.mark.parametrize("flag", ["--wfr-keys", "--sequential-keys", "--linearizable-keys"])
def test_cli_flags_reach_the_checker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    """Guards each CLI flag: the history is valid without it, invalid with exactly the
    assumption that orders its versions."""
    p = tmp_path / "h.jsonl"
    cases = {
        "--wfr-keys": [
            *txn(0, [["w", "x", 1]]),
            ("invoke", 1, [["r", "x", None], ["w", "x", 2], ["w", "y", 1]]),
            ("invoke", 2, [["r", "x", None], ["r", "y", None]]),
            ("ok", 1, [["r", "x", 1], ["w", "x", 2], ["w", "y", 1]]),
            ("ok", 2, [["r", "x", 1], ["r", "y", 1]]),
        ],
        "--sequential-keys": [
            *txn(0, [["w", "x", 1], ["w", "y", 2]]),
            *txn(1, [["w", "x", 2], ["w", "y", 1]]),
            *txn(0, [["r", "x", 2]]),
            *txn(1, [["r", "y", 2]]),
        ],
        "--linearizable-keys": [
            *txn(0, [["w", "x", 1]]),
            *txn(1, [["w", "x", 2], ["w", "y", 1]]),
            *txn(2, [["r", "x", 1], ["r", "y", 1]]),
        ],
    }
    rows = cases[flag]
    ops = [
        {"index": i, "time": i, "type": t, "process": q, "f": "txn", "value": v}
        for i, (t, q, v) in enumerate(rows)
    ]
    p.write_text("".join(json.dumps(op) + "\n" for op in ops))
    base = ["check", str(p), "-c", "elle", "--model", "rw-register"]
    base += ["--consistency-model", "serializable"]
    assert main(base) == 0
    assert main([*base, flag]) == 1
    assert "INVALID" in capsys.readouterr().out
