"""Holes found by mutation testing (issue #19): each test names the surviving mutant it kills.

Every mutation below was applied by hand, the test seen to fail, and the source restored.
Line numbers are those of the sources at the time (2026-12-04).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.session import check
from checkers.session.testing import PLANTS, HistoryBuilder, linearizable_history

CAUSAL_UP = ["causal", "linearizable", "sequential"]
PRAM_UP = ["PRAM", *CAUSAL_UP]
ALSO_NOT = {
    "read-your-writes": PRAM_UP,
    "monotonic-reads": PRAM_UP,
    "monotonic-writes": PRAM_UP,
    "writes-follow-reads": CAUSAL_UP,
    "consistent-prefix": CAUSAL_UP,
}
PLANTED = [(g, name, make) for g, plants in PLANTS.items() for name, make in plants.items()]


@pytest.mark.parametrize(
    ("guarantee", "name", "make"), PLANTED, ids=[f"{g}-{n}" for g, n, _ in PLANTED]
)
def test_a_violation_rules_out_the_stronger_models_and_is_counted(guarantee, name, make):
    """Kills ``__init__.py:_result`` ``"also_not"`` -> ``"ALSO_NOT"`` and
    ``"violation_counts"`` -> ``"VIOLATION_COUNTS"``: the matrix reads both keys (PRAM is
    ruled out by the three per-process guarantees, causal and up by all five)."""
    r = check(make(), {})
    assert r["also_not"] == ALSO_NOT[guarantee]
    assert r["violation_counts"] == {guarantee: 1}


def test_monotonic_writes_against_system_versions_names_the_key():
    """Kills ``_checks.py:_mw_order_violation`` ``show(key)`` -> ``show(None)`` in the
    explanation (it said 'to key null')."""
    (w,) = check(PLANTS["monotonic-writes"]["versions"](), {})["anomalies"]["monotonic-writes"]
    assert w["explanation"] == (
        'process 0 wrote 1 (op 1) and then 2 (op 3) to key "x", but the system\'s version '
        "order does not put 1 before 2 [system-version]"
    )


def test_writes_follow_reads_against_system_versions_exact_witness():
    """Kills ``_checks.py:_wfr_order_violation`` ``thaw(w2)`` -> ``thaw(None)`` in
    ``write``, ``r_op`` -> ``None`` in ``cycle`` and ``show(key)`` -> ``show(None)`` in the
    explanation: process 1 read version 2 of x, then wrote x = 2, which the system put
    at version 1, before what it had read."""
    b = HistoryBuilder()
    b.write(0, "x", 1, version=2)
    b.read(1, "x", 1, version=2)
    b.write(1, "x", 2, version=1)
    r = check(b.history(), {"guarantee": "writes-follow-reads"})
    (w,) = r["anomalies"]["writes-follow-reads"]
    assert w["ops"] == [3, 5]
    assert w["read"] == {"op": 3, "value": 1}
    assert w["write"] == {"op": 5, "value": 2}
    assert w["evidence"] == "system-version"
    assert w["cycle"] == [1, "wr", 3, "process", 5, "ww", 1]
    assert w["explanation"] == (
        'process 1 read 1 from key "x" (op 3) and then wrote 2 (op 5), but the system\'s '
        "version order does not put 1 before 2 [system-version]"
    )


@pytest.mark.parametrize("name", ["append", "set"])
def test_writes_follow_reads_on_lists_names_its_evidence(name: str) -> None:
    """Kills ``_checks.py:_wfr_list_violation`` ``"evidence"`` -> ``"XXevidenceXX"``: every
    witness says what order it rests on (here the append lists themselves)."""
    (w,) = check(PLANTS["writes-follow-reads"][name](), {})["anomalies"]["writes-follow-reads"]
    assert w["evidence"] == "append-list"
    assert w["observer"] == 7 and w["ops"] == [3, 5, 7]


def test_writes_follow_reads_counts_every_list_comparison():
    """Kills ``_checks.py:_wfr_scan_list`` ``evidence[APPEND] += 1`` -> ``= 1``: the
    evidence count is how many comparisons backed a valid verdict.  Two here: processes 2
    and 4 each read a set that is not a prefix of its first-seen order ({1 3}, {2 3}) and
    then added an element; the last read holds both additions and what each had read."""
    b = HistoryBuilder()
    for v in (1, 2, 3):
        b.op(0, "add", ["s", v])
    b.read(1, "s", [1, 2])
    b.read(2, "s", [1, 3])
    b.read(4, "s", [2, 3])
    b.op(2, "add", ["s", 5])
    b.op(4, "add", ["s", 6])
    b.read(3, "s", [1, 2, 3, 5, 6])
    r = check(b.history(), {"guarantee": "writes-follow-reads"})
    assert r["guarantees"] == {"writes-follow-reads": True}
    assert r["evidence"]["writes-follow-reads"] == {"append-list": 2}


def test_read_your_writes_checks_every_read_of_a_txn():
    """Kills ``_checks.py:read_your_writes`` ``continue`` -> ``break`` (after a read of a
    key the process never wrote): the txn's later read of its own key went unchecked."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(0, [["r", "y", None], ["r", "x", None]])
    r = check(b.history(), {"guarantee": "read-your-writes"})
    (w,) = r["anomalies"]["read-your-writes"]
    assert w["key"] == "x" and w["ops"] == [1, 3]


