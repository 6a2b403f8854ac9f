import pytest

from checkers.linearizable import ILLEGAL, MODELS, Model, check
from ddialab.errors import HistoryFormatError, UsageError

from ._helpers import hist


def valid(h, **opts):
    return check(h, {"model": "register", **opts})["valid"]


def test_missing_or_unknown_model_lists_models():
    with pytest.raises(UsageError, match="cas-register"):
        check(hist(), {})
    with pytest.raises(UsageError, match="models: register"):
        check(hist(), {"model": "nope"})


def test_every_model_has_a_description():
    for name, m in MODELS.items():
        assert m.name == name and m.description


def test_empty_history_is_linearizable():
    assert valid(hist()) is True


def test_sequential_read_of_last_write():
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "read", None),
        (1, "ok", "read", 1),
    )
    assert valid(h) is True


def test_stale_read_is_not_linearizable():
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "read", None),
        (1, "ok", "read", None),
    )
    r = check(h, {"model": "register"})
    assert r["valid"] is False
    assert r["anomaly_types"] == ["nonlinearizable"]
    w = r["anomalies"]["nonlinearizable"][0]
    best = w["prefixes"][0]
    assert best["linearized"] == [0]
    assert best["state"] == 1
    assert best["blocked"]["index"] == 2
    assert "the register holds 1" in w["explanation"]
    assert "p1's read of null [op 2–3] cannot be placed" in w["explanation"]


def test_concurrent_read_may_see_either_value():
    h = hist(
        (0, "invoke", "write", 1),
        (1, "invoke", "read", None),
        (1, "ok", "read", None),
        (0, "ok", "write", 1),
    )
    assert valid(h) is True


def test_fail_never_happened_info_maybe():
    write2_fail = [(0, "invoke", "write", 2), (0, "fail", "write", 2)]
    read2 = [(1, "invoke", "read", None), (1, "ok", "read", 2)]
    assert valid(hist(*write2_fail, *read2)) is False
    write2_info = [(0, "invoke", "write", 2), (0, "info", "write", None)]
    assert valid(hist(*write2_info, *read2)) is True
    # info may also never take effect
    assert valid(hist(*write2_info, (1, "invoke", "read", None), (1, "ok", "read", None))) is True
    # a missing completion is like info
    assert valid(hist((0, "invoke", "write", 2), *read2)) is True


def test_info_op_cannot_take_effect_before_its_invocation():
    h = hist(
        (1, "invoke", "read", None),
        (1, "ok", "read", 2),
        (0, "invoke", "write", 2),
        (0, "info", "write", 2),
    )
    assert valid(h) is False


def test_unknown_read_constrains_nothing_and_nemesis_is_ignored():
    """Guards: an info read is dropped (not judged), nemesis ops are skipped, and a history
    left with nothing to check says unknown rather than valid."""
    h = hist(
        (1, "invoke", "read", None),
        ("nemesis", "info", "start", None),
        (1, "info", "read", 7),
        ("nemesis", "info", "stop", None),
    )
    assert valid(h) == "unknown"
    h2 = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "read", None),
        ("nemesis", "info", "start", None),
        (1, "info", "read", 7),
        ("nemesis", "info", "stop", None),
    )
    assert valid(h2) is True


def test_cas_register_with_failed_cas_result_false():
    base = [(0, "invoke", "write", 1), (0, "ok", "write", 1)]
    failed = [(1, "invoke", "cas", [1, 2]), (1, "ok", "cas", [1, 2], {"result": False})]
    # the register held 1, so a compare with 1 cannot have failed
    assert check(hist(*base, *failed), {"model": "cas-register"})["valid"] is False
    failed0 = [(1, "invoke", "cas", [0, 2]), (1, "ok", "cas", [0, 2], {"result": False})]
    assert check(hist(*base, *failed0), {"model": "cas-register"})["valid"] is True
    ok = [
        (1, "invoke", "cas", [1, 2]),
        (1, "ok", "cas", [1, 2]),
        (2, "invoke", "read", None),
        (2, "ok", "read", 2),
    ]
    assert check(hist(*base, *ok), {"model": "cas-register"})["valid"] is True


def test_init_option():
    h = hist((1, "invoke", "read", None), (1, "ok", "read", 0))
    assert check(h, {"model": "cas-register"})["valid"] is False
    assert check(h, {"model": "cas-register", "init": 0})["valid"] is True


def test_independent_checks_each_key_and_names_the_failed_one():
    h = hist(
        (0, "invoke", "write", ["a", 1]),
        (0, "ok", "write", ["a", 1]),
        (1, "invoke", "write", ["b", 2]),
        (1, "ok", "write", ["b", 2]),
        (2, "invoke", "read", ["b", None]),
        (2, "ok", "read", ["b", 1]),
    )
    r = check(h, {"model": "cas-register", "independent": True})
    assert r["valid"] is False
    assert r["partitions"] == 2 and r["failed_partition"] == "b"
    w = r["anomalies"]["nonlinearizable"][0]
    assert w["key"] == "b" and w["explanation"].startswith('for key "b": ')


