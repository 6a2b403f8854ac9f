"""Holes found by mutation testing (issue #19), sixth pass: each test names the surviving
mutant it kills (fresh samples of 60, seeds 41, 43 and 45).

Every mutation below was applied by hand, the test seen to fail, and the source restored.
See docs/testing.md, "checkers/session, sixth pass (fresh samples)".
"""

from __future__ import annotations

import pytest

from checkers.session import GUARANTEES, check
from checkers.session.testing import (
    PLANTS,
    HistoryBuilder,
    linearizable_history,
    replicated_history,
)
from ddialab.errors import UsageError

# -- sixth pass, fresh sample --seed 41 ---------------------------------------------------


def test_each_op_the_checker_cannot_read_is_counted_apart():
    """Kills ``_model.parse`` ``skipped += 1`` -> ``skipped = 1``: two reads completed as
    ``txn`` ops (a completion whose ``f`` is not its invocation's) cannot be read as the
    invocation's single-object op; both are counted, not one."""
    b = HistoryBuilder()
    for p in (0, 1):
        b.invoke(p, "read", ["x", None])
        b.complete(p, "txn", [["r", "x", 1]])
    b.write(2, "x", 1)
    r = check(b.history(), {})
    assert (r["ops_checked"], r["ops_skipped"], r["ops_ignored"]) == (1, 2, 0)


def test_a_cycle_through_a_write_no_op_made_is_left_out():
    """Kills ``_tally.cycle`` ``None if any(x is None …)`` -> ``… and False``: process 1
    read 9, which no op wrote, and then the initial state; the monotonic-reads witness
    stands, but its cycle would run through an unknown op, so the witness has none (the
    mutant put ``None`` in the cycle as an op).  Also guards the bug this found: the
    witness carried ``"cycle": null``, which the witness schema rejects (the checkers'
    conftest failed the test); ``Tally.violation`` now leaves the key out."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.read(1, "x", 9)
    b.read(1, "x", None)
    (w,) = check(b.history(), {"guarantee": "monotonic-reads"})["anomalies"]["monotonic-reads"]
    assert (w["missing"], w["evidence"]) == (9, "initial-state")
    assert "cycle" not in w


def test_a_monotonic_writes_list_read_without_the_earlier_append_has_a_wr_rw_cycle():
    """Kills ``_checks._mw_list_violation``'s "without it" cycle losing its first op
    (``cycle("process", t2.op, …)``) and ``"rw"`` -> ``"XXrwXX"``: process 0 appended 1
    (op 1) then 2 (op 3); the read at op 5 shows 2 and not 1."""
    r = check(PLANTS["monotonic-writes"]["append"](), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["cycle"] == [1, "process", 3, "wr", 5, "rw", 1]


def test_a_writes_follow_reads_list_read_with_the_order_reversed_has_a_ww_cycle():
    """Kills ``_checks._wfr_list_violation`` ``tail = ["ww", o1] if after`` -> ``if after
    and False``: process 1 read [1] and then appended 2, but the read at op 7 shows 2
    *before* 1, so the cycle closes with a write-write edge, not the "without it" one."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.read(1, "x", [1])
    b.append(1, "x", 2)
    b.read(2, "x", [2, 1])
    (w,) = check(b.history(), {"guarantee": "writes-follow-reads"})["anomalies"][
        "writes-follow-reads"
    ]
    assert w["cycle"] == [1, "wr", 3, "process", 5, "ww", 1]
    assert "shows 2 after it" in w["explanation"]


