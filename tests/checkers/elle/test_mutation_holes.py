"""Holes found by mutation testing (issue #19): each test names the surviving mutant it kills.

Every mutation below was applied by hand, the test seen to fail, and the source restored.
Line numbers are those of the sources at the time (2026-12-04).
"""

from __future__ import annotations

import pytest

from checkers.elle import check, check_bank, check_long_fork
from checkers.elle.synth import (
    APPEND_PLANTS,
    REGISTER_PLANTS,
    clean_events,
    plant_events,
    synth_history,
)
from ddialab.errors import HistoryFormatError
from ddialab.history import History, Op

from ._helpers import concurrent, hist, txn


def _bank(*values: object, lines: bool = False) -> History:
    ops = [
        Op(i, i, "ok", i, "read", v, line=(10 + i) if lines else None) for i, v in enumerate(values)
    ]
    return History(ops, source="bank.jsonl") if lines else History(ops)


def test_bank_unknown_and_nil_accounts_are_explained():
    """Kills ``_bank.py:_read_anomalies`` ``"explanation"`` -> ``"EXPLANATION"`` (the
    unexpected-key witness lost its sentence; the report shows nothing for it)."""
    r = check_bank(_bank({"a": 10, "z": 0}, {"a": None, "b": 10}), {"accounts": ["a", "b"]})
    (w,) = r["anomalies"]["unexpected-key"]
    assert (w["op"], w["accounts"]) == (0, ["z"])
    assert w["explanation"] == "op 0 read unknown account(s) z"
    assert r["anomalies"]["nil-balance"][0]["explanation"] == (
        "op 1 read no balance for account(s) a"
    )


@pytest.mark.parametrize("bad", [[1, 2], {"a": "ten"}])
def test_bank_bad_read_names_the_file_and_line(bad: object) -> None:
    """Kills ``_bank.py:_validate`` ``op.line`` -> ``None`` (both raises): the error must
    name the file *and line* of the bad read, as every bad-input error does (exit 3)."""
    h = _bank({"a": 1}, bad, lines=True)
    with pytest.raises(HistoryFormatError) as e:
        check_bank(h, {})
    assert e.value.line == 11
    assert str(e.value).startswith("bank.jsonl:11")


def test_long_fork_with_keys_of_mixed_types_is_explained_not_a_traceback():
    """Kills ``_long_fork.py:_chain_violations`` ``min(b - a, key=repr)`` ->
    ``min(b - a)``: keys of mixed types (a string and a number, both legal keys) do not
    compare, and the checker raised ``TypeError`` on a genuine long fork."""
    h = hist(
        *txn(0, [["w", 1, 1]]),
        *txn(1, [["w", "k", 1]]),
        *txn(1, [["w", 2, 1]]),
        *txn(2, [["r", 1, 1], ["r", "k", None], ["r", 2, None]]),
        *txn(3, [["r", 1, None], ["r", "k", 1], ["r", 2, 1]]),
    )
    r = check_long_fork(h, {})
    (w,) = r["anomalies"]["long-fork"]
    assert w["ops"] == [7, 9]
    assert (w["first_saw"], w["second_saw"]) == (1, "k")  # the smallest by repr: "'k'" < "2"
    assert w["explanation"] == (
        "op 7 saw the write of key 1 but not of key k; op 9 saw the write of key k but not of key 1"
    )


def test_long_fork_skips_completions_without_micro_ops():
    """Kills ``_long_fork.py:_is_txn`` ``and bool(value) and all(...)`` ->
    ``and bool(value) or all(...)``: a ``fail``/``info`` completion with a null value (as
    Jepsen records them) raised ``TypeError``, and one with a map value was bad input."""
    h = hist(
        *txn(0, [["w", 1, 1]]),
        *txn(1, [["w", 2, 1]]),
        ("invoke", 4, [["w", 3, 1]]),
        ("info", 4, None),
        ("invoke", 5, {}),
        ("fail", 5, {}),
        *txn(2, [["r", 1, 1], ["r", 2, 1]]),
    )
    r = check_long_fork(h, {})
    assert r["valid"] is True and r["reads"] == 1


