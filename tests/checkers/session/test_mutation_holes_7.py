"""Holes found by mutation testing (issue #19), seventh pass: each test names the surviving
mutant it kills (fresh samples of 60, seeds 91, 93, 95 and 97).

Every mutation below was applied by hand, the test seen to fail, and the source restored.
See docs/testing.md, "checkers/session, seventh pass (fresh samples)".
"""

from __future__ import annotations

import pytest

from checkers.session import check
from checkers.session.testing import (
    PLANTS,
    HistoryBuilder,
    linearizable_history,
    replicated_history,
)

# -- seventh pass, fresh sample --seed 91 (tree 2e7c841) ----------------------------------


def test_a_same_txn_pair_of_writes_does_not_end_the_monotonic_writes_scan():
    """Kills ``_checks._mw_register_orders`` ``continue`` -> ``break``: process 0 wrote
    x = 1 and x = 2 in one txn (a pair the scan skips: atomicity, not sessions), then
    x = 3; the system put 3 (version 3) before 2 (version 5), a violation the scan must
    still reach after skipping the first pair (the mutant stopped at it)."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1], ["w", "x", 2]], version={"x": 5})
    b.write(0, "x", 3, version=3)
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["writes"] == [{"op": 1, "value": 2}, {"op": 3, "value": 3}]


def test_a_writes_follow_reads_register_witness_cites_both_versions():
    """Kills ``_checks._wfr_order_violation`` ``"versions"`` -> ``"VERSIONS"``: process 1
    read x = 1 (version 2, from op 1) and then wrote x = 2, which the system put at
    version 1; the witness carries both versions and the ops that reported them."""
    b = HistoryBuilder()
    b.write(0, "x", 1, version=2)
    b.read(1, "x", 1, version=2)
    b.write(1, "x", 2, version=1)
    r = check(b.history(), {"guarantee": "writes-follow-reads"})
    (w,) = r["anomalies"]["writes-follow-reads"]
    assert w["versions"] == [{"version": 2, "op": 1}, {"version": 1, "op": 5}]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_replication_simulation_pins_reads_by_default(seed: int) -> None:
    """Kills ``testing.replicated_history`` ``reads: str = "pinned"`` -> ``"PINNED"``: the
    default scenario reads each process's own follower (the one that breaks only
    read-your-writes); the mutant's unknown mode fell through to reading any follower."""
    ops = [(op.process, op.f, op.value) for op in replicated_history(seed, 80)]
    pinned = replicated_history(seed, 80, reads="pinned")
    randomly = replicated_history(seed, 80, reads="random")
    assert ops == [(op.process, op.f, op.value) for op in pinned]
    assert ops != [(op.process, op.f, op.value) for op in randomly]


@pytest.mark.parametrize("guarantee", sorted(PLANTS))
def test_set_plants_read_sets_as_lists(guarantee: str) -> None:
    """Kills ``testing._cp_set`` ``b.read(2, "q", [])`` -> ``None``: a set store returns
    the empty set as ``[]``; the plants model a store's replies, so a read of a set key
    is always a list (``null`` is a register's initial state, a different shape)."""
    for op in PLANTS[guarantee]["set"]():
        if op.type == "ok" and op.f == "read":
            assert isinstance(op.value[1], list), op


@pytest.mark.parametrize("guarantee", ["monotonic-reads", "monotonic-writes"])
def test_version_plants_version_every_op(guarantee: str) -> None:
    """Kills ``testing._mw_versions`` ``b.read(1, "x", 1, version=2)`` -> no version: a
    version plant models a system that reports the version on every reply, a read's the
    version of the value it returned (the one its write was given)."""
    written: dict[object, int] = {}
    for op in PLANTS[guarantee]["versions"]():
        if op.type != "ok":
            continue
        assert isinstance(op.extra.get("version"), int), op
        if op.f == "write":
            written[op.value[1]] = op.extra["version"]
        else:
            assert op.extra["version"] == written[op.value[1]], op


# -- seventh pass, fresh sample --seed 93 (tree 13701ef) ----------------------------------