def test_consistent_prefix_observes_the_writers_of_a_list_read_that_is_no_prefix():
    """Kills ``_causal._cp_observe`` ``tuple_observations(facts, k2, …)`` -> ``(facts,
    None, …)`` and ``_causal.tuple_observations`` ``k.writes.get(e)`` -> ``get(None)``:
    process 1's read a = [2 1] is not a prefix of a's list [1 2], so each writer's
    element in it is an observation; process 0 had appended x 1 before a 1, and process
    1's next read x = [] lacks it.  Unobserved, the violation was missed."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "a", 1)
    b.append(2, "a", 2)
    b.read(3, "a", [1, 2])
    b.read(1, "a", [2, 1])
    b.read(1, "x", [])
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    (w,) = r["anomalies"]["consistent-prefix"]
    assert w["observed"] == {"op": 9, "key": "a", "value": 1}
    assert w["dependency"] == {"key": "x", "value": 1, "op": 1}
    assert w["cycle"] == [1, "process", 3, "wr", 9, "process", 11, "rw", 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_replication_simulation_defaults_to_three_followers(seed: int) -> None:
    """Kills ``testing.replicated_history`` ``followers: int = 3`` -> ``4``: the default
    scenario (the replication tests' lag figures) is three followers; the follower count
    changes which follower each process reads, so the histories differ."""
    ops = [(op.process, op.f, op.value) for op in replicated_history(seed, 80)]
    three = [(op.process, op.f, op.value) for op in replicated_history(seed, 80, followers=3)]
    four = [(op.process, op.f, op.value) for op in replicated_history(seed, 80, followers=4)]
    assert ops == three
    assert ops != four


# -- sixth pass: seed 41 re-run on the edited tree (a different sample: the mutant list
# -- changed), and fresh sample --seed 43 ---------------------------------------------------


def test_each_op_outside_the_vocabulary_is_counted_as_ignored():
    """Kills ``_model.parse`` ``ignored += 1`` -> ``ignored = 1``: two ``cas`` ops (no
    session f) are both counted; the result says how many ops it left out."""
    b = HistoryBuilder()
    b.op(0, "cas", ["x", [1, 2]])
    b.op(1, "cas", ["x", [2, 3]])
    b.write(2, "x", 1)
    b.read(3, "x", 1)
    r = check(b.history(), {})
    assert (r["ops_checked"], r["ops_skipped"], r["ops_ignored"]) == (2, 0, 2)


def test_a_monotonic_reads_witness_names_its_process():
    """Kills ``_checks._mr_violation`` ``"process"`` -> ``"PROCESS"``: the witness says
    whose session went back in time (process 1 of the register plant)."""
    r = check(PLANTS["monotonic-reads"]["register"](), {"guarantee": "monotonic-reads"})
    (w,) = r["anomalies"]["monotonic-reads"]
    assert (w["process"], w["key"], w["ops"]) == (1, "x", [3, 5])


def test_a_value_given_two_versions_orders_nothing():
    """Kills ``_order.Facts.precedes`` ``a in k.conflicting or b in …`` -> ``and``: fail
    closed.  x = 1 was written at version 2 and read at version 3, so its version is
    contradictory; process 0's writes 1 then 2 (version 1) cannot be ordered, and the
    verdict is unknown (the mutant used 1's first version and reported a violation)."""
    b = HistoryBuilder()
    b.write(0, "x", 1, version=2)
    b.write(0, "x", 2, version=1)
    b.read(1, "x", 1, version=3)
    b.read(1, "x", 2, version=1)
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["guarantees"] == {"monotonic-writes": "unknown"}
    assert r["anomalies"] == {}


def test_a_consistent_prefix_witness_shows_the_list_read_as_read():
    """Kills ``_causal._cp`` ``facts.show(d.key, obs)`` -> ``show(None, obs)``: process 2's
    read of q (the set plant) is the empty set, shown as ``[]``, not as its prefix length
    0."""
    r = check(PLANTS["consistent-prefix"]["set"](), {"guarantee": "consistent-prefix"})
    (w,) = r["anomalies"]["consistent-prefix"]
    assert w["read"] == {"op": 9, "key": "q", "value": []}
    assert "then read [] from key" in w["explanation"]


def test_a_writer_that_read_an_empty_list_depends_on_nothing_there():
    """Kills ``_causal.Deps.of`` ``r[0] in (0, ())`` -> ``r[1] in (0, ())``: process 0 read
    l = [] before writing x = 1, which is no dependency on l; the snapshot [x 1, l [1]]
    makes one comparison (the list's writer on x), where the mutant judged a second,
    empty one."""
    b = HistoryBuilder()
    b.read(0, "l", [])
    b.write(0, "x", 1)
    b.append(2, "l", 1)
    b.txn(1, [["r", "x", 1], ["r", "l", [1]]])
    r = check(b.history(), {"guarantee": "writes-follow-reads"})
    assert r["guarantees"] == {"writes-follow-reads": True}
    assert r["evidence"]["writes-follow-reads"] == {"single-writer-order": 1}


def test_monotonic_writes_on_lists_reports_each_pair_of_writes():
    """Kills ``_checks._mw_list_violation`` dedupe ``(t1.process, k.key, w1, w2)`` ->
    ``None`` (every list violation after the first dropped as a duplicate) and
    ``"evidence"`` -> ``"EVIDENCE"``: two processes each have a later append shown
    without their earlier one, on two keys."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.append(3, "y", 1)
    b.append(3, "y", 2)
    b.read(1, "x", [2])
    b.read(1, "y", [2])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["violation_counts"] == {"monotonic-writes": 2}
    ws = r["anomalies"]["monotonic-writes"]
    assert [(w["process"], w["key"], w["evidence"]) for w in ws] == [
        (0, "x", "append-list"),
        (3, "y", "append-list"),
    ]


def test_an_undecided_monotonic_writes_order_names_the_two_writes():
    """Kills ``_checks._mw_register_orders`` ``tally.unknown(_order_undecided(…))`` ->
    ``unknown(None)``: x has two writers and no versions, so process 0's writes 1 and 2
    are not ordered (2 was read); the example says so."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    b.write(1, "x", 3)
    b.read(2, "x", 2)
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["undecided"]["monotonic-writes"] == {
        "count": 1,
        "examples": [
            {
                "key": "x",
                "process": 0,
                "values": [1, 2],
                "explanation": 'nothing in the history orders 1 and 2 on key "x" '
                "(process 0's writes)",
            }
        ],
    }


def test_a_monotonic_writes_set_violation_names_the_first_read_showing_it():
    """Kills ``_checks._mw_scan_list`` ``k.gidx.get(e if later is None else w1, i)`` ->
    ``get(w1, i)``: on a set the scan visits elements in session order, so ``i`` is not
    the element's place in the first-seen order [1 9].  Process 0 added 2, then 1; the
    read at op 7 ({1}) is the first to show 1 without 2 (the mutant named op 9's)."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 2])
    b.op(0, "add", ["s", 1])
    b.op(3, "add", ["s", 9])
    b.read(1, "s", [1])
    b.read(1, "s", [1, 9])
    (w,) = check(b.history(), {"guarantee": "monotonic-writes"})["anomalies"]["monotonic-writes"]
    assert (w["ops"], w["read"]) == ([1, 3, 7], 7)


def test_the_txn_simulation_completes_an_indeterminate_op_as_info():
    """Kills ``testing._Sim._finish`` ``complete(p, f, value, "info")`` -> ``"INFO"``: the
    simulation's indeterminate completions have the history contract's type ``info``
    (the checker happened to read "INFO" the same way)."""
    h = linearizable_history(0, n_ops=40, info_rate=0.5)
    assert {op.type for op in h} == {"invoke", "ok", "info"}


# -- sixth pass: seed 43 re-run on the edited tree (a different sample again), and fresh
# -- sample --seed 45 ---------------------------------------------------------------------


def _reversed_appends() -> HistoryBuilder:
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.read(1, "x", [2])
    b.read(1, "x", [2, 1])
    return b


def test_a_monotonic_writes_list_read_in_reversed_order_names_the_read_showing_both():
    """Kills ``_checks._mw_list_violation``'s reversed cycle ``cycle(t1.op, …)`` ->
    ``cycle(None, …)`` and ``_checks._mw_scan_list`` ``e if later is None else w1`` ->
    ``e if … or True …``: G is [2 1], so process 0's 2 shows *before* its earlier 1; the
    witness names the shortest read holding 1 (op 7, [2 1]), not the read of [2] (op 5,
    which the mutant named although it does not show the order at all)."""
    r = check(_reversed_appends().history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert (w["ops"], w["read"]) == ([1, 3, 7], 7)
    assert w["cycle"] == [1, "process", 3, "ww", 1]


def test_max_witnesses_caps_the_witnesses_not_the_count():
    """Kills ``check`` ``options.get("max_witnesses", …)`` -> ``"MAX_WITNESSES"``: with a
    cap of 1, two monotonic-writes violations are counted and one is shown."""
    b = HistoryBuilder()
    for p, key in ((0, "x"), (3, "y")):
        b.append(p, key, 1)
        b.append(p, key, 2)
    b.read(1, "x", [2])
    b.read(1, "y", [2])
    r = check(b.history(), {"guarantee": "monotonic-writes", "max_witnesses": 1})
    assert r["violation_counts"] == {"monotonic-writes": 2}
    assert len(r["anomalies"]["monotonic-writes"]) == 1


def test_a_snapshot_witness_names_the_writer_process():
    """Kills ``_causal._snap`` ``"process"`` -> ``"XXprocessXX"``: the txn plant's
    monotonic-writes witness names process 0, whose two writes the snapshot splits."""
    r = check(PLANTS["monotonic-writes"]["txn"](), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert (w["process"], w["kind"]) == (0, "wrote")


def test_consistent_prefix_leaves_a_readers_own_writes_to_read_your_writes():
    """Kills ``_causal.consistent_prefix`` ``_cp_observe(facts, reader, …)`` -> ``(facts,
    None, …)``: process 0 reads back its own y = 1 and then misses its own x = 1; that is
    read-your-writes, not consistent prefix (the mutant observed its own writes too)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    b.read(0, "y", 1)
    b.read(0, "x", None)
    r = check(b.history(), {})
    assert r["anomaly_types"] == ["read-your-writes"]
    assert r["guarantees"]["consistent-prefix"] is True


def test_a_snapshot_reading_a_key_nobody_wrote_still_judges_the_other_keys():
    """Kills ``_causal.snapshot_deps`` ``continue`` -> ``break`` (past a read key the
    facts do not know): the txn reads z (never written) first, then y = 1 and x = null,
    which misses process 0's x = 1 written before y = 1."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(0, [["w", "y", 1]])
    b.txn(1, [["r", "z", 5], ["r", "y", 1], ["r", "x", None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["dependency"] == {"key": "x", "value": 1, "op": 1}


def test_a_consistent_prefix_witness_names_the_missing_element_not_the_read():
    """Kills ``_causal.Deps.missing`` ``m is NOTHING`` -> ``m is not NOTHING``: process 1
    read q = {7} before adding a 2; process 2 saw a 2 and then q = {}: the dependency
    missed is the element 7 (the mutant gave the read's prefix length, 1; in the set
    plant the element is 1, so the two coincided)."""
    b = HistoryBuilder()
    b.op(0, "add", ["q", 7])
    b.read(1, "q", [7])
    b.op(1, "add", ["a", 2])
    b.read(2, "a", [2])
    b.read(2, "q", [])
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    (w,) = r["anomalies"]["consistent-prefix"]
    assert w["dependency"] == {"key": "q", "value": 7, "op": 3}
    assert "after it read 7 on key" in w["explanation"]


def test_an_undecided_monotonic_read_says_what_it_compared():
    """Kills ``_checks._mr_register`` ``"read earlier by the same process"`` -> ``None``
    and -> ``"XX…XX"``: x has two writers and no versions, so process 2's read of 2
    after 1 cannot be ordered; the example says what 1 was."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 2)
    b.read(2, "x", 1)
    b.read(2, "x", 2)
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    (ex,) = r["undecided"]["monotonic-reads"]["examples"]
    assert ex["explanation"] == (
        "op 7: nothing in the history orders 1 (read earlier by the same process) against "
        'the value read from key "x"'
    )


def test_a_set_element_no_prefix_read_shows_is_named_by_the_read_that_shows_it():
    """Kills ``_order.Facts.shortest_read_with`` ``i < len(…)`` -> ``i <= len(…)`` (an
    ``IndexError``), and guards the bug this found: s's first-seen order is [9 1], but
    the read {1} (op 9) is no prefix of it, so no prefix read holds 1; the witness of
    process 0's 1 shown without its earlier 2 said "the read at op None" and had no
    cycle.  It now names op 9, the first read holding 1."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 2])
    b.op(0, "add", ["s", 1])
    b.op(3, "add", ["s", 9])
    b.read(1, "s", [9])
    b.read(2, "s", [1])
    (w,) = check(b.history(), {"guarantee": "monotonic-writes"})["anomalies"]["monotonic-writes"]
    assert (w["ops"], w["read"]) == ([1, 3, 9], 9)
    assert w["cycle"] == [1, "process", 3, "wr", 9, "rw", 1]
    assert "the read at op 9 shows 1 without it" in w["explanation"]


def test_the_monotonic_writes_versions_plant_versions_its_writes():
    """Kills ``testing._mw_versions`` ``b.write(0, "x", 1, version=2)`` -> ``version=None``:
    the plant's point is that the *writes* carry the system's versions (2, then 1); the
    mutant's order came only from the read, and the witness cited the read's op for it."""
    r = check(PLANTS["monotonic-writes"]["versions"](), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["versions"] == [{"version": 2, "op": 1}, {"version": 1, "op": 3}]


@pytest.mark.parametrize(
    ("guarantee", "named"),
    [("causal, monotonic-reads, linear", "causal, linear"), (" , ", "' , '")],
)
def test_an_unknown_guarantee_is_named_in_the_usage_error(guarantee: str, named: str) -> None:
    """Kills ``_selected``'s message ``', '.join(unknown) or repr(guarantee)`` -> ``'XX,
    XX'.join(…)`` and -> ``… and repr(guarantee)``: the error names each unknown name,
    comma-separated (not the whole option), and the option as given when it names
    nothing at all."""
    with pytest.raises(UsageError) as err:
        check(PLANTS["monotonic-reads"]["register"](), {"guarantee": guarantee})
    assert str(err.value) == (f"unknown session guarantee {named}; known: {', '.join(GUARANTEES)}")


# -- sixth pass, fresh sample --seed 47 (drawn on the final tree, a6bd67d) ------------------


def test_a_writer_depends_on_what_it_read_in_the_same_txn():
    """Kills ``_causal.Deps._build`` ``find = bisect_left if verb == WROTE else
    bisect_right`` -> always ``bisect_left``: a txn's write follows the reads *of that
    txn* too.  Process 1 read q = [1] and appended a 2 in one txn; process 2's snapshot
    shows a 2 and q = [], so the writes-follow-reads dependency is missing (the mutant
    looked only at earlier txns and found none)."""
    b = HistoryBuilder()
    b.append(0, "q", 1)
    b.txn(1, [["r", "q", [1]], ["append", "a", 2]])
    b.txn(2, [["r", "a", [2]], ["r", "q", []]])
    (w,) = check(b.history(), {"guarantee": "writes-follow-reads"})["anomalies"][
        "writes-follow-reads"
    ]
    assert (w["ops"], w["dependency"]) == ([3, 3, 5], {"key": "q", "value": 1, "op": 3})


def test_an_undecided_folded_prefix_names_its_first_unscored_dependency():
    """Kills ``_causal.Deps._build`` ``unk = i if unk < 0 else unk`` -> ``unk < 1``: the
    folded record keeps the *first* element of l whose dependency on x has no score;
    with it at position 0, the mutant moved on to the next (process 1's x = 2)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.append(0, "l", 1)
    b.write(1, "x", 2)
    b.append(1, "l", 2)
    b.read(3, "l", [1, 2])
    b.txn(2, [["r", "l", [1, 2]], ["r", "x", 1]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (ex,) = r["undecided"]["monotonic-writes"]["examples"]
    assert (ex["value"], ex["op"]) == (1, 11)
    assert "(process 0 wrote it)" in ex["explanation"]


def test_every_undecided_comparison_is_counted():
    """Kills ``_tally.Tally.unknown`` ``undecided += 1`` -> ``= 1``: two processes each
    read x = 1 and then 2 (two writers, no versions): two undecided comparisons."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 2)
    for p in (2, 3):
        b.read(p, "x", 1)
        b.read(p, "x", 2)
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    assert r["undecided"]["monotonic-reads"]["count"] == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_the_linearizable_simulation_defaults_to_three_keys(seed: int) -> None:
    """Kills ``testing.linearizable_history`` ``keys: int = 3`` -> ``4``: the default
    history uses the keys k0, k1 and k2."""
    h = linearizable_history(seed, n_ops=60)
    assert {op.value[0] for op in h} == {"k0", "k1", "k2"}


def test_a_write_does_not_depend_on_another_write_of_its_own_txn():
    """Kills ``_causal.Deps._build`` ``find = bisect_left if verb == WROTE else
    bisect_right`` -> always ``bisect_right``: monotonic writes orders a session's
    *earlier* txns' writes; two appends of one txn are atomicity, not a session matter.
    Process 0 appended q 1, then q 2 and a 1 in one txn; a snapshot showing a 1 with
    q = [1] has a 1's dependency (q 1).  The mutant folded q 2 in as the dependency and
    reported q 1 missing from a state that holds it."""
    b = HistoryBuilder()
    b.txn(0, [["append", "q", 1]])
    b.txn(0, [["append", "q", 2], ["append", "a", 1]])
    b.read(3, "q", [1, 2])
    b.txn(1, [["r", "a", [1]], ["r", "q", [1]]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["guarantees"] == {"monotonic-writes": True}