def test_long_fork_nothing_to_compare_reports_the_reads_it_saw():
    """Kills ``_long_fork.py:check_long_fork`` dropping ``reads=n`` from the unknown
    result: the count of (single-key) reads is what tells the user why nothing compared."""
    h = hist(*txn(0, [["w", 1, 1]]), *txn(1, [["r", 1, 1]]), *txn(2, [["r", 1, None]]))
    r = check_long_fork(h, {})
    assert r["valid"] == "unknown" and r["reads"] == 2
    assert r["reason"].startswith("no ok read txn of two or more keys (2 smaller read(s) among 6")


def test_an_op_without_f_and_with_a_scalar_value_is_not_a_txn():
    """Kills ``_txns.py:is_txn_op`` ``op.f in ("", "nil") and isinstance(v, list)`` ->
    ``... or ...``: an op with no ``f`` whose value is not a list of micro-ops (a nemesis-
    like record, a counter read) was taken for a txn and rejected as bad input."""
    ops = [
        Op(i, i, t, p, "txn", v)
        for i, (t, p, v) in enumerate(
            txn(0, [["append", "x", 1]]) + txn(1, [["r", "x", [1]], ["append", "y", 2]])
        )
    ]
    ops += [Op(4, 4, "invoke", 7, "", 5), Op(5, 5, "ok", 7, "", 5)]
    r = check(History(ops), {})
    assert r["valid"] is True and r["txns"] == 2


@pytest.mark.parametrize("table", [APPEND_PLANTS, REGISTER_PLANTS], ids=["append", "register"])
def test_planted_invocations_read_nil(table: dict) -> None:
    """Kills ``synth.py:_invocation`` ``f == "r"`` -> ``f == "XXrXX"``: a planted
    invocation carried its completion's read values, which no real client can know
    (Jepsen invocations read nil); writes keep their values."""
    for no, plant in enumerate(table.values()):
        events = plant_events(plant, no)
        for typ, _, mops in events:
            if typ == "invoke":
                assert all(v is None for f, _, v in mops if f == "r"), mops
                assert all(v is not None for f, _, v in mops if f != "r"), mops


def test_a_key_read_with_duplicates_yields_no_version_order():
    """Kills ``_append.py:_element_checks`` ``self.bad_keys.add(k)`` -> ``add(None)``: a
    read of x = [1 2 1] names no version order, so it must give no edges; used as one,
    it ordered T1 before T2 and T2 before T1, a spurious G0 beside the real anomaly."""
    h = hist(
        *concurrent(
            (0, [["append", "x", 1]]), (1, [["append", "x", 2]]), (2, [["r", "x", [1, 2, 1]]])
        )
    )
    r = check(h, {})
    assert r["anomaly_types"] == ["duplicate-elements"]
    assert r["anomalies"]["duplicate-elements"][0]["explanation"] == (
        "op 5 read key x = [1 2 1], containing [1] more than once"
    )


