"""Holes found by mutation testing (issue #19), seventh pass: each test names the surviving
mutant it kills (fresh samples of 60, seeds 91, 93, 95 and 97).

Every mutation below was applied by hand, the test seen to fail, and the source restored.
See docs/testing.md, "checkers/session, seventh pass (fresh samples)".
"""

from __future__ import annotations

import pytest

from checkers.session import check
from checkers.session.testing import PLANTS, HistoryBuilder, replicated_history

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
