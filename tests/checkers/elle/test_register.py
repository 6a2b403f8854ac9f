"""rw-register: version inference (initial state, writes-follow-reads, explicit order)."""

from __future__ import annotations

import pytest

from checkers.elle import check
from ddialab.errors import HistoryFormatError, UsageError
from ddialab.history import History, Op, dumps_op, read_history

from ._helpers import concurrent, hist, txn

RW = {"model": "rw-register"}


def test_read_skew_explained():
    h = hist(
        *concurrent((0, [["w", "x", 1], ["w", "y", 1]]), (1, [["r", "x", 1], ["r", "y", None]]))
    )
    r = check(h, RW)
    assert r["anomaly_types"] == ["G-single"]
    assert r["anomalies"]["G-single"][0]["explanation"] == (
        "T1 < T2 because T2 read key x = 1, written by T1; "
        "T2 < T1 because T2 read key y = nil, which T1 overwrote with 1: "
        "a contradiction (T1 = op 2, T2 = op 3)"
    )


def test_writes_follow_reads_orders_versions_and_lost_update():
    h = hist(
        *concurrent((0, [["r", "x", None], ["w", "x", 1]]), (1, [["r", "x", None], ["w", "x", 2]]))
    )
    r = check(h, RW)
    assert r["anomaly_types"] == ["G2-item", "lost-update"]


def test_wfr_keys_is_an_assumption_off_by_default():
    """Guards wfr_keys: T2 read x = 1 then wrote 2; only if writes follow reads is
    1 < 2, making T3's read of x = 1 beside T2's y a G-single.  Off (Elle's default),
    nothing orders 1 and 2."""
    h = hist(
        *txn(0, [["w", "x", 1]]),
        *concurrent(
            (1, [["r", "x", 1], ["w", "x", 2], ["w", "y", 1]]),
            (2, [["r", "x", 1], ["r", "y", 1]]),
        ),
    )
    assert check(h, RW)["valid"] is True
    r = check(h, {**RW, "wfr_keys": True})
    assert r["anomaly_types"] == ["G-single"]


def test_cyclic_versions():
    """Guards that a source making a key cyclic is reported (with the sources) and left
    out, while wr edges stay: each txn read the other's write, a G1c as Elle finds it."""
    h = hist(*concurrent((0, [["r", "x", 1], ["w", "x", 2]]), (1, [["r", "x", 2], ["w", "x", 1]])))
    r = check(h, {**RW, "wfr_keys": True})
    assert r["anomaly_types"] == ["G1c", "cyclic-versions"]
    assert r["anomalies"]["cyclic-versions"][0]["sources"] == ["initial-state", "wfr-keys"]
    assert r["anomalies"]["cyclic-versions"][0]["explanation"] in (
        "key x has a cyclic version order: 1 < 2 < 1 (from initial-state, wfr-keys)",
        "key x has a cyclic version order: 2 < 1 < 2 (from initial-state, wfr-keys)",
    )
    assert r["not"] == ["read-uncommitted"]
    assert check(h, RW)["anomaly_types"] == ["G1c"]


def test_explicit_version_order_from_the_system_under_test():
    # Without an order, two blind writes and a read of the first are fine.
    rows = [*concurrent((0, [["w", "x", 1]]), (1, [["w", "x", 2]])), *txn(2, [["r", "x", 1]])]
    assert check(hist(*rows), RW)["valid"] is True
    # If the database says x went 1 -> 2, the later read of 1 is stale in real time.
    ops = [Op(i, i, t, p, "txn", v) for i, (t, p, v) in enumerate(rows)]
    ops[-1].extra["version_order"] = [["x", [1, 2]]]
    r = check(History(ops), RW)
    assert r["anomaly_types"] == ["G-single-realtime"]


def test_g1a_g1b_internal_and_unknown_reads():
    h = hist(
        *txn(0, [["w", "x", 1]], "fail"),
        *concurrent(
            (1, [["r", "x", 1]]),
            (2, [["w", "y", 1], ["w", "y", 2]]),
            (3, [["r", "y", 1]]),
            (4, [["w", "z", 1], ["r", "z", 2]]),
            (5, [["r", "q", 42]]),
        ),
    )
    r = check(h, RW)
    assert r["anomaly_types"] == ["G1a", "G1b", "internal"]
    assert r["anomalies"]["internal"][0]["explanation"] == (
        "op 10 read key z = 2, but its own earlier micro-ops imply 1"
    )


def test_corpus_style_unknown_read_is_not_flagged():
    h = hist(*txn(0, [["w", "x", 2]]), *txn(0, [["r", "x", 3]]), *txn(0, [["r", "x", 2]]))
    assert check(h, RW)["valid"] is True


def test_unknown_workload_model():
    with pytest.raises(UsageError, match="unknown elle model 'set'"):
        check(hist(), {"model": "set"})
    with pytest.raises(UsageError, match="unknown consistency model"):
        check(hist(), {"consistency_model": "serialisable"})


@pytest.mark.parametrize("bad", [1, [["x", 1]], [["x"]], [[{"k": 1}, [1]]], [["x", [[1]]]]])
def test_a_malformed_version_order_is_bad_input_not_a_traceback(tmp_path, bad):
    """Guards the check of the ``version_order`` extra: anything but ``[[k, [v, ...]],
    ...]`` once crashed the analysis (TypeError); now exit 3 names file, line and shape."""
    ops = [
        Op(0, 0, "invoke", 0, "txn", [["w", "x", 1]]),
        Op(1, 1, "ok", 0, "txn", [["w", "x", 1]], extra={"version_order": bad}),
    ]
    path = tmp_path / "h.jsonl"
    path.write_text("".join(dumps_op(op) + "\n" for op in ops), encoding="utf-8")
    with pytest.raises(HistoryFormatError, match=r"h\.jsonl:2: op 1 .*version_order must be"):
        check(read_history(path), {"model": "rw-register"})
