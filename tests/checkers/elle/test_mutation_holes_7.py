"""Holes found by the seventh mutation pass over ``checkers/elle`` (issue #19, fresh samples).

Each test names the mutant (or the bug) it guards.  Every mutation was applied by hand,
the test seen to fail, and the source restored.  The forked child of the split scan
(``_split._child`` and what it calls) runs in another process, where mutmut's coverage
pass never sees it: its mutants were "no tests" although the split tests exercise it.
The tests below run the child's side in this process, so those mutants are judged, and
compare what it sends with the one-process scan.
"""

from __future__ import annotations

import json
import os
import struct
from types import SimpleNamespace
from typing import Any

import networkx as nx
import pytest

from checkers.elle import _append, _cycles, _split, check, check_bank, check_long_fork
from checkers.elle._compact import _RowCollector, collect_compact
from checkers.elle._cycles import SPECS, SearchTimeout, find_cycle
from checkers.elle._explain import to_dot
from checkers.elle._mops import Source
from checkers.elle._tables import CONSISTENCY_MODELS, CYCLE_TYPES, canonical_model
from checkers.elle._tails import decode_reads
from checkers.elle._txns import WW, collect, is_txn_op
from checkers.elle.synth import APPEND_PLANTS, REGISTER_PLANTS, synth_history
from ddialab.errors import UsageError
from ddialab.history import (
    CompactHistory,
    History,
    Op,
    dumps_op,
    read_compact,
    read_history,
)

from ._helpers import hist, txn


def test_dot_colours_every_edge_kind():
    """Kills ``_explain.to_dot`` mutants 4 (the ww colour ``"#c02020"`` changed) and 17
    (the ``"realtime"`` key misspelt: realtime edges drawn black): the whole DOT text of
    a graph with one edge of each kind is pinned."""
    kinds = ["ww", "wr", "rw", "process", "realtime", "odd"]
    w = {
        "type": "G0",
        "graph": {
            "nodes": [{"id": "T1", "op": 3}, {"id": "T2", "op": 5}],
            "edges": [{"from": "T1", "to": "T2", "kind": k} for k in kinds],
        },
    }
    assert to_dot(w).splitlines() == [
        'digraph "G0" {',
        '  T1 [label="T1 (op 3)"];',
        '  T2 [label="T2 (op 5)"];',
        '  T1 -> T2 [label="ww", color="#c02020"];',
        '  T1 -> T2 [label="wr", color="#2050c0"];',
        '  T1 -> T2 [label="rw", color="#20a040"];',
        '  T1 -> T2 [label="process", color="#808080"];',
        '  T1 -> T2 [label="realtime", color="#a060c0"];',
        '  T1 -> T2 [label="odd", color="black"];',
        "}",
    ]


def _two_cycle() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_edges_from([(0, 1, {"k": WW}), (1, 0, {"k": WW})])
    return g


G0 = next(s for s in SPECS if s.name == "G0")


@pytest.mark.parametrize(("late", "times_out"), [(-1.0, True), (0.0, False)])
def test_the_breadth_first_search_checks_its_deadline(late, times_out, monkeypatch):
    """Kills ``_cycles._bfs_back`` mutants 26 (``pops & 511 == 1`` -> ``pops | 511 == 1``:
    the deadline never checked inside a search, so a huge SCC ignored the time limit) and
    30 (``>`` -> ``>=``: a search still inside its deadline gave up).  The clock is a
    stand-in: it reads 100.0 whenever asked."""
    monkeypatch.setattr(_cycles, "time", SimpleNamespace(monotonic=lambda: 100.0))
    if times_out:
        with pytest.raises(SearchTimeout):
            find_cycle(_two_cycle(), G0, 2, 100.0 + late)
    else:
        assert sorted(find_cycle(_two_cycle(), G0, 2, 100.0 + late)) == [(0, 1, WW), (1, 0, WW)]


class _Read(list[Any]):
    """A list subclass, as a Python caller may hand over a read's value."""