def test_unknown_f_is_bad_input_naming_the_op():
    """Guards: an op the model does not know is bad input (exit 3) naming the op."""
    with pytest.raises(HistoryFormatError, match=r"op 1 \(ok frob\).*no operation 'frob'"):
        check(hist((0, "invoke", "frob", 1), (0, "ok", "frob", 1)), {"model": "register"})


def test_budgets_give_unknown_not_a_wrong_verdict():
    h = hist(
        *[(p, "invoke", "write", p) for p in range(8)], *[(p, "ok", "write", p) for p in range(8)]
    )
    r = check(h, {"model": "register", "time_limit": 0})
    assert r["valid"] == "unknown" and "time limit" in r["reason"]
    r = check(h, {"model": "register", "max_states": 0})
    assert r["valid"] == "unknown" and "state limit" in r["reason"]


def test_a_user_model_in_a_few_lines():
    counter = Model(
        "my-counter",
        "add n / read",
        init=0,
        step=lambda s, c: s + c.value if c.f == "add" else (s if s == c.value else ILLEGAL),
    )
    h = hist(
        (0, "invoke", "add", 2),
        (1, "invoke", "read", None),
        (0, "ok", "add", 2),
        (1, "ok", "read", 2),
    )
    assert check(h, {"model": counter})["valid"] is True
    h2 = hist(
        (0, "invoke", "add", 2),
        (0, "ok", "add", 2),
        (1, "invoke", "read", None),
        (1, "ok", "read", 0),
    )
    assert check(h2, {"model": counter})["valid"] is False


def test_kv_partitions_by_key_and_appends():
    h = hist(
        (0, "invoke", "append", ["k", "x"]),
        (0, "ok", "append", ["k", "x"]),
        (1, "invoke", "append", ["k", "y"]),
        (1, "ok", "append", ["k", "y"]),
        (2, "invoke", "get", ["k", None]),
        (2, "ok", "get", ["k", "xy"]),
        (3, "invoke", "get", ["j", None]),
        (3, "ok", "get", ["j", ""]),
    )
    r = check(h, {"model": "kv"})
    assert r["valid"] is True and r["partitions"] == 2
    assert check(h, {"model": "kv-nopartition"})["valid"] is True


def test_multi_register_txns():
    h = hist(
        (0, "invoke", "txn", [["write", "x", 1], ["write", "y", 1]]),
        (0, "ok", "txn", [["write", "x", 1], ["write", "y", 1]]),
        (1, "invoke", "txn", [["read", "x", None], ["read", "y", None]]),
        (1, "ok", "txn", [["read", "x", 1], ["read", "y", 0]]),
    )
    assert check(h, {"model": "multi-register", "init": {"x": 0, "y": 0}})["valid"] is False


def test_multi_register_txns_that_read_their_writes_are_valid():
    """Guards the multi-register model's micro-op parsing (``_txn_prepare``): which micro-ops
    write (``write``/``w``) and which read (``read``/``r``), and that each names its key
    then its value; swapping any of these turns the valid history invalid or lets the stale
    read pass."""
    init = {"model": "multi-register", "init": {"x": 0, "y": 0}}
    h = hist(
        (0, "invoke", "txn", [["write", "x", 1], ["w", "y", 2]]),
        (0, "ok", "txn", [["write", "x", 1], ["w", "y", 2]]),
        (1, "invoke", "txn", [["read", "x", None], ["r", "y", None]]),
        (1, "ok", "txn", [["read", "x", 1], ["r", "y", 2]]),
        (2, "invoke", "txn", [["w", "y", 3], ["r", "x", None]]),
        (2, "ok", "txn", [["w", "y", 3], ["r", "x", 1]]),
    )
    assert check(h, init)["valid"] is True
    stale = hist(  # x := 1, then x := 2, then a read of x = 1: stale
        (0, "invoke", "txn", [["w", "x", 1]]),
        (0, "ok", "txn", [["w", "x", 1]]),
        (0, "invoke", "txn", [["w", "x", 2]]),
        (0, "ok", "txn", [["w", "x", 2]]),
        (1, "invoke", "txn", [["r", "x", None]]),
        (1, "ok", "txn", [["r", "x", 1]]),
    )
    assert check(stale, init)["valid"] is False


def test_mutex():
    two_holders = hist(
        (0, "invoke", "acquire", None),
        (0, "ok", "acquire", None),
        (1, "invoke", "acquire", None),
        (1, "ok", "acquire", None),
    )
    assert check(two_holders, {"model": "mutex"})["valid"] is False


