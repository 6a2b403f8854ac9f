"""The five session guarantees: planted violations, exact witnesses, evidence, verdicts."""

import re

import pytest

from checkers.session import GUARANTEES, check
from checkers.session.testing import PLANTS, HistoryBuilder, linearizable_history
from ddialab.errors import HistoryFormatError, UsageError
from ddialab.history import Op, reindex

PLANTED = [(g, name, make) for g, plants in PLANTS.items() for name, make in plants.items()]


@pytest.mark.parametrize(
    ("guarantee", "name", "make"), PLANTED, ids=[f"{g}-{n}" for g, n, _ in PLANTED]
)
def test_each_plant_is_flagged_with_its_type_and_nothing_else(guarantee, name, make):
    r = check(make(), {})
    assert r["valid"] is False
    assert r["anomaly_types"] == [guarantee]
    assert r["guarantees"] == {g: g != guarantee for g in GUARANTEES}
    assert r["not"] == [guarantee]


@pytest.mark.parametrize(
    ("guarantee", "name", "make"), PLANTED, ids=[f"{g}-{n}" for g, n, _ in PLANTED]
)
def test_checking_one_guarantee_alone(guarantee, name, make):
    r = check(make(), {"guarantee": guarantee})
    assert list(r["guarantees"]) == [guarantee]
    assert r["anomaly_types"] == [guarantee]


def test_unknown_guarantee_is_a_usage_error():
    with pytest.raises(UsageError, match="known: read-your-writes"):
        check(HistoryBuilder().history(), {"guarantee": "read-my-mind"})


def test_read_your_writes_witness_exact():
    (w,) = check(PLANTS["read-your-writes"]["register"](), {})["anomalies"]["read-your-writes"]
    assert w == {
        "process": 0,
        "key": "x",
        "ops": [1, 3],
        "write": {"op": 1, "value": 1},
        "read": {"op": 3, "value": None},
        "evidence": "initial-state",
        "cycle": [1, "process", 3, "rw", 1],
        "explanation": 'process 0 wrote 1 to key "x" (op 1) and then read null (op 3), '
        "which does not include its own write [initial-state]",
    }


def test_monotonic_reads_witness_exact_with_system_versions():
    (w,) = check(PLANTS["monotonic-reads"]["versions"](), {})["anomalies"]["monotonic-reads"]
    assert w["ops"] == [5, 7]
    assert w["missing"] == 2
    assert w["evidence"] == "system-version"
    assert w["explanation"] == (
        'process 2 read 2 from key "x" (op 5) and later read 1 (op 7), an older state '
        "without 2 [system-version]"
    )


def test_monotonic_writes_append_witness_exact():
    (w,) = check(PLANTS["monotonic-writes"]["append"](), {})["anomalies"]["monotonic-writes"]
    assert w["ops"] == [1, 3, 5]
    assert w["explanation"] == (
        'process 0 appended 1 (op 1) and then 2 (op 3) to key "x", but the read at op 5 '
        "shows 2 without it [append-list]"
    )


def test_monotonic_writes_reversed_in_one_list():
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.read(1, "x", [2, 1])
    r = check(b.history(), {})
    assert r["anomaly_types"] == ["monotonic-writes"]
    assert r["anomalies"]["monotonic-writes"][0]["explanation"].endswith(
        "shows 2 after it [append-list]"
    )


def test_writes_follow_reads_txn_witness_exact():
    (w,) = check(PLANTS["writes-follow-reads"]["txn"](), {})["anomalies"]["writes-follow-reads"]
    assert w["dependency"] == {"key": "q", "value": 1, "op": 3}
    assert w["observed"] == {"key": "a", "value": 1, "op": 5}
    assert w["explanation"] == (
        'process 1 read 1 on key "q" (op 3) before writing 1 to key "a" (op 5); op 7 read 1 '
        'from "a" but null from "q", without 1 [initial-state]'
    )