def _lost_g2(read: list[Any], twice: bool) -> History:
    """T1 appends x 1; T2 reads x = [1] and appends y (reading x twice when ``twice``:
    the general scan path); T3 reads y = [] and appends x 2; T4 reads x = [1 2], y = [1]:
    T2 and T3 each missed the other's append, a G2-item."""
    t2 = [["r", "x", read], ["append", "y", 1]] + ([["r", "x", read]] if twice else [])
    rows: list[tuple[str, int, Any]] = []
    for p, done in enumerate(
        [
            [["append", "x", 1]],
            t2,
            [["r", "y", []], ["append", "x", 2]],
            [["r", "x", [1, 2]], ["r", "y", [1]]],
        ]
    ):
        inv = [[f, k, None if f == "r" else v] for f, k, v in done]
        rows += [("invoke", p, inv), ("ok", p, done)]
    return History(Op(i, i, t, p, "txn", v) for i, (t, p, v) in enumerate(rows))


@pytest.mark.parametrize("twice", [False, True])
def test_a_read_given_as_a_list_subclass_is_analysed(twice):
    """Guards a fail-open bug (found from the equivalent ``_append._scan_txn`` mutant 44):
    the grammar accepted a read whose value is a list subclass (``isinstance``), but both
    scan paths take a read only when ``type(v) is list`` and skipped it, so the G2-item
    it proves was missed.  The list-append grammar now hands the analysis plain lists."""
    plain = check(_lost_g2([1], twice), {"model": "list-append"})
    sub = check(_lost_g2(_Read([1]), twice), {"model": "list-append"})
    assert "G2-item" in plain["anomaly_types"]
    assert sub == plain


def test_a_read_followed_by_a_garbage_element_gives_no_rw_edge():
    """Kills ``_append.add_edges`` mutant 66 (``w >= 0 and w != tid`` -> ``or``, seed 103):
    the element after T2's read of x was never written (writer -1), and the mutant drew
    an rw edge from T2 to node -1 -- Python's last node, here T4, which T2 read from: a
    made-up G-single whose witness crashed the explanation.  Only the garbage read is
    reported."""
    h = hist(
        *txn(0, [["append", "x", 1]]),
        *txn(1, [["r", "x", [1]], ["r", "y", [1]]]),
        *txn(2, [["r", "x", [1, 99]]]),
        *txn(3, [["append", "y", 1]]),
    )
    r = check(h, {"model": "list-append", "consistency_model": "serializable"})
    assert (r["valid"], r["anomaly_types"]) == (False, ["garbage-read"])


def test_bank_lists_every_negative_balance_in_its_sentence():
    """Kills ``_bank._read_anomalies`` mutant 44 (the ``", "`` joining the negative
    balances changed, seed 103): the sentence is pinned for two negative accounts."""
    h = History([Op(0, 0, "ok", 0, "read", {"a": -1, "b": -2, "c": 5})])
    (w,) = check_bank(h, {"accounts": ["a", "b", "c"]})["anomalies"]["negative-value"]
    assert w["explanation"] == "op 0 read negative balance(s): a = -1, b = -2"


def test_an_unknown_consistency_model_lists_the_known_ones():
    """Kills ``_tables.canonical_model`` mutant 7 (``known = None``, seed 103): the usage
    error must name every model the table knows, sorted."""
    with pytest.raises(UsageError) as e:
        canonical_model("snapshot-isolatoin")
    known = ", ".join(sorted(CONSISTENCY_MODELS))
    assert str(e.value) == f"unknown consistency model 'snapshot-isolatoin'; known models: {known}"


def test_a_conserving_bank_history_rules_nothing_out():
    """Kills ``check_bank`` mutant 76 (the boundary computed ``or True``, seed 105): with no
    wrong total the checker proves nothing, so ``not`` and ``also_not`` stay empty (the
    mutant claimed G-single and more ruled out by a valid history)."""
    r = check_bank(History([Op(0, 0, "ok", 0, "read", {"a": 5, "b": 5})]), {"accounts": ["a", "b"]})
    assert (r["valid"], r["not"], r["also_not"]) == (True, [], [])


def test_a_g1a_witness_names_the_reader_and_the_failed_writer():
    """Kills ``_check._named_ops`` mutant 9 (``"writer"`` misspelt, seed 105): a non-cycle
    witness's ``ops`` are the reading op, then the op it read from."""
    h = hist(*txn(0, [["append", "x", 1]], "fail"), *txn(1, [["r", "x", [1]]]))
    (w,) = check(h, {"model": "list-append"})["anomalies"]["G1a"]
    assert (w["op"], w["writer"], w["ops"]) == (3, 1, [3, 1])