def test_the_docs_example():
    h = hist(
        (0, "invoke", "write", 1),
        (1, "invoke", "read", None),
        (2, "invoke", "read", None),
        (0, "ok", "write", 1),
        (1, "ok", "read", 1),
        (2, "ok", "read", 0),
    )
    assert check(h, {"model": "register", "init": 0})["valid"] is True
    stale = hist(
        (0, "invoke", "write", 1),
        (1, "invoke", "read", None),
        (0, "ok", "write", 1),
        (2, "invoke", "read", None),
        (1, "ok", "read", 1),
        (2, "ok", "read", 0),
    )
    assert check(stale, {"model": "register", "init": 0})["valid"] is False


def test_identical_timed_out_writes_are_interchangeable_but_each_counts():
    # two timed-out writes of 1 and a write of 2 in between: reads 1, 2, 1 need both
    events = [
        (0, "invoke", "write", 1), (0, "info", "write", 1),
        (1, "invoke", "write", 1), (1, "info", "write", 1),
        (2, "invoke", "read", None), (2, "ok", "read", 1),
        (3, "invoke", "write", 2), (3, "ok", "write", 2),
        (2, "invoke", "read", None), (2, "ok", "read", 2),
        (2, "invoke", "read", None), (2, "ok", "read", 1),
    ]  # fmt: skip
    assert valid(hist(*events)) is True
    again = [(3, "invoke", "write", 2), (3, "ok", "write", 2),
             (2, "invoke", "read", None), (2, "ok", "read", 1)]  # fmt: skip
    assert valid(hist(*events, *again)) is False


def test_a_failed_part_beats_an_undecided_one():
    h = hist(
        (0, "invoke", "put", ["a", "x"]),
        (0, "ok", "put", ["a", "x"]),
        (1, "invoke", "get", ["b", None]),
        (1, "ok", "get", ["b", "zz"]),
    )
    r = check(h, {"model": "kv", "max_states": 0})
    assert r["valid"] is False and r["failed_partition"] == "b"
    only_a = hist(*[(op.process, op.type, op.f, op.value) for op in h.ops[:2]])
    assert check(only_a, {"model": "kv", "max_states": 0})["valid"] == "unknown"


def test_independent_on_a_partitioned_model_is_a_usage_error():
    with pytest.raises(UsageError, match="already checks each key"):
        check(hist(), {"model": "kv", "independent": True})


def test_an_unknown_dequeue_may_have_taken_either_element():
    """Guards the search's nondeterministic steps (``Choice`` in ``search``: ``fresh = ns is
    not ILLEGAL``): the only linearization has p1's unknown dequeue take ``b`` before p2
    finds the queue empty; a search that never explores a Choice calls this invalid."""
    h = hist(
        (0, "invoke", "enqueue", "a"),
        (0, "ok", "enqueue", "a"),
        (0, "invoke", "enqueue", "b"),
        (0, "ok", "enqueue", "b"),
        (1, "invoke", "dequeue", None),
        (1, "info", "dequeue", None),
        (2, "invoke", "dequeue", None),
        (2, "ok", "dequeue", "a"),
        (2, "invoke", "dequeue", None),
        (2, "ok", "dequeue", None),
    )
    assert check(h, {"model": "unordered-queue"})["valid"] is True


def test_the_collector_is_paused_during_the_check_and_restored():
    """Guards ``_collector_paused``: the cyclic collector is off while the model steps
    (else the check walks the whole history at every allocation burst) and is left as it
    was found -- on after a check that ran with it on, even one that raised, and off
    when the caller had turned it off."""
    import gc

    seen = []

    def step(s, c):
        seen.append(gc.isenabled())
        return c.value if c.f == "write" else (s if s == c.value else ILLEGAL)

    model = Model("probe", "a register that records the collector's state", step)
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1))
    assert gc.isenabled()
    assert check(h, {"model": model})["valid"] is True
    assert seen and not any(seen) and gc.isenabled()
    with pytest.raises(UsageError):
        check(h, {"model": "no-such-model"})
    assert gc.isenabled()
    gc.disable()
    try:
        check(h, {"model": model})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_completion_with_no_invocation_is_bad_input_naming_it():
    """Guards ``calls_of``'s own detection (the check no longer runs a separate pass): a
    client completion with no open invocation is bad input naming that op, not a call
    silently dropped -- even after a well-formed op and beside a nemesis op."""
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        ("nemesis", "info", "kill", None),
        (1, "ok", "read", 1),
    )
    with pytest.raises(HistoryFormatError, match=r"op 3 \(ok read\).*completion with no invoc"):
        check(h, {"model": "register"})