def test_consistent_prefix_ddia_witness_exact():
    (w,) = check(PLANTS["consistent-prefix"]["ddia"](), {})["anomalies"]["consistent-prefix"]
    assert w["ops"] == [3, 5, 7, 9]
    assert w["kind"] == "read"
    assert w["explanation"] == (
        'process 2 read "about ten seconds" from key "answer" (op 7), written by process 1 '
        '(op 5) after it read "how far can you see?" on key "question" (op 3); process 2 '
        'then read null from key "question" (op 9): the later write without the earlier one '
        "[initial-state]"
    )


def test_without_a_version_order_the_verdict_is_unknown_not_a_guess():
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(1, "x", 2)
    b.read(0, "x", 2)  # newer or older than process 0's own write? the history cannot say
    r = check(b.history(), {"guarantee": "read-your-writes"})
    assert r["valid"] == "unknown"
    assert r["guarantees"] == {"read-your-writes": "unknown"}
    assert r["undecided"]["read-your-writes"]["count"] == 1
    assert r["evidence"]["read-your-writes"] == {"unknown": 1}


def test_single_writer_order_decides_and_is_named():
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    b.read(0, "x", 1)
    r = check(b.history(), {})
    assert r["anomaly_types"] == ["read-your-writes"]
    assert r["anomalies"]["read-your-writes"][0]["evidence"] == "single-writer-order"


def test_vector_clocks_order_versions():
    b = HistoryBuilder()
    b.write(0, "x", 1, vclock={"n1": 1})
    b.write(1, "x", 2, vclock={"n1": 1, "n2": 1})
    b.read(0, "x", 2, vclock={"n1": 1, "n2": 1})  # includes process 0's write
    b.read(2, "x", 2, vclock={"n1": 1, "n2": 1})
    b.read(2, "x", 1, vclock={"n1": 1})  # went back
    r = check(b.history(), {})
    assert r["anomaly_types"] == ["monotonic-reads"]
    assert r["anomalies"]["monotonic-reads"][0]["evidence"] == "vector-clock"
    assert r["guarantees"]["read-your-writes"] is True


def test_concurrent_vector_clocks_break_monotonic_writes():
    b = HistoryBuilder()
    b.write(0, "x", 1, vclock={"a": 1})
    b.write(0, "x", 2, vclock={"b": 1})  # not ordered after the session's first write
    b.read(1, "x", 2, vclock={"b": 1})
    r = check(b.history(), {"guarantee": "monotonic-writes"})
    assert r["anomaly_types"] == ["monotonic-writes"]


def test_fail_and_nemesis_ops_are_ignored_and_info_writes_may_be_seen():
    b = HistoryBuilder()
    b.nemesis("partition", ["n1"])
    b.write(0, "x", 1, type_="fail")
    b.write(1, "x", 2, type_="info")
    b.read(2, "x", 2)
    b.read(2, "x", 2)
    r = check(b.history(), {})
    assert r["valid"] is True
    assert r["ops_checked"] == 3


@pytest.mark.parametrize(
    ("f", "value", "expected"),
    [("write", "not a pair", "[key, value]"), ("txn", [["r", "x"]], "an array of")],
)
def test_malformed_ops_are_bad_input_naming_the_op(f, value, expected):
    """Guards fail-closed input: a value of the wrong shape (a cut-short micro-op, a bare
    value where [key, v] belongs) is rejected naming the op, never skipped to a verdict."""
    b = HistoryBuilder()
    b.op(0, "write", [1, 1])
    b.op(0, f, value)
    with pytest.raises(HistoryFormatError, match=rf"op 2 \(invoke {f}\).*{re.escape(expected)}"):
        check(b.history(), {})


def test_time_limit_exhausted_gives_unknown_with_reason():
    r = check(PLANTS["read-your-writes"]["register"](), {"time_limit": -1})
    assert r["valid"] == "unknown"
    assert r["reason"].startswith("time limit reached")


def test_time_limit_running_out_midway_keeps_finished_verdicts():
    h = linearizable_history(1, n_ops=3000, processes=5, keys=5, mode="append")
    r = check(h, {"time_limit": 0.3})
    assert r["valid"] in (True, "unknown")
    if r["valid"] == "unknown":
        assert "time limit reached" in r["reason"]