@pytest.mark.parametrize("table", [APPEND_PLANTS, REGISTER_PLANTS], ids=["append", "register"])
def test_every_plant_is_named_by_an_anomaly_it_plants(table):
    """Kills ``synth._cycle_plants`` mutants 184 and 331 (seed 105: the keys
    ``"G-nonadjacent"`` and ``"G-single" + suffix`` misspelt ``"g-..."``): a plant is asked
    for by the anomaly it plants (``synth_history(n, ["G-single-process"])``), so every
    key must be one of its plant's expected anomalies, and every cycle type of the table
    must have its plant.  (The table is built at import: ``recheck`` judges these.)"""
    assert [n for n, plant in table.items() if n not in plant.expected] == []
    if table is APPEND_PLANTS:
        assert set(CYCLE_TYPES) <= set(table)


def test_a_g1b_witness_names_the_writers_final_append_to_that_key():
    """Kills ``_append.AppendAnalysis._g1b`` mutant 3 (``and`` -> ``or``, seed 107): the
    ``final`` append is the writer's last append *to the key read*, not its last micro-op
    (here an append to another key)."""
    h = hist(
        *txn(0, [["append", "x", 1], ["append", "x", 2], ["append", "y", 9]]),
        *txn(1, [["r", "x", [1]]]),
    )
    (w,) = check(h, {"model": "list-append"})["anomalies"]["G1b"]
    assert (w["element"], w["final"]) == (1, 2)


def test_reads_of_values_nobody_wrote_are_counted():
    """Kills ``_check._check`` mutant 175 (the ``unknown_reads`` key misspelt, seed 107):
    an rw-register read of a value no txn wrote is counted in the result."""
    h = hist(*txn(0, [["w", "x", 1]]), *txn(1, [["r", "x", 5]]), *txn(2, [["r", "x", 1]]))
    assert check(h, {"model": "rw-register"})["unknown_reads"] == 1