def test_two_snapshot_violations_are_counted_apart():
    """Kills ``_causal._snap``'s dedupe key ``(p, d.key, missing, d.k2, d.w2)`` ->
    ``None``: the txn plant of monotonic writes, twice over other keys and processes,
    gives two different violations (the mutant merged every snapshot violation into
    one)."""
    b = HistoryBuilder()
    for (p, q), (k1, k2) in (((0, 1), ("x", "y")), ((2, 3), ("a", "b"))):
        b.txn(p, [["w", k1, 1]])
        b.txn(p, [["w", k2, 1]])
        b.txn(q, [["r", k2, 1], ["r", k1, None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["violation_counts"] == {"monotonic-writes": 2}
    assert [w["dependency"]["key"] for w in r["anomalies"]["monotonic-writes"]] == ["x", "a"]


def test_a_snapshot_list_read_that_is_no_prefix_still_shows_its_writers():
    """Kills ``_causal.snapshot_deps`` ``tuple_observations(facts, k2, obs2)`` ->
    ``(facts, None, obs2)``: process 1's txn read a = [5], which is no prefix of G(a) =
    [6, 7], and x = null; 5 was appended by process 0 after it wrote x = 1, so the
    snapshot breaks monotonic writes (the mutant saw no writer in a read that is no
    prefix)."""
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(0, [["append", "a", 5]])
    b.append(2, "a", 6)
    b.append(2, "a", 7)
    b.read(3, "a", [6, 7])
    b.txn(1, [["r", "a", [5]], ["r", "x", None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert (w["observed"], w["dependency"]) == (
        {"key": "a", "value": 5, "op": 3},
        {"key": "x", "value": 1, "op": 1},
    )


def test_a_writes_follow_reads_list_witness_names_key_and_write():
    """Kills ``_checks._wfr_list_violation`` ``"key"`` -> ``"KEY"`` and its explanation's
    ``show(w2)`` -> ``show(None)``: the append plant's witness names the key and says
    which append (2) came without what its writer had read."""
    r = check(PLANTS["writes-follow-reads"]["append"](), {"guarantee": "writes-follow-reads"})
    (w,) = r["anomalies"]["writes-follow-reads"]
    assert w["key"] == "x"
    assert w["explanation"] == (
        'process 1 read 1 in key "x" (op 3) and then appended 2 (op 5), but the read at '
        "op 7 shows 2 without it [append-list]"
    )


# -- seventh pass, fresh sample --seed 95 (tree 57e4ae8) ----------------------------------


def test_a_consistent_prefix_witness_cites_the_first_read_of_the_writers_txn():
    """Kills ``_causal._cp_observe`` ``seen_reg[p][0].seq < w.seq`` -> ``<=``: process 1
    read y = 1 (op 5) and then x = 1 (op 7), both written by process 0's txn (op 3) after
    it wrote z = 1; the witness's observation is the first read that showed that txn,
    not a later read of the same txn (the mutant replaced it)."""
    b = HistoryBuilder()
    b.write(0, "z", 1)
    b.txn(0, [["w", "x", 1], ["w", "y", 1]])
    b.read(1, "y", 1)
    b.read(1, "x", 1)
    b.read(1, "z", None)
    (w,) = check(b.history(), {"guarantee": "consistent-prefix"})["anomalies"]["consistent-prefix"]
    assert w["observed"] == {"op": 5, "key": "y", "value": 1}
    assert w["ops"] == [1, 3, 5, 9]


def test_a_snapshot_with_the_initial_register_misses_an_unordered_dependency():
    """Kills ``_causal.Deps.judge_prefix`` ``not k.append and obs is None …`` -> ``k.append
    and …``: x has two writers and no versions, so process 0's write x = 1 has no score;
    but process 1's snapshot read a = [5] (appended by process 0 after x = 1) and x =
    null, the initial state, which includes no write: a violation, not "unknown"."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.append(0, "a", 5)
    b.write(2, "x", 2)
    b.txn(1, [["r", "a", [5]], ["r", "x", None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["guarantees"] == {"monotonic-writes": False}
    (w,) = r["anomalies"]["monotonic-writes"]
    assert (w["dependency"], w["evidence"]) == ({"key": "x", "value": 1, "op": 1}, "initial-state")


def test_an_initial_register_snapshot_names_the_scored_dependency():
    """Kills ``_causal.Deps.judge_prefix`` ``best if best >= 0 else unk`` -> always
    ``unk``: x has one writer (scored by its write order); the snapshot read a = [5] of
    G(a) = [5, 6] and x = null.  The missed dependency is that of 5 (at G position
    ``best``), not of position ``unk`` = -1 (6, whose writer wrote no x: the mutant
    found no dependency and called the guarantee kept)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.append(0, "a", 5)
    b.append(2, "a", 6)
    b.read(3, "a", [5, 6])
    b.txn(1, [["r", "a", [5]], ["r", "x", None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["observed"] == {"key": "a", "value": 5, "op": 3}


def test_a_read_your_writes_list_witness_shows_the_list_read():
    """Kills ``_checks._ryw_one`` ``facts.show(key, obs)`` -> ``show(None, obs)`` and the
    plant ``testing._ryw_append``'s ``b.read(0, "x", [2])`` -> ``None``: process 0 read
    [2] (a prefix of G, kept as its length 1) after appending 1; the witness shows the
    list as read, not the length, and the plant's read is the other writer's [2]."""
    r = check(PLANTS["read-your-writes"]["append"](), {"guarantee": "read-your-writes"})
    (w,) = r["anomalies"]["read-your-writes"]
    assert w["read"] == {"op": 5, "value": [2]}
    assert "and then read [2] (op 5)" in w["explanation"]


def test_a_set_read_is_shown_sorted_not_in_first_seen_order():
    """Kills ``_order.Facts.show`` ``sorted(…) if k.unordered`` -> ``if … and False``:
    G(s) is [2, 1] (2 was seen first); process 1's read of both is shown as the set
    [1, 2], sorted, as every set is (the mutant showed G's order)."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(2, "add", ["s", 2])
    b.read(9, "s", [2])
    b.read(1, "s", [1, 2])
    b.read(1, "s", [])
    (w,) = check(b.history(), {"guarantee": "monotonic-reads"})["anomalies"]["monotonic-reads"]
    assert w["reads"] == [{"op": 7, "value": [1, 2]}, {"op": 9, "value": []}]


def test_the_simulation_writes_one_two_three_in_invocation_order():
    """Kills ``testing._Sim._mops`` ``next_value += 1`` -> ``-= 1``: each simulated write
    is the next fresh value 1, 2, 3, ... (the values name the writes, in order)."""
    h = linearizable_history(0, 40)
    values = [op.value[1] for op in h if op.type == "invoke" and op.f == "write"]
    assert len(values) > 5
    assert values == list(range(1, len(values) + 1))


def test_ignored_and_malformed_ops_both_count_towards_an_unknown_verdict():
    """Kills ``check``'s ``left_out = ignored + skipped`` -> ``ignored - skipped``: one
    ``cas`` op (ignored) and one read completed as a ``txn`` (malformed) leave no read to
    judge: fail closed, unknown, naming both (the mutant's 0 called it valid)."""
    b = HistoryBuilder()
    b.op(0, "cas", ["x", [1, 2]])
    b.invoke(1, "read", ["x", None])
    b.complete(1, "txn", [["r", "x", 1]])
    b.write(2, "x", 1)
    r = check(b.history(), {})
    assert r["valid"] == "unknown"
    assert r["reason"].endswith("; 2 ops were ignored or malformed")


# -- seventh pass, fresh sample --seed 97 (tree 93135d4) ----------------------------------


def test_an_undecided_snapshot_dependency_names_its_key():
    """Kills ``_causal._judged_one`` ``undecided(k1, …)`` -> ``undecided(None, …)``: x has
    two writers and no versions, so whether process 1's snapshot x = 2 includes process
    0's x = 1 (written before y = 1, which the snapshot shows) is unknown; the example
    names key x."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    b.write(2, "x", 2)
    b.txn(1, [["r", "y", 1], ["r", "x", 2]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["guarantees"] == {"monotonic-writes": "unknown"}
    (example,) = r["undecided"]["monotonic-writes"]["examples"]
    assert (example["key"], example["op"], example["value"]) == ("x", 7, 1)


def test_a_snapshot_witness_shows_the_read_that_misses_the_dependency():
    """Kills ``_causal._snap`` ``"read"`` -> ``"XXreadXX"``: the txn plant's witness says
    which read of the snapshot (op 5, key x) lacked process 0's write."""
    r = check(PLANTS["monotonic-writes"]["txn"](), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["read"] == {"op": 5, "key": "x", "value": None}


def test_a_list_key_read_returning_no_list_stays_unknown_on_every_later_read():
    """Kills ``_checks._mr_append`` ``keep.append((pobs, pt))`` -> ``keep.append(None)``:
    process 1 read x (an append key) as 7, then twice as [1]; each later read is compared
    with the 7 again, unknown both times (the mutant kept no earlier read, and crashed on
    the third).  Also guards the bug this found: a non-list int read of a list key was
    taken for a prefix length of G (7 > len(G): IndexError, a traceback); it is now kept
    apart (``_order.Scalar``) and judged unknown."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.read(1, "x", 7)
    b.read(1, "x", [1])
    b.read(1, "x", [1])
    r = check(b.history(), {"guarantee": "monotonic-reads"})
    assert r["guarantees"] == {"monotonic-reads": "unknown"}
    assert r["undecided"]["monotonic-reads"]["count"] == 2
    assert [e["value"] for e in r["undecided"]["monotonic-reads"]["examples"]] == [7, 7]


def test_a_list_key_read_returning_the_int_zero_is_not_the_empty_list():
    """Guards the bug above (no mutant): process 0 appended 1 to x, then a read of x
    returned 0, not a list.  It was taken for the empty prefix and reported as a
    read-your-writes violation ("read []"); it is unknown, as any read that is no list."""
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.read(0, "x", 0)
    r = check(b.history(), {"guarantee": "read-your-writes"})
    assert r["guarantees"] == {"read-your-writes": "unknown"}
    assert r["anomalies"] == {}


@pytest.mark.parametrize("seed", [0, 1])
def test_the_replication_simulation_writes_the_index_of_its_completion(seed: int) -> None:
    """Kills ``testing.replicated_history`` ``len(b.ops) + 1`` -> ``+ 2``: each written
    value is the index of the op that completed the write, so a witness's value points
    at its write."""
    h = replicated_history(seed, 60)
    writes = [op for op in h if op.f == "write" and op.type == "ok"]
    assert len(writes) > 5
    assert all(op.value[1] == op.index for op in writes)


def test_the_builder_blanks_a_txns_reads_in_its_invocation():
    """Kills ``testing.HistoryBuilder.txn`` ``None if m[0] == "r"`` -> ``m[1] == "r"``:
    the invocation of a txn carries its writes' values and no read results, whatever the
    keys are called (here a key named "r")."""
    b = HistoryBuilder()
    b.txn(0, [["r", "x", 1], ["w", "r", 2]])
    invoke, complete = b.history()
    assert invoke.value == [["r", "x", None], ["w", "r", 2]]
    assert complete.value == [["r", "x", 1], ["w", "r", 2]]


# -- seventh pass, an extra fresh sample --seed 99 (tree d7ff47f, after the seed-97 tests) --


def test_a_list_snapshot_checks_every_other_key_it_read():
    """Kills ``_causal.snapshot_deps``'s ``continue`` after judging a prefix -> ``break``:
    process 1's txn read a = [5] (appended by process 0 after writing x = 1 and then
    y = 1), x = 1 and y = null.  After x (kept) the snapshot must still judge y, the one
    it misses (the mutant stopped at the first other key)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    b.append(0, "a", 5)
    b.txn(1, [["r", "a", [5]], ["r", "x", 1], ["r", "y", None]])
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    (w,) = r["anomalies"]["monotonic-writes"]
    assert w["dependency"] == {"key": "y", "value": 1, "op": 3}


def test_a_writer_that_read_the_initial_state_gives_no_consistent_prefix_evidence():
    """Kills ``_causal.Deps.scored`` ``empty = v is None or …`` -> ``empty = None``:
    process 0 read x = null before writing y = 1, so y depends on nothing in x (which
    process 2 writes later); process 1's read of x = null after y = 1 is no comparison at
    all, and no evidence is counted (the mutant counted a fast-path comparison against
    an empty dependency)."""
    b = HistoryBuilder()
    b.read(0, "x", None)
    b.write(2, "x", 2)
    b.write(0, "y", 1)
    b.read(1, "y", 1)
    b.read(1, "x", None)
    r = check(b.history(), {"guarantee": "consistent-prefix"})
    assert r["guarantees"] == {"consistent-prefix": True}
    assert r["evidence"] == {"consistent-prefix": {}}


@pytest.mark.parametrize("mode", ["register", "txn"])
def test_an_indeterminate_simulated_read_reports_no_value(mode: str) -> None:
    """Kills ``testing._Sim._encode`` ``None if reads_blank and m[0] == "r"`` -> ``… and
    False``: an op that ends ``info`` reports no result, so its reads are blank even when
    the read took effect (the mutant reported the value read)."""
    h = linearizable_history(0, 100, mode=mode, info_rate=0.5)
    infos = [op for op in h if op.type == "info"]
    assert len(infos) > 10
    for op in infos:
        mops = op.value if mode == "txn" else [["r" if op.f == "read" else "w", *op.value]]
        assert all(m[2] is None for m in mops if m[0] == "r"), op