@pytest.mark.parametrize("mode", ["register", "append", "set", "txn"])
@pytest.mark.parametrize("seed", range(6))
def test_linearizable_executions_pass_every_guarantee(mode, seed):
    h = linearizable_history(seed, n_ops=150, processes=4, keys=3, mode=mode)
    r = check(h, {})
    assert r["guarantees"] == dict.fromkeys(GUARANTEES, True), r.get("undecided")
    assert r["valid"] is True


def test_witnesses_carry_their_process_cycle():
    cycles = {
        g: check(make(), {})["anomalies"][g][0]["cycle"]
        for g, make in [
            (g, PLANTS[g][v])
            for g, v in [
                ("monotonic-reads", "register"),
                ("monotonic-writes", "txn"),
                ("consistent-prefix", "ddia"),
            ]
        ]
    }
    assert cycles == {
        "monotonic-reads": [3, "process", 5, "rw", 1, "wr", 3],
        "monotonic-writes": [1, "process", 3, "wr", 5, "rw", 1],
        "consistent-prefix": [1, "wr", 3, "process", 5, "wr", 7, "process", 9, "rw", 1],
    }


def test_missing_your_own_dependency_is_read_your_writes_not_consistent_prefix():
    b = HistoryBuilder()
    b.write(0, "y", 1)
    b.append(0, "x", 5)
    b.read(0, "x", [5])
    b.read(0, "y", None)
    assert check(b.history(), {})["anomaly_types"] == ["read-your-writes"]


@pytest.mark.parametrize(
    ("guarantee", "name", "make"), PLANTED, ids=[f"{g}-{n}" for g, n, _ in PLANTED]
)
def test_a_plant_hidden_in_a_large_linearizable_history_is_still_found_alone(guarantee, name, make):
    background = linearizable_history(3, n_ops=300, processes=5, keys=3, mode="txn")
    planted = [
        Op(
            0,
            op.time,
            op.type,
            op.process if op.process == "nemesis" else op.process + 10_000,
            op.f,
            _rename(op.value),
            op.node,
            op.error,
            dict(op.extra),
        )
        for op in make()
    ]
    r = check(reindex([*background, *planted]), {})
    assert r["anomaly_types"] == [guarantee]


def _rename(value):
    """Move a plant's keys out of the background's way."""
    if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list):
        return [f"plant-{value[0]}", value[1]]
    if isinstance(value, list):
        return [[m[0], f"plant-{m[1]}", m[2]] for m in value]
    return value


def test_a_history_in_another_vocabulary_is_unknown_not_vacuously_valid():
    b = HistoryBuilder()
    b.append(0, "k", "x 0 0 y")  # Porcupine kv: string append, reads are "get"
    b.op(1, "get", ["k", None], result=["k", "x 0 0 y"])
    r = check(b.history(), {})
    assert r["valid"] == "unknown"
    assert r["ops_ignored"] == 1
    assert "ignored" in r["reason"]


def test_an_indeterminate_earlier_write_is_no_session_dependency():
    b = HistoryBuilder()
    b.append(0, "x", 1, type_="info")  # may never have happened...
    b.append(0, "x", 2)  # (a history that reuses the process id anyway)
    b.read(1, "x", [2])
    assert check(b.history(), {})["valid"] is True


def test_true_and_one_are_two_values() -> None:
    """Guards the session checker's value freezing (the vocabulary's, booleans tagged):
    with Python's ``True == 1`` a process that appended ``true`` would seem to read its own
    write in ``[1]`` (another process's append) and read-your-writes would hold."""
    b = HistoryBuilder()
    b.append(0, "x", True)
    b.append(1, "x", 1)
    b.read(0, "x", [1])
    r = check(b.history(), {})
    assert r["guarantees"]["read-your-writes"] is False, r
    (w,) = r["anomalies"]["read-your-writes"]
    assert "true" in w["explanation"]