def test_the_split_scan_keeps_process_edges(tmp_path, monkeypatch):
    """Kills ``_check._collect`` mutant 3 (``collect_split(history, None, ...)``, seed 107):
    a split compact scan must build the process edges its caller asked for, or a
    G-single-process is missed on every large file."""
    history, _ = synth_history(60, ["G-single-process"], seed=2)
    path = str(tmp_path / "h.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(dumps_op(op) + "\n" for op in history))
    monkeypatch.setattr(_split, "PARALLEL_MIN_BYTES", 0)
    assert "G-single-process" in check(read_compact(path), {})["anomaly_types"]


def test_a_long_fork_between_reads_of_nested_key_sets_is_found():
    """Kills ``_long_fork._forks`` mutant 21 (``common != k2`` -> ``==``, seed 109, killed
    after its fresh row): one read covers keys {1, 2}, the other {1, 2, 3}; the fork lies
    on their common keys {1, 2}, which are all of the first read's, and the mutant skipped
    exactly that pair of groups."""
    h = hist(
        *txn(0, [["w", 1, 1]]),
        *txn(1, [["w", 2, 1]]),
        *txn(2, [["r", 1, 1], ["r", 2, None]]),
        *txn(3, [["r", 1, None], ["r", 2, 1], ["r", 3, None]]),
    )
    assert check_long_fork(h, {})["anomaly_types"] == ["long-fork"]


# -- the split scan's child, run in this process -------------------------------------


def _line(typ: str, p: int, value: Any, index: int) -> str:
    op = {"index": index, "time": index, "type": typ, "process": p, "f": "txn", "value": value}
    return json.dumps(op, separators=(",", ":")) + "\n"


def _seam_history(path: str) -> int:
    """Write a history whose second part opens with orphan completions (ok, info without a
    value, fail), leaves an invocation pending with micro-ops and one with the empty
    list, and whose first completion shares the parent's last time node; return the cut."""
    a, r = (lambda k, v: ["append", k, v]), (lambda k, v: ["r", k, None])
    first = [
        ("invoke", 0, [a("x", 1)]),
        ("ok", 0, [a("x", 1)]),
        ("invoke", 1, [a("x", 2)]),
        ("invoke", 2, [a("y", 1)]),
        ("invoke", 3, [r("x", None)]),
        ("invoke", 4, [a("z", 1)]),
    ]
    second = [
        ("ok", 1, [a("x", 2)]),
        ("info", 2, None),
        ("fail", 4, None),
        ("invoke", 5, [r("x", None)]),
        ("invoke", 7, []),
        ("invoke", 6, [r("x", None)]),
        ("ok", 6, [["r", "x", [1, 2]]]),
    ]
    lines = [_line(t, p, v, i) for i, (t, p, v) in enumerate(first + second)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    return len("".join(lines[: len(first)]))


def _child_payload(path: str, split: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, bytes]:
    """Run ``_split._child`` here (its ``os._exit`` recorded, not taken) on its own copy
    of the history, as a forked child has; its exit code and what it wrote."""
    codes: list[int] = []
    r, w = os.pipe()
    with monkeypatch.context() as m:
        m.setattr(_split.os, "_exit", codes.append)
        _split._child(read_compact(path), Source(path, "list-append"), split, w)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    return codes[0], data


def _state(got: Any) -> Any:
    g, failed = got
    rows = [(t.id, t.index, t.invoke, t.type, t.process, t.mops, t.complete) for t in g.txns]
    return rows, [(t.index, t.invoke, t.mops) for t in failed], [list(e) for e in g.out]


class _Frames:
    """The parent's end of the pipe (``_split.Tail``) over frames already written."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames, self.timeout, self.start = frames, 30.0, -1

    def frame(self, timeout: float) -> bytes | None:
        return self.frames.pop(0) if self.frames else None


def _frames(data: bytes) -> list[bytes]:
    """The child's frames (an 8-byte little-endian length, then that many bytes each),
    checked to make up exactly what it wrote."""
    frames, at = [], 0
    while at < len(data):
        n = struct.unpack("<q", data[at : at + 8])[0]
        assert at + 8 + n <= len(data)
        frames.append(data[at + 8 : at + 8 + n])
        at += 8 + n
    return frames


def _split_here(path: str, split: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``collect_split`` with its child run in this process: the child's frames, checked
    for their length headers (the part, then list-append's reads pass), the part handed
    to ``_parent`` in place of the pipe's."""
    code, data = _child_payload(path, split, monkeypatch)
    assert code == 0
    frames = _frames(data)
    assert len(frames) == 2
    assert frames[1] == b"" or decode_reads(frames[1]).n >= 0  # the reads pass, or nothing
    history = read_compact(path)
    assert isinstance(history, CompactHistory)
    src = Source(path, "list-append")
    return _split._parent(history, True, True, src, split, _Frames(frames[:1]))  # type: ignore[arg-type]


def _reference(path: str) -> Any:
    history = read_compact(path)
    assert isinstance(history, CompactHistory)
    return collect_compact(history, True, True, Source(path, "list-append"))


def test_the_child_settles_the_seam_as_one_process(tmp_path, monkeypatch):
    """Kills the child's "no tests" mutants of seed 101: ``_PartCollector.__init__`` 4
    (``src`` dropped: the child fails), ``_PartCollector.run`` 2 (``done = 1``: the first
    orphan never registered, its completion refused), ``_PartCollector.complete`` 3 (the
    completion's index lost), ``_part_of`` 21 (``early = None``: the payload no longer
    decodes) and 76 (``pending_empty`` inverted: a pending invocation's micro-ops swapped
    for ``[]`` and back), and ``_child`` 19 (nothing written).  A broken child only makes
    the split give up, which the one-process fallback hides from every answer; so here
    the child must exit 0, send a payload of the length it announces, and the parent's
    merge of it must equal the one-process scan, txn for txn."""
    path = str(tmp_path / "h.jsonl")
    split = _seam_history(path)
    got = _split_here(path, split, monkeypatch)
    assert got is not None
    assert _state(got) == _state(_reference(path))


def test_the_child_of_a_synthetic_history_sends_what_one_process_collects(tmp_path, monkeypatch):
    """The same on a generated history with planted anomalies, cut at four places (a
    child that mislaid txns, orphans or time nodes anywhere would differ)."""
    history, _ = synth_history(120, ["G-single", "G1a", "lost-update"], seed=3)
    path = str(tmp_path / "h.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(dumps_op(op) + "\n" for op in history))
    reference = _state(_reference(path))
    for share in (0.2, 0.45, 0.55, 0.8):
        split = _split._split_point(path, 0, share)
        assert split is not None
        got = _split_here(path, split, monkeypatch)
        assert got is not None
        assert _state(got) == reference


def test_the_callers_child_timeout_is_the_one_waited_for(tmp_path, monkeypatch):
    """Kills ``_split.collect_split`` mutant 3 (the ``timeout`` argument ignored for
    ``CHILD_TIMEOUT``, seed 109, killed after its fresh row): the parent waits the
    caller's timeout (plus four times its own part's time), never less.  The wait itself
    is not run: ``Tail.frame`` records what it was given and reports no payload."""
    history, _ = synth_history(40, [], seed=1)
    path = str(tmp_path / "h.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(dumps_op(op) + "\n" for op in history))
    waits: list[float] = []
    monkeypatch.setattr(_split, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_split.Tail, "frame", lambda self, timeout: waits.append(timeout))
    h = read_compact(path)
    assert isinstance(h, CompactHistory)
    assert (
        _split.collect_split(h, True, True, Source(path, "list-append"), 10 * _split.CHILD_TIMEOUT)
        is None
    )
    assert len(waits) == 1 and waits[0] >= 10 * _split.CHILD_TIMEOUT


# -- seed 109's open survivors (docs/testing.md, "checkers/elle, seventh pass") ------------


def test_the_duplicate_write_rescan_runs_only_when_the_append_count_says_so(monkeypatch):
    """Kills ``_append.AppendAnalysis._index_writes`` 32 (``n += 1`` -> ``n += 2``; the
    other two ``n += 1`` likewise): ``n`` counts the appends so that a history whose
    appended values are unique (every real one) is told so by one comparison; a wrong
    count sends every history through ``_duplicates``, a second pass over all micro-ops
    (the 1M-txn budget of docs/performance.md).  The three counted places -- a one-mop
    txn, a txn of several mops, a failed txn -- are each hit once; a real duplicate must
    still be found and make the verdict unknown."""
    calls: list[int] = []
    real = _append._duplicates

    def spy(txns: list[Any], write: str) -> list[tuple[Any, Any]]:
        calls.append(len(txns))
        return real(txns, write)

    monkeypatch.setattr(_append, "_duplicates", spy)
    unique = hist(
        *txn(0, [["append", "x", 1]]),
        *txn(1, [["append", "x", 2], ["append", "y", 1]]),
        *txn(2, [["append", "x", 3]], typ="fail"),
        *txn(3, [["r", "x", [1, 2]]]),
    )
    assert check(unique, {"model": "list-append"})["valid"] is True
    assert calls == []
    twice = hist(*txn(0, [["append", "x", 1]]), *txn(1, [["append", "x", 1]]))
    out = check(twice, {"model": "list-append"})
    assert (out["valid"], calls) == ("unknown", [2])
    assert out["reason"].endswith("written more than once: key x value 1")


def test_the_compact_scan_takes_a_plain_ok_completion_inline(tmp_path, monkeypatch):
    """Kills ``_compact._RowCollector.take`` 45 (``typ == "ok"`` -> ``typ == "OK"``): an ok
    completion of a plain txn whose invocation is pending is the compact path's hot case,
    handled inline; the mutant sends every one through ``complete`` (a call, a second
    ``_plain`` test and a tuple per txn).  ``complete`` is counted: only the fail and the
    info completions may reach it, and the txns built are the ones ``collect`` builds."""
    path = str(tmp_path / "h.jsonl")
    rows = [
        ("invoke", 0, [["append", "x", 1]]),
        ("ok", 0, [["append", "x", 1]]),
        ("invoke", 1, [["r", "x", None]]),
        ("ok", 1, [["r", "x", [1]]]),
        ("invoke", 2, [["append", "x", 2]]),
        ("fail", 2, [["append", "x", 2]]),
        ("invoke", 3, [["append", "y", 1]]),
        ("info", 3, None),
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(_line(t, p, v, i) for i, (t, p, v) in enumerate(rows)))
    seen: list[str] = []
    real = _RowCollector.complete

    def counted(self: Any, index: int, typ: str, proc: Any, value: Any) -> None:
        seen.append(typ)
        real(self, index, typ, proc, value)

    monkeypatch.setattr(_RowCollector, "complete", counted)
    got = _reference(path)
    assert seen == ["fail", "info"]
    assert _txn_rows(got[0].txns) == _txn_rows(_plain_collect(path)[0].txns)


def _plain_collect(path: str) -> Any:
    """The full reader's collection of the file (``Op`` by ``Op``), as ``_collect``'s
    fallback makes it."""
    return collect(read_history(path), True, True, Source(path, "list-append").mops)


def _txn_rows(txns: list[Any]) -> list[Any]:
    """Every field of each txn, micro-ops as lists (the compact path keeps tuples)."""
    return [
        (t.id, t.index, t.invoke, t.type, t.process, [list(m) for m in t.mops], t.complete)
        for t in txns
    ]


def test_an_op_named_txn_is_a_txn_whatever_its_value():
    """Kills ``_txns.is_txn_op`` 2 (the ``op.f == "txn"`` test changed): the function's
    contract is "``f == "txn"``, or no ``f`` and a list of micro-ops"; with the first half
    broken a ``txn`` op whose value is not a list of lists (an invocation of nil, the
    empty txn) is no txn.  (``collect`` tests ``f == "txn"`` itself before calling it,
    so only a direct call sees the difference.)"""
    assert is_txn_op(Op(0, 0, "invoke", 0, "txn", None))
    assert is_txn_op(Op(0, 0, "ok", 0, "txn", []))
    assert is_txn_op(Op(0, 0, "ok", 0, "", [["r", "x", None]]))
    assert not is_txn_op(Op(0, 0, "ok", 0, "read", [["r", "x", None]]))


def test_both_collectors_mark_a_failed_txn_as_no_node(tmp_path):
    """Kills ``_txns._Collector._add`` 35 (a failed txn's id ``-1`` -> ``-2``): a failed
    txn is not a graph node, which both collectors mark with the id -1 (the compact one
    builds it with -1 directly); the plain reader and the compact reader must hand the
    analyses the same failed txns, field for field."""
    path = str(tmp_path / "h.jsonl")
    rows = [
        ("invoke", 0, [["append", "x", 1]]),
        ("fail", 0, [["append", "x", 1]]),
        ("invoke", 1, [["append", "x", 2]]),
        ("ok", 1, [["append", "x", 2]]),
        ("fail", 2, [["append", "y", 1]]),
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(_line(t, p, v, i) for i, (t, p, v) in enumerate(rows)))

    plain = _txn_rows(_plain_collect(path)[1])
    assert plain == _txn_rows(_reference(path)[1])
    assert [row[0] for row in plain] == [-1, -1]


def test_a_child_part_without_an_ok_completion_still_settles(tmp_path, monkeypatch):
    """Kills ``_split._part_of`` 7 (the "no time node" default ``-1`` -> ``None``): a child
    part whose completions are all info or fail opens no time node, and the child must
    still send its part (exit 0) for the parent to merge as one process would; a child
    that failed there would only be hidden by the one-process fallback."""
    a = lambda k, v: ["append", k, v]  # noqa: E731
    rows = [
        ("invoke", 0, [a("x", 1)]),
        ("ok", 0, [a("x", 1)]),
        ("invoke", 1, [a("x", 2)]),
        ("invoke", 2, [a("y", 1)]),
        ("info", 1, None),
        ("fail", 2, None),
        ("invoke", 3, [a("z", 1)]),
        ("info", 3, [a("z", 1)]),
    ]
    lines = [_line(t, p, v, i) for i, (t, p, v) in enumerate(rows)]
    path = str(tmp_path / "h.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    split = len("".join(lines[:4]))
    got = _split_here(path, split, monkeypatch)
    assert got is not None
    assert _state(got) == _state(_reference(path))
