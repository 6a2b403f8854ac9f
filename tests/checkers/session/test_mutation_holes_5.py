"""Holes found by mutation testing (issue #19), fifth pass continued: each test names the
surviving mutant it kills (split from ``test_mutation_holes.py`` for the module size).

Every mutation below was applied by hand, the test seen to fail, and the source restored.
See docs/testing.md, "checkers/session, fifth pass (fresh samples)".
"""

from __future__ import annotations

import pytest

from checkers.session import check
from checkers.session.testing import PLANTS, HistoryBuilder, linearizable_history

# -- fifth pass, fresh sample --seed 11 (drawn after the seed-7 and seed-9 tests) ---------


def test_a_cyclic_assumption_explains_its_cycle_with_the_values():
    """Kills ``_assumed._witness`` ``_show(v)`` -> ``_show(None)``: the explanation spells
    the cycle out with its values (it read "null < null < null")."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(1, [["r", "x", 2]])
    b.txn(2, [["w", "x", 2]])
    b.txn(3, [["r", "x", 1]])
    (w,) = check(b.history(), {"linearizable_keys": True})["anomalies"]["cyclic-versions"]
    assert w["explanation"] == (
        "the declared assumptions order the versions of key 'x' cyclically: 1 < 2 < 1 "
        "(from initial-state, linearizable-keys); they do not hold on this history, so "
        "they are not used for that key"
    )


def test_monotonic_writes_snapshot_judges_each_writer_when_the_list_read_is_odd():
    """Kills ``_causal.snapshot_deps`` ``_per_writer(deps, tally, …)`` -> ``(tally, …)``
    (a ``TypeError`` on the path): one txn reads b = [1 2] and a = [1 3], which is not a
    prefix of a's G [1 2 3], so the folded maximum cannot decide and each writer is judged;
    b 2's writer had appended a 2 before it, and the snapshot lacks it."""
    b = HistoryBuilder()
    for key, v in (("a", 1), ("b", 1), ("a", 2), ("b", 2)):
        b.append(0, key, v)
    b.append(2, "a", 3)
    b.read(2, "a", [1, 2, 3])
    b.txn(1, [["r", "b", [1, 2]], ["r", "a", [1, 3]]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert (w["ops"], w["evidence"]) == ([5, 7, 13], "append-list")
    assert w["dependency"] == {"key": "a", "value": 2, "op": 5}


def test_monotonic_writes_scans_past_an_element_no_known_write_produced():
    """Kills ``_checks._mw_scan_list`` ``continue`` -> ``break`` (after an element with no
    known writer): the scan stopped there.  The read x = [9 2] shows a failed append's 9
    (not this checker's matter), then process 0's 2 without its earlier 1."""
    b = HistoryBuilder()
    b.append(2, "x", 9, type_="fail")
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.read(1, "x", [9, 2])
    (w,) = check(b.history(), {"guarantee": "monotonic-writes"})["anomalies"]["monotonic-writes"]
    assert (w["ops"], w["read"]) == ([3, 5, 7], 7)
    assert w["writes"] == [{"op": 3, "value": 1}, {"op": 5, "value": 2}]


def test_an_undecided_read_your_writes_names_the_own_write():
    """Kills ``_checks._ryw_one`` ``undecided(key, t, w, …)`` -> ``(key, t, None, …)``:
    the example names the write the read could not be ordered against (x = 1), not null.
    x has two writers and no versions, so process 0's read of 2 is undecided."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 2)
    b.read(0, "x", 2)
    r = check(b.history(), {"guarantee": "read-your-writes"})
    assert r["guarantees"] == {"read-your-writes": "unknown"}
    assert r["undecided"]["read-your-writes"]["examples"] == [
        {
            "key": "x",
            "op": 5,
            "value": 1,
            "explanation": "op 5: nothing in the history orders 1 (process 0's own write) "
            'against the value read from key "x"',
        }
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_txn_simulation_completes_reads_with_the_values_read(seed: int) -> None:
    """Kills ``testing._Sim._encode`` ``None if reads_blank and m[0] == "r"`` -> ``… or
    True``: every completed txn then read null, and the property tests over txn histories
    checked nothing but the initial state.  A linearizable txn history reads written
    values, and is valid."""
    h = linearizable_history(seed, n_ops=60, mode="txn")
    reads = [m[2] for op in h if op.type == "ok" for m in op.value if m[0] == "r"]
    assert sum(v is not None for v in reads) > len(reads) // 2
    assert check(h, {})["valid"] is True


# -- fifth pass, fresh sample --seed 13 (drawn after the seed-7, 9 and 11 tests) ---------


def test_monotonic_reads_of_a_list_key_read_as_a_non_list_is_unknown():
    """Kills ``_checks._mr_append`` ``undecided(k.key, t, …)`` -> ``(k.key, None, …)`` (an
    ``AttributeError`` on the unknown path): a read of list key x that returned no list
    cannot be compared with the earlier [1]; the verdict is unknown, naming the read."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.read(1, "x", [1])
    b.read(1, "x", "garbage")
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    assert r["guarantees"] == {"monotonic-reads": "unknown"}
    (ex,) = r["undecided"]["monotonic-reads"]["examples"]
    assert (ex["key"], ex["op"], ex["value"]) == ("x", 5, 1)


def test_a_monotonic_writes_list_violation_counts_its_evidence():
    """Kills ``_checks._mw_scan_list`` ``tally.evidence[APPEND] += 1`` -> ``-= 1``: the
    plant's one comparison (2 shown without 1) rests on the append list."""
    r = check(PLANTS["monotonic-writes"]["append"](), {"guarantee": "monotonic-writes"})
    assert r["evidence"]["monotonic-writes"] == {"append-list": 1}


def test_read_your_writes_decides_a_prefix_holding_every_own_append_at_once():
    """Kills ``_checks.read_your_writes`` ``need = … at + 1`` -> ``at + 2``: a read of the
    prefix [1 2] holds both of the process's appends, one comparison on the fast path; the
    mutant demanded one more element and judged each append apart (two)."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.read(0, "x", [1, 2])
    r = check(b.history(), {"guarantee": "read-your-writes"})
    assert r["guarantees"] == {"read-your-writes": True}
    assert r["evidence"]["read-your-writes"] == {"append-list": 1}


def test_txn_vector_clocks_are_read_per_key():
    """Kills ``_model._versions`` ``vclock.get(str(key))`` -> ``get(None)``: a txn's
    ``extra["vclock"]`` is keyed by the key; unread, x's two writers left monotonic reads
    unknown.  Process 2 reads x = 2 (clock n1:2) and then x = 1 (n1:1)."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]], vclock={"x": {"n1": 1}})
    b.txn(1, [["w", "x", 2]], vclock={"x": {"n1": 2}})
    b.txn(2, [["r", "x", 2]], vclock={"x": {"n1": 2}})
    b.txn(2, [["r", "x", 1]], vclock={"x": {"n1": 1}})
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    (w,) = r["anomalies"]["monotonic-reads"]
    assert (w["ops"], w["evidence"]) == ([5, 7], "vector-clock")


def test_a_declared_order_that_leaves_two_values_unordered_decides_nothing():
    """Kills ``_assumed.Assumed.order`` ``reaches(graph, b, a)`` -> ``reaches(graph, None,
    a)``: fail closed.  wfr_keys orders x's 2 < 3 (process 2 read 2, then wrote 3), and
    the initial state before every value, but nothing orders 1 and 2; the mutant read
    "the initial state reaches 1" as "2 is after 1" and reported process 0's read of 2
    as missing its own write of 1."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 2)
    b.txn(2, [["r", "x", 2], ["w", "x", 3]])
    b.read(0, "x", 2)
    r = check(b.history(), {"guarantee": "read-your-writes", "wfr_keys": True})
    assert r["guarantees"] == {"read-your-writes": "unknown"}
    (ex,) = r["undecided"]["read-your-writes"]["examples"]
    assert (ex["key"], ex["op"], ex["value"]) == ("x", 7, 1)


def test_a_set_read_in_first_seen_order_is_a_prefix():
    """Kills ``_order.Facts._index_append_lists`` ``seq += sorted(new, …)`` -> ``seq =
    …`` (the first-seen order of a set key never stored: G empty, every set read judged
    as an odd read, by membership alone).  Verdicts survive that, the comparisons do not:
    in the consistent-prefix set plant, process 2's read a = {2} is a prefix, so both of
    its writer's dependencies on q are judged against the folded prefix (nothing written
    before, and the {1} it had read): two comparisons, where the mutant made one."""
    r = check(PLANTS["consistent-prefix"]["set"](), {"guarantee": "consistent-prefix"})
    assert r["guarantees"] == {"consistent-prefix": False}
    assert r["evidence"]["consistent-prefix"] == {"append-list": 2}