def test_a_cycle_witness_graph_names_each_txns_process():
    """Kills ``_explain.py:cycle_witness`` ``"process"`` -> ``"PROCESS"`` in the graph's
    nodes: the report draws each node with its process (an HTML report of a cycle read
    ``process`` and showed nothing)."""
    h = hist(
        *concurrent(
            (7, [["r", "x", []], ["append", "y", 1]]), (9, [["r", "y", []], ["append", "x", 1]])
        )
    )
    (w,) = check(h, {})["anomalies"]["G2-item"]
    assert w["graph"]["nodes"] == [
        {"id": "T1", "op": 2, "process": 7},
        {"id": "T2", "op": 3, "process": 9},
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_synthetic_history_keeps_every_clean_event(seed: int) -> None:
    """Kills ``synth.py:synth_history`` ``prev = 0`` -> ``prev = 1``: the first clean
    event (an invocation) was dropped, so its txn lost its real-time position; the history
    is the clean events plus each plant's events, every one of them, in order."""
    clean = clean_events(40, seed)
    h, _ = synth_history(40, ["G0", "G1a"], seed=seed)
    planted = [e for no, p in enumerate(["G0", "G1a"]) for e in plant_events(APPEND_PLANTS[p], no)]
    got = [(op.type, op.process, op.value) for op in h]
    assert len(got) == len(clean) + len(planted)
    assert [e for e in got if e[1] < 1_000_000] == [(t, p, list(m)) for t, p, m in clean]


# -- third pass (issue #19, seed-1 sample of 4331 mutants; see docs/testing.md) --------------


def test_a_cycle_witness_lists_each_txns_micro_ops() -> None:
    """Kills ``_explain.cycle_witness`` ``"value"`` -> ``"XXvalueXX"``: each txn of a
    witness carries its micro-ops, which the report prints beside the cycle."""
    t1, t2 = [["append", "x", 1], ["append", "y", 1]], [["append", "x", 2], ["append", "y", 2]]
    reads = [(2, [["r", "x", [1, 2]], ["r", "y", [2, 1]]])]
    r = check(hist(*concurrent((0, t1), (1, t2)), *concurrent(*reads)), {})
    (w,) = r["anomalies"]["G0"]
    assert sorted(map(str, (t["value"] for t in w["txns"]))) == sorted(map(str, (t1, t2)))


def test_long_fork_bad_micro_op_names_the_histories_file() -> None:
    """Kills ``_long_fork.check_long_fork`` ``getattr(history, "source", None)`` ->
    ``getattr(None, ...)``: a malformed micro-op is bad input (exit 3), and the error must
    name the file it came from as well as the line."""
    ops = [Op(0, 0, "invoke", 0, "txn", [["r", 1, None]], line=1),
           Op(1, 1, "ok", 0, "txn", [["frob", 1, 2]], line=2)]  # fmt: skip
    with pytest.raises(HistoryFormatError) as e:
        check_long_fork(History(ops, source="lf.jsonl"), {})
    assert str(e.value).startswith("lf.jsonl:2")


def test_register_reads_after_a_read_of_the_txns_own_write_are_checked() -> None:
    """Kills ``_register.RegisterAnalysis._scan_txn`` ``continue`` -> ``break``: a read of
    the txn's own write must not end the scan; the external read of an aborted write that
    follows it is G1a."""
    rows = [
        *txn(0, [["w", "y", 9]], typ="fail"),
        *txn(1, [["w", "x", 1], ["r", "x", 1], ["r", "y", 9]]),
    ]
    r = check(hist(*rows), {"model": "rw-register"})
    assert r["valid"] is False
    assert [w["op"] for w in r["anomalies"]["G1a"]] == [3]


def test_a_txn_never_completed_still_counts_as_one_that_may_have_happened() -> None:
    """Kills ``_txns._Collector.finish`` building ``None`` instead of the ``info`` txn of an
    invocation that never completed: its append may have happened, so a read of it is
    legal, not a crash."""
    rows = [("invoke", 0, [["append", "x", 1]]), *txn(1, [["r", "x", [1]]])]
    r = check(hist(*rows), {})
    assert r["valid"] is True
    assert r["anomalies"] == {}


@pytest.mark.parametrize("model", ["list-append", "rw-register"])
def test_clean_events_run_every_txn_and_retire_keys_after_max_writes(model: str) -> None:
    """Kills ``synth.clean_events`` ``started < n_txns or flight`` -> ``and`` (no events at
    all) and ``_Store.txn`` ``next_key += 1`` -> ``= 1`` (a retired key back in use, written
    more than ``max_writes`` times): every txn is invoked once and completed once, and each
    key takes at most ``max_writes`` writes, valued 1, 2, ..."""
    events = clean_events(400, 3, model=model, max_writes=4)
    invoked = [e for e in events if e[0] == "invoke"]
    assert len(invoked) == 400 and len(events) == 800
    writes: dict[object, list[object]] = {}
    for _, _, mops in invoked:
        for f, k, v in mops:
            if f != "r":
                writes.setdefault(k, []).append(v)
    assert writes and all(vs == list(range(1, len(vs) + 1)) for vs in writes.values())
    assert max(len(vs) for vs in writes.values()) <= 4