def test_a_set_of_mixed_element_types_is_checked_not_a_traceback():
    """Kills ``_order.py:Facts._index_append_lists`` ``sorted(new, key=repr)`` ->
    ``sorted(new)``: set elements of mixed types (a number and a string) do not compare,
    and every check of such a set raised ``TypeError``."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(0, "add", ["s", "a"])
    b.read(1, "s", [1, "a"])
    b.read(1, "s", [1])
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    (w,) = r["anomalies"]["monotonic-reads"]
    assert w["ops"] == [5, 7] and w["evidence"] == "append-list"


def test_the_builders_nemesis_op_keeps_its_value():
    """Kills ``testing.py:HistoryBuilder.nemesis`` dropping the value of the completion:
    fault ops built for tests must say what they did (a partition's grudge)."""
    b = HistoryBuilder()
    b.nemesis("start-partition", {"n1": ["n2"]})
    ops = list(b.history())
    assert [(op.type, op.f, op.value) for op in ops] == [
        ("info", "start-partition", {"n1": ["n2"]}),
        ("info", "start-partition", {"n1": ["n2"]}),
    ]


@pytest.mark.parametrize("n_ops", [1, 7, 50])
def test_the_linearizable_simulation_runs_exactly_the_ops_asked(n_ops: int) -> None:
    """Kills ``testing.py:_Sim.__init__`` ``started = 0`` -> ``1``: the simulated
    histories the property tests rely on had one op fewer than asked (none for 1)."""
    h = linearizable_history(3, n_ops=n_ops)
    assert sum(1 for op in h if op.type == "invoke") == n_ops
    assert check(h, {})["valid"] is True


def test_consistent_prefix_witness_exact():
    """Kills ``_causal.py:_cp`` ``"value": v1`` -> ``"XXvalueXX": v1`` in the witness's
    ``read``: the report shows what the lagging read returned.  DDIA's figure 5-5: the
    observer sees the answer (op 7), written after its writer read the question (op 3),
    and then reads no question (op 9)."""
    (w,) = check(PLANTS["consistent-prefix"]["ddia"](), {})["anomalies"]["consistent-prefix"]
    assert w == {
        "process": 2,
        "ops": [3, 5, 7, 9],
        "observed": {"op": 7, "key": "answer", "value": "about ten seconds"},
        "writer": {"process": 1, "op": 5},
        "dependency": {"key": "question", "value": "how far can you see?", "op": 3},
        "kind": "read",
        "read": {"op": 9, "key": "question", "value": None},
        "evidence": "initial-state",
        "cycle": [1, "wr", 3, "process", 5, "wr", 7, "process", 9, "rw", 1],
        "explanation": 'process 2 read "about ten seconds" from key "answer" (op 7), written '
        'by process 1 (op 5) after it read "how far can you see?" on key "question" (op 3); '
        'process 2 then read null from key "question" (op 9): the later write without the '
        "earlier one [initial-state]",
    }


def test_monotonic_reads_between_sets_read_out_of_first_seen_order():
    """Kills ``_tally.py:append_missing`` ``if isinstance(earlier, int)`` -> ``... or
    True``: a set read that is not a prefix of the first-seen order ({2 3} after
    {1 2 3} was seen) is kept as the set itself, and slicing G by it raised
    ``TypeError``.  Process 1 read {2 3} and then {3}: 2 went missing."""
    b = HistoryBuilder()
    for v in (1, 2, 3):
        b.op(0, "add", ["s", v])
    b.read(2, "s", [1, 2, 3])
    b.read(1, "s", [2, 3])
    b.read(1, "s", [3])
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    (w,) = r["anomalies"]["monotonic-reads"]
    assert (w["ops"], w["missing"], w["evidence"]) == ([9, 11], 2, "append-list")
    assert w["explanation"] == (
        'process 1 read [2, 3] from key "s" (op 9) and later read [3] (op 11), an older '
        "state without 2 [append-list]"
    )


def test_consistent_prefix_judges_each_writer_when_the_read_has_no_score():
    """Kills ``_causal.py:_cp_read`` passing ``None`` for the tally to ``_per_writer`` (an
    ``AttributeError``; before this test only some random property-test examples reached
    the path).  Process 2's read a = [2] is not a prefix of a's order [1 2], so no score
    decides it; judged writer by writer, it lacks the 1 that b's writer had read."""
    b = HistoryBuilder()
    b.append(0, "a", 1)
    b.append(0, "a", 2)
    b.read(1, "a", [1, 2])
    b.append(1, "b", 1)
    b.read(2, "b", [1])
    b.read(2, "a", [2])
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    (w,) = r["anomalies"]["consistent-prefix"]
    assert w["ops"] == [5, 7, 9, 11]
    assert w["dependency"] == {"key": "a", "value": 1, "op": 5}
    assert w["read"] == {"op": 11, "key": "a", "value": [2]}
    assert w["evidence"] == "append-list"


# -- third pass (issue #19, seed-1 sample of 4194 mutants; see docs/testing.md) --------------


def test_monotonic_writes_witness_carries_its_cycle():
    """Kills ``_checks._mw_order_violation`` ``"cycle"`` -> ``"CYCLE"``: the witness's cycle
    (process order, then the system's ww order back) is what the report draws."""
    (w,) = check(PLANTS["monotonic-writes"]["versions"](), {})["anomalies"]["monotonic-writes"]
    assert w["cycle"] == [1, "process", 3, "ww", 1]


def test_writes_follow_reads_against_system_versions_names_the_key():
    """Kills ``_checks._wfr_order_violation`` ``"key"`` -> ``"XXkeyXX"``."""
    b = HistoryBuilder()
    b.write(0, "x", 1, version=2)
    b.read(1, "x", 1, version=2)
    b.write(1, "x", 2, version=1)
    (w,) = check(b.history(), {"guarantee": "writes-follow-reads"})["anomalies"][
        "writes-follow-reads"
    ]
    assert w["key"] == "x" and w["process"] == 1


def test_an_undecided_order_is_reported_with_an_example_and_its_reason():
    """Kills ``_result`` ``"examples"`` -> ``"EXAMPLES"`` and ``_wfr_register_orders``'
    reason ``f"process {p} read then wrote"`` -> ``None``: with nothing ordering 1 and 2,
    writes-follow-reads is unknown, and the result says which pair and why it mattered."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.read(1, "x", 1)
    b.write(1, "x", 2)
    b.read(2, "x", 2)
    r = check(b.history(), {"guarantee": "writes-follow-reads"})
    assert r["guarantees"] == {"writes-follow-reads": "unknown"}
    assert r["undecided"] == {
        "writes-follow-reads": {
            "count": 1,
            "examples": [
                {
                    "key": "x",
                    "process": 1,
                    "values": [1, 2],
                    "explanation": 'nothing in the history orders 1 and 2 on key "x" '
                    "(process 1 read then wrote)",
                }
            ],
        }
    }


def test_duplicate_writes_and_op_counts_are_reported():
    """Kills ``_result`` ``"duplicate_writes"`` -> ``"DUPLICATE_WRITES"`` and
    ``"ops_skipped"`` -> ``"XXops_skippedXX"``: a value written twice to one key makes
    reads ambiguous, and the result says so; the op counts say what was read at all."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 1)
    b.read(2, "x", 1)
    b.op(3, "frob", ["x", 1])
    r = check(b.history(), {})
    assert r["duplicate_writes"] == [["x", 1]]
    assert (r["ops_checked"], r["ops_skipped"], r["ops_ignored"]) == (3, 0, 1)


def test_the_builder_puts_the_node_on_the_op_not_in_extra():
    """Kills ``testing.HistoryBuilder._add`` ``kw.pop("node", None)`` ->
    ``kw.pop("XXnodeXX", None)``: the node an op went to is the op's ``node`` field, which
    the per-node checks read."""
    b = HistoryBuilder()
    b.read(1, "x", 1, node="n2")
    ops = list(b.history())
    assert [op.node for op in ops] == ["n2", "n2"]
    assert all("node" not in op.extra for op in ops)


# -- fifth pass (issue #19, fresh sample --seed 7 of 4184 mutants; see docs/testing.md) ------


def _written_and_read(history):
    """(key, value) pairs written, and (key, value) pairs read, by ok client ops."""
    written, read = set(), set()
    for op in history:
        if op.type != "ok":
            continue
        mops = op.value if op.f == "txn" else [[op.f, *op.value]]
        for kind, key, value in mops:
            if kind in ("r", "read"):
                values = value if isinstance(value, list) else [value]
                read |= {(key, v) for v in values if v is not None}
            else:
                written.add((key, value))
    return written, read


@pytest.mark.parametrize(
    ("guarantee", "name", "make"), PLANTED, ids=[f"{g}-{n}" for g, n, _ in PLANTED]
)
def test_every_plant_reads_only_values_it_wrote_and_is_read_whole(guarantee, name, make):
    """Kills ``testing._mr_versions`` ``b.write(0, "x", …)`` -> ``"X"`` and
    ``testing._ryw_set`` ``"add"`` -> ``"XXaddXX"``: a plant whose write goes to another
    key, or is an op the checker ignores, still "shows" its anomaly, but on a value read
    from nowhere -- the plant no longer isolates the mechanism its name promises.  Every
    value (or element) a plant reads was written to that key, and the checker reads every
    op of it."""
    h = make()
    written, read = _written_and_read(h)
    assert read <= written, f"read but never written: {sorted(read - written, key=repr)}"
    r = check(h, {"guarantee": guarantee})
    assert (r["ops_skipped"], r["ops_ignored"]) == (0, 0)


def test_writes_follow_reads_on_lists_witness_carries_its_cycle():
    """Kills ``_checks._wfr_list_violation`` ``"process"`` -> ``"XXprocessXX"`` in the
    cycle: x's writer, the read of it, the process edge to the dependent append, the read
    showing that append, and the anti-dependency back."""
    for name in ("append", "set"):
        (w,) = check(PLANTS["writes-follow-reads"][name](), {})["anomalies"]["writes-follow-reads"]
        assert w["cycle"] == [1, "wr", 3, "process", 5, "wr", 7, "rw", 1]


def test_monotonic_reads_counts_every_list_comparison():
    """Kills ``_checks._mr_append`` ``tally.evidence[…] += 1`` -> ``= 1``: three growing
    reads of one list are two comparisons, each backed by the list."""
    b = HistoryBuilder()
    for v in (1, 2, 3):
        b.append(0, "x", v)
    b.read(1, "x", [1])
    b.read(1, "x", [1, 2])
    b.read(1, "x", [1, 2, 3])
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    assert r["guarantees"] == {"monotonic-reads": True}
    assert r["evidence"]["monotonic-reads"] == {"append-list": 2}


def _stale_register_behind_a_list() -> HistoryBuilder:
    """Process 0 writes x = 1, x = 2 (its own key: single-writer order), then appends
    1 to l: the element depends on x = 2."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    b.append(0, "l", 1)
    return b


def test_monotonic_writes_snapshot_of_a_list_prefix_and_a_stale_register():
    """Kills ``_causal.snapshot_deps`` ``_judged_prefix(deps, …)`` -> ``(None, …)`` (an
    ``AttributeError`` when the folded prefix is violated) and ``Deps._build``'s score
    ``s = self._value_score(…)`` -> ``s = None`` (every folded dependency unscored: the
    violation became "unknown").  One txn reads l = [1] and x = 1: it shows the append
    without the write of x = 2 made before it."""
    b = _stale_register_behind_a_list()
    b.txn(1, [["r", "l", [1]], ["r", "x", 1]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["ops"] == [3, 5, 7]
    assert w["dependency"] == {"key": "x", "value": 2, "op": 3}
    assert w["observed"] == {"key": "l", "value": 1, "op": 5}
    assert w["evidence"] == "single-writer-order"
    assert w["cycle"] == [3, "process", 5, "wr", 7, "rw", 3]


def test_consistent_prefix_folds_a_list_prefix_against_a_scored_register():
    """Kills ``_causal.Deps._build`` ``s = self._value_score(…)`` -> ``s = None`` on the
    consistent-prefix path: process 1 reads l = [1], then x = 1, which the single-writer
    order puts before x = 2, the write l's element depended on -- a violation, not
    "unknown"."""
    b = _stale_register_behind_a_list()
    b.read(1, "l", [1])
    b.read(1, "x", 1)
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    assert r["guarantees"] == {"consistent-prefix": False}
    (w,) = r["anomalies"]["consistent-prefix"]
    assert (w["ops"], w["evidence"]) == ([3, 5, 7, 9], "single-writer-order")
    assert w["dependency"] == {"key": "x", "value": 2, "op": 3}


def test_an_unscored_dependency_of_the_first_list_element_is_unknown_not_valid():
    """Kills ``_causal.Deps.judge_prefix`` ``if unk >= 0`` -> ``unk > 0`` (and the third
    pass's ``>= 1``): fail closed.  l's only element (G position 0) depends on x = 1, and
    x has two writers and no versions, so nothing orders 1 against the 2 process 1 reads
    after seeing l = [1].  The mutant called it consistent."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.append(0, "l", 1)
    b.write(2, "x", 2)
    b.read(1, "l", [1])
    b.read(1, "x", 2)
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    assert r["guarantees"] == {"consistent-prefix": "unknown"}
    assert r["undecided"]["consistent-prefix"]["count"] == 1
    (ex,) = r["undecided"]["consistent-prefix"]["examples"]
    assert (ex["key"], ex["op"], ex["value"]) == ("x", 9, 1)


def test_consistent_prefix_judges_each_writers_latest_element():
    """Kills ``_causal._per_writer`` ``poss[i - 1]`` -> ``poss[i - 2]``: when the read of
    a is not a prefix of G (no score), each writer's *latest* element of the b prefix is
    judged.  Process 0 appended a 1, b 1, a 2, b 2; process 1 read b = [1 2] and then
    a = [1 3]: b 2 came after a 2, which is missing.  The mutant judged b 1 (which needs
    only a 1) and found nothing."""
    b = HistoryBuilder()
    for key, v in (("a", 1), ("b", 1), ("a", 2), ("b", 2)):
        b.append(0, key, v)
    b.append(2, "a", 3)
    b.read(2, "a", [1, 2, 3])
    b.read(1, "b", [1, 2])
    b.read(1, "a", [1, 3])
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    (w,) = r["anomalies"]["consistent-prefix"]
    assert w["dependency"] == {"key": "a", "value": 2, "op": 5}
    assert w["observed"] == {"op": 13, "key": "b", "value": 2}
    assert w["read"] == {"op": 15, "key": "a", "value": [1, 3]}


def test_a_snapshot_of_a_register_and_the_list_its_writer_appended_to_is_valid():
    """Kills ``_order.Facts._append_includes`` ``k.gidx.get(w, …)`` -> ``get(None, …)``
    (every list prefix judged not to include the write: a false violation) and
    ``_causal._judged_one`` ``tally.evidence[ev] += 1`` -> ``+= 2``.  Process 0 appended
    a 1 and then wrote x = 1; one txn reads x = 1 and a = [1]: consistent, on one
    comparison against the list (x's dependency a 1) and one of the single-writer order
    (a's element has no earlier write of x)."""
    b = HistoryBuilder()
    b.append(0, "a", 1)
    b.write(0, "x", 1)
    b.txn(1, [["r", "x", 1], ["r", "a", [1]]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["guarantees"] == {"monotonic-writes": True}
    assert r["evidence"]["monotonic-writes"] == {"append-list": 1, "single-writer-order": 1}


# -- fifth pass, fresh sample --seed 9 (drawn after the seed-7 tests above) ---------------


def test_a_cyclic_assumption_names_the_ops_that_wrote_its_versions():
    """Kills ``_assumed._witness`` ``"ops"`` -> ``"OPS"``: the cyclic-versions witness
    names the writes of its cycle (x = 1 at op 1, x = 2 at op 5), which the report links
    to."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(1, [["r", "x", 2]])
    b.txn(2, [["w", "x", 2]])
    b.txn(3, [["r", "x", 1]])
    (w,) = check(b.history(), {"linearizable_keys": True})["anomalies"]["cyclic-versions"]
    assert (w["cycle"], w["ops"]) == ([1, 2, 1], [1, 5])


def test_consistent_prefix_folds_a_list_prefix_against_system_versions():
    """Kills ``_causal.Deps._register_score`` ``got[0] if got is not None`` -> ``if got is
    None`` (no versioned value had a score: the violation became "unknown").  x has two
    writers, so only the system's versions order it: process 0 wrote x = 2 (version 2)
    before appending l 1; process 1 read l = [1], then x = 1 (version 1)."""
    b = HistoryBuilder()
    b.write(0, "x", 1, version=1)
    b.write(0, "x", 2, version=2)
    b.write(2, "x", 3, version=3)
    b.append(0, "l", 1)
    b.read(1, "l", [1])
    b.read(1, "x", 1, version=1)
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    assert r["guarantees"] == {"consistent-prefix": False}
    (w,) = r["anomalies"]["consistent-prefix"]
    assert (w["ops"], w["evidence"]) == ([3, 7, 9, 11], "system-version")
    assert w["dependency"] == {"key": "x", "value": 2, "op": 3}


@given(seed=st.integers(0, 2**32 - 1))
def test_the_simulation_gives_a_crashed_process_a_fresh_id(seed: int) -> None:
    """Kills ``testing._Sim._finish`` ``next_process += 1`` -> ``= 1``: after an ``info``
    the simulated client continues under a fresh process id (the history contract), not
    under id 1, which is a live process -- two ops pending on one process, and a session
    that carries on past an indeterminate op.  At a 30% info rate over 40 ops a crash is
    all but certain."""
    h = linearizable_history(seed, n_ops=40, info_rate=0.3)
    pending: set[object] = set()
    crashed: set[object] = set()
    for op in h:
        if op.type == "invoke":
            assert op.process not in pending and op.process not in crashed, op
            pending.add(op.process)
        else:
            pending.discard(op.process)
            if op.type == "info":
                crashed.add(op.process)
