from checkers.invariants import check_convergence, check_durability
from checkers.session.testing import HistoryBuilder


def _replicated(states, nemesis_last=False):
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.write(0, "r", 5)
    b.nemesis("heal")
    for node, (xs, r) in states.items():
        b.op(9, "final-read", ["x", None], result=["x", xs], node=node)
        b.op(9, "final-read", ["r", None], result={"r": r}, node=node)
    if nemesis_last:
        b.nemesis("partition")
    return b.history()


def test_converged_replicas_are_valid():
    r = check_convergence(_replicated({"n1": ([1, 2], 5), "n2": ([1, 2], 5)}), {})
    assert r["valid"] is True
    assert r["replicas"] == ["n1", "n2"]


def test_divergence_and_lost_writes_by_value():
    r = check_convergence(_replicated({"n1": ([1, 2], 5), "n2": ([1], 5)}), {})
    assert r["anomaly_types"] == ["divergence", "lost-writes"]
    (lost,) = r["anomalies"]["lost-writes"]
    assert lost["value"] == 2 and lost["replicas"] == ["n2"]
    assert lost["explanation"] == (
        '2 was acknowledged for key "x" (op 3) but is missing from the final state of n2'
    )


def test_unexpected_register_value():
    r = check_convergence(_replicated({"n1": ([1, 2], 6), "n2": ([1, 2], 6)}), {})
    assert r["anomaly_types"] == ["unexpected"]


def test_unknown_without_final_reads_or_before_healing_or_missing_replica():
    """Guards the fail-closed rules: empty is valid, but ops without a final read, final
    reads before healing, or a named replica never read are unknown, not valid."""
    assert check_convergence(HistoryBuilder().history(), {})["valid"] is True
    b = HistoryBuilder()
    b.op(0, "write", [1, 1])
    assert check_convergence(b.history(), {})["valid"] == "unknown"
    h = _replicated({"n1": ([1, 2], 5)}, nemesis_last=True)
    assert check_convergence(h, {})["valid"] == "unknown"
    h = _replicated({"n1": ([1, 2], 5)})
    r = check_convergence(h, {"nodes": ["n1", "n2"]})
    assert r["valid"] == "unknown" and "n2" in r["reason"]


def _storage(after_crash_read, durable=True):
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2, durable=durable or None)
    b.append(0, "l", 7, durable=True)
    b.nemesis("crash")
    b.read(1, "x", after_crash_read)
    b.read(1, "l", [7])
    return b.history()


def test_durable_write_survives():
    assert check_durability(_storage(2), {})["valid"] is True


def test_rolled_back_durable_write_is_flagged():
    r = check_durability(_storage(1), {})
    (w,) = r["anomalies"]["lost-durable-writes"]
    assert w["ops"] == [3, 6, 9]
    assert w["explanation"] == (
        '2 was written durably to key "x" (op 3), the system crashed (op 6), and the read '
        "at op 9 returned 1, without it"
    )
    assert check_durability(_storage(None), {})["valid"] is False
    assert check_durability(_storage(1, durable=False), {})["valid"] is True


def test_no_crash_is_unknown():
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    assert check_durability(b.history(), {})["valid"] == "unknown"


def test_durable_append_missing_after_crash_reported_once():
    b = HistoryBuilder()
    b.append(0, "l", 7, durable=True)
    b.append(0, "l", 8)  # not durable: may be lost
    b.nemesis("crash")
    b.read(1, "l", [])
    b.read(1, "l", [])
    r = check_durability(b.history(), {})
    assert [w["value"] for w in r["anomalies"]["lost-durable-writes"]] == [7]


def test_final_reads_racing_writes_are_unknown():
    b = HistoryBuilder()
    b.invoke(0, "append", ["x", 1])
    b.op(9, "final-read", ["x", None], result=["x", []], node="n1")
    b.complete(0, "append", ["x", 1])
    r = check_convergence(b.history(), {})
    assert r["valid"] == "unknown" and "quiesced" in r["reason"]


def test_keys_written_outside_the_vocabulary_are_judged_on_agreement_alone():
    b = HistoryBuilder()
    b.op(0, "incr", [0, 2])
    b.op(9, "final-read", [0, None], result=[0, 2], node="n1")
    b.op(9, "final-read", [0, None], result=[0, 2], node="n2")
    assert check_convergence(b.history(), {})["valid"] is True
    b.op(9, "final-read", [0, None], result=[0, 3], node="n3")
    assert check_convergence(b.history(), {})["anomaly_types"] == ["divergence"]


def test_crash_but_no_durable_write_is_unknown_with_reason():
    """Guards fail-closed durability: writes never marked durable promise nothing, so a
    crash over them is "unknown" with the reason, not a vacuous true."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.nemesis("crash")
    b.read(1, "x", None)  # would be a loss, had the write been promised durable
    r = check_durability(b.history(), {})
    assert r["valid"] == "unknown" and "no write marked durable" in r["reason"]
    assert r["durable_writes"] == 0


def test_durable_write_never_read_after_a_crash_is_unknown():
    """Guards that durable writes no crash-then-read tested do not make a true: the only
    read comes before the crash."""
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.read(1, "x", 1)
    b.nemesis("crash")
    r = check_durability(b.history(), {})
    assert r["valid"] == "unknown" and r["checked_writes"] == 0
    assert "followed by a crash and then a read" in r["reason"]


def test_true_says_how_many_writes_it_checked():
    """Guards the count a true rests on: both durable writes of the fixture were tested."""
    r = check_durability(_storage(2), {})
    assert r["valid"] is True and r["checked_writes"] == 2 and r["durable_writes"] == 2


def test_crashes_are_counted_once_in_either_nemesis_convention():
    """Guards the ``crashes`` count: a crash is one op with two halves (ddialab's invoke +
    info, Jepsen's info + info); counting halves said 2 crashes for 1.  A second kill is a
    second crash, and a pause between them (not a crash) is not counted."""
    b = HistoryBuilder()
    b.write(0, "k", 1, durable=True)
    b.invoke("nemesis", "kill", None)
    b.complete("nemesis", "kill", ["n1"], "info")
    b.nemesis("pause")  # Jepsen style: info, info
    b.nemesis("kill")
    b.read(1, "k", 1)
    r = check_durability(b.history(), {})
    assert r["valid"] is True and r["crashes"] == 2 and r["checked_writes"] == 1
