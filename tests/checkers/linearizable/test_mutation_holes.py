"""Holes found by mutation testing (issue #19): each test names the surviving mutant it kills.

Every mutation below was applied by hand, the test seen to fail, and the source restored.
Line numbers are those of the sources at the time (2026-12-04).  The first sections are
the second and third passes; the fourth pass (after the windows, ``search_arrays`` and
``_reach`` landed) starts here with the window checkpoint hole and the seed-1 sample, and
goes on in ``test_mutation_holes_4.py`` (docs/testing.md lists the equivalent survivors
with their reasons).
"""

from __future__ import annotations

import pytest

from checkers.linearizable import (
    _linear,
    check,
    resolve_model,
)
from checkers.linearizable._check import calls_of
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._reach import unplaceable
from checkers.linearizable._search import Budget, BudgetExceeded, _previous_twins
from ddialab.errors import HistoryFormatError

from ._helpers import hist


def test_a_failed_cas_is_described_as_failed():
    """Kills ``_models.py:_register_describe_op`` ``"failed cas"`` -> ``"XXfailed casXX"``:
    the explanation must say which cas could not be placed, and that it failed."""
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "cas", [1, 2]),
        (1, "ok", "cas", [1, 2], {"result": False}),
    )
    r = check(h, {"model": "cas-register"})
    (w,) = r["anomalies"]["nonlinearizable"]
    assert w["explanation"] == (
        "after linearizing 1 op (op 0), the register holds 1; p1's failed cas 1->2 [op 2–3] "
        "cannot be placed: it completed, so it must take effect now"
    )
    assert r["model"] == "cas-register"


def test_the_result_names_the_model_it_checked():
    """Kills ``_check.py:_stats`` ``"model"`` -> ``"MODEL"``: every result, valid or not,
    says which model judged it (the report and the matrix read it)."""
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1))
    r = check(h, {"model": "register"})
    assert r["valid"] is True and r["model"] == "register" and r["partitions"] == 1


@pytest.mark.parametrize(
    ("model", "f", "says"),
    [
        ("register", "cas", "model 'register' has no operation 'cas'; it knows: read, write"),
        ("kv", "frob", "model 'kv' has no operation 'frob'; it knows: get, put, append"),
    ],
)
def test_an_unknown_operation_names_the_model_and_what_it_knows(model, f, says):
    """Kills ``_models.py:_register_prepare`` ``"register"`` -> ``"XXregisterXX"`` and
    ``_kv_prepare`` ``_unknown_f("kv", call, ...)`` -> ``_unknown_f(call, ...)`` (a
    ``TypeError`` traceback instead of exit 3)."""
    h = hist((0, "invoke", f, ["k", 1]), (0, "ok", f, ["k", 1]))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": model})
    assert says in str(e.value)


def test_independent_bad_value_names_the_model():
    """Kills ``_models.py:independent`` ``_split_key(call, model.name)`` ->
    ``_split_key(call, None)`` (the message said "model None")."""
    h = hist((0, "invoke", "write", 5), (0, "ok", "write", 5))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": "register", "independent": True})
    assert "model 'register' needs values [key, v]; got 5" in str(e.value)


@pytest.mark.parametrize("model", ["kv", "kv-nopartition"])
def test_kv_init_gives_some_keys_a_value_and_the_rest_empty_strings(model: str) -> None:
    """Kills ``_models.py:_kv_init_for`` ``get(key, "")`` -> ``get(key, "XXXX")`` (keys
    missing from ``init`` must start as "") and ``_kvn_freeze`` ``freeze(v)`` ->
    ``freeze(None)`` (the whole-map model dropped the initial values)."""
    h = hist(
        (0, "invoke", "get", ["a", None]),
        (0, "ok", "get", ["a", "x"]),
        (1, "invoke", "get", ["b", None]),
        (1, "ok", "get", ["b", ""]),
    )
    assert check(h, {"model": model, "init": {"a": "x"}})["valid"] is True
    assert check(h, {"model": model})["valid"] is False


# -- third pass (issue #19, seed-1 sample of 2063 mutants; see docs/testing.md) --------------


def test_a_successful_cas_is_described_as_a_cas():
    """Kills ``_models._register_describe_op`` ``"cas"`` -> ``"CAS"``: the explanation
    names the op the way the history does."""
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "cas", [2, 3]),
        (1, "ok", "cas", [2, 3]),
    )
    (w,) = check(h, {"model": "cas-register"})["anomalies"]["nonlinearizable"]
    assert "p1's cas 2->3 [op 2–3] cannot be placed" in w["explanation"]


def test_a_kv_explanation_shows_the_ops_value():
    """Kills ``_models._kv_describe_op`` ``show(c.value)`` -> ``show(None)``: the get that
    cannot be placed is shown with the value it returned."""
    h = hist(
        (0, "invoke", "put", ["a", "x"]),
        (0, "ok", "put", ["a", "x"]),
        (1, "invoke", "get", ["a", None]),
        (1, "ok", "get", ["a", "y"]),
    )
    (w,) = check(h, {"model": "kv"})["anomalies"]["nonlinearizable"]
    assert w["explanation"] == (
        'for key "a": after linearizing 1 op (op 0), the key holds "x"; p1\'s get "y" '
        "[op 2–3] cannot be placed: it completed, so it must take effect now"
    )


def test_an_independent_model_describes_states_as_its_inner_model_does():
    """Kills ``_models.independent`` dropping ``describe_state=model.describe_state``: per
    key, the state is described as the register's ("the register holds 1")."""
    h = hist(
        (0, "invoke", "write", ["k", 1]),
        (0, "ok", "write", ["k", 1]),
        (1, "invoke", "read", ["k", None]),
        (1, "ok", "read", ["k", 2]),
    )
    r = check(h, {"model": "register", "independent": True})
    (w,) = r["anomalies"]["nonlinearizable"]
    assert w["explanation"].startswith(
        'for key "k": after linearizing 1 op (op 0), the register holds 1;'
    )


def test_a_multi_register_op_other_than_txn_is_bad_input_naming_txn():
    """Kills ``_models._txn_prepare`` ``("txn",)`` -> ``("TXN",)``: the error lists the
    operations the model knows, by their names."""
    h = hist((0, "invoke", "read", None), (0, "ok", "read", None))
    with pytest.raises(HistoryFormatError, match=r"has no operation 'read'; it knows: txn$"):
        check(h, {"model": "multi-register"})


def test_a_search_cut_short_by_the_state_cap_reports_the_states_it_visited():
    """Kills ``_check.check`` ``budget.states_used += e.states`` -> ``-=``: when the state
    cap stops a search (verdict unknown), the states it visited are still counted in
    ``states_explored``, which is what the report shows against the cap."""
    writes = [(p, "invoke", "write", p) for p in range(8)]
    h = hist(*writes, *[(p, "ok", "write", p) for p in range(8)])
    r = check(h, {"model": "register", "max_states": 0})
    assert r["valid"] == "unknown" and "state limit" in r["reason"]
    assert r["states_explored"] > 0


@pytest.mark.parametrize(
    "events",
    [
        # a read that returns a pending write's value pulls the write in first
        [(0, "invoke", "write", 1), (1, "invoke", "read", None), (1, "ok", "read", 1),
         (0, "ok", "write", 1)],
        # a legal read is placed at its invocation, then merely completes
        [(1, "invoke", "read", None), (1, "ok", "read", None), (0, "invoke", "write", 1),
         (0, "ok", "write", 1)],
    ],
)  # fmt: skip
def test_the_greedy_pass_proves_a_simple_key_charging_one_state_per_call(events):
    """Kills ``_linear._Greedy.complete`` ``placed[i] = placed[j] = 1`` -> ``2`` (a pulled
    pair charged as four states; ``prove`` returns ``sum(placed)``), and guards the inline
    ``placed[x] = 1`` of a read placed at its invocation the same way: the pass proves the
    key and charges exactly the two calls it placed."""
    r = check(hist(*events), {"model": "register"})
    assert (r["valid"], r["proven_by_linear_pass"], r["states_explored"]) == (True, 1, 2)


def test_an_explanation_counts_the_pending_ops_it_does_not_name():
    """Kills ``_explain.explain`` ``len(others) - SHOW_LAST`` -> ``+``: seven pending cas
    ops cannot go first; five are named and "(and 2 more)" accounts for the rest."""
    h = hist(
        *[(p, "invoke", "cas", [5, p]) for p in range(1, 8)],
        (0, "invoke", "read", None),
        (0, "ok", "read", 9),
    )
    (w,) = check(h, {"model": "cas-register"})["anomalies"]["nonlinearizable"]
    assert w["explanation"].endswith("p5's cas 5->5 [op 4, never completed] (and 2 more))")


# -- fourth pass (issue #19, after the windows and the keyed-register fast path) ---------


READ_NULL = [(1, "invoke", "read", None), (1, "ok", "read", None)]
N_READS = _linear.CHECKPOINTS  # enough reads to fill the checkpoints kept
#: p1 reads null N_READS times while p0's call is pending; then the anomaly, op ``bad``:
SLOW_CALLS = {
    # p0's write returns, then p2 reads null: a stale read
    "write": (
        [(0, "invoke", "write", 1), *READ_NULL * N_READS, (0, "ok", "write", 1),
         (2, "invoke", "read", None), (2, "ok", "read", None)],
        2 + 2 * N_READS,
    ),
    # p0's read returns 5, a value nobody wrote
    "read": (
        [(0, "invoke", "read", None), *READ_NULL * N_READS, (0, "ok", "read", 5)],
        0,
    ),
}  # fmt: skip


@pytest.mark.parametrize("slow", sorted(SLOW_CALLS))
def test_a_window_never_starts_at_an_invocation_made_while_a_call_was_pending(slow):
    """Kills the checkpoint mutation the windows' author reported no test caught:
    ``_linear.prove_events`` recording a checkpoint at an invocation while a call of the
    key is still pending (``if not k.pending:`` -> ``if True:``, a ``k.cps.append`` on
    the pending path, or ignoring pending read-only calls there).  The reads made while
    p0's call is pending would then be the last ``CHECKPOINTS`` checkpoints; the anomaly
    makes the greedy give up, and the window, started from the oldest of them, leaves the
    pending call out -- so it linearizes what it holds from null and proves the key.
    Neither history is linearizable: the verdict must be False, and not by the linear
    pass, with the anomaly as the witness."""
    events, bad = SLOW_CALLS[slow]
    r = check(hist(*events), {"model": "register"})
    assert r["valid"] is False and r["proven_by_linear_pass"] == 0
    (w,) = r["anomalies"]["nonlinearizable"]
    assert w["prefixes"][0]["blocked"]["index"] == bad


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("counter", "model 'counter' has no operation 'write'; it knows: add, read"),
        ("set", "model 'set' has no operation 'write'; it knows: add, read"),
        ("multi-register", "model 'multi-register' has no operation 'write'; it knows: txn"),
    ],
)
def test_an_unknown_operation_names_each_model(model, says):
    """Kills ``_models._counter_prepare`` ``"counter"`` -> ``"COUNTER"``,
    ``_set_prepare`` ``"set"`` -> ``"XXsetXX"`` and ``_txn_prepare``
    ``"multi-register"`` -> ``"XXmulti-registerXX"``: exit 3 names the model the user
    chose, as it is spelt on the command line."""
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": model})
    assert says in str(e.value)


def test_an_unknown_result_carries_the_stats_as_every_result_does():
    """Kills ``_check._check`` ``unknown_result(_nothing_reason(model), **_stats(...))`` ->
    ``unknown_result(_nothing_reason(model), )``: a history of reads with no known value
    is "unknown", and the result still names the model and the work done."""
    h = hist((0, "invoke", "read", None), (0, "info", "read", None))
    r = check(h, {"model": "register"})
    assert r["valid"] == "unknown" and "nothing to check" in r["reason"]
    assert (r["model"], r["partitions"], r["states_explored"]) == ("register", 1, 0)


def test_calls_of_reads_a_plain_list_of_ops_as_it_reads_a_history():
    """Kills ``_check.calls_of`` ``History(history)`` -> ``History(None)``: the signature
    takes a list of ops too (``check`` does), and must read the same calls from it."""
    h = hist((0, "invoke", "write", 1), (1, "invoke", "read", None), (0, "ok", "write", 1))
    model = resolve_model({"model": "register"})
    from_list = [(c.index, c.done, c.f, c.value) for c in calls_of(list(h.ops), model)]
    assert from_list == [(0, 2, "write", 1)]  # the read never completed: dropped
    assert from_list == [(c.index, c.done, c.f, c.value) for c in calls_of(h, model)]


@pytest.mark.parametrize(("seconds", "says"), [(2.5, "the time limit (2.5 s) ran out"),
                                               (None, "the time limit ran out")])  # fmt: skip
def test_a_time_limit_reason_names_the_limit_when_it_is_known(seconds, says):
    """Kills ``Budget.check`` ``if self.seconds is not None`` -> ``is None`` (the limit
    dropped from the reason, and ``None:g`` raising a ``TypeError`` without one).  The
    deadline is already past, so no clock is raced."""
    with pytest.raises(BudgetExceeded) as e:
        Budget(float("-inf"), 10, seconds).check(3)
    assert (str(e.value), e.value.states, e.value.timed_out) == (says, 3, True)


def test_a_value_never_written_is_found_among_calls_with_extras():
    """Kills ``_reach._distinct`` ``tuple(sorted(c.extra.items(), ...))`` ->
    ``tuple(None)``: a call with extras (Jepsen ops carry ``node``, ``error``...) must not
    make the reachability check give up; the read of 7 is still condemned."""
    h = hist(
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1, {"node": "n1"}),
        (1, "invoke", "read", None),
        (1, "ok", "read", 7, {"node": "n2"}),
    )
    model = resolve_model({"model": "register"})
    calls = calls_of(h, model)
    found = unplaceable(calls, model.step, model.readonly, None)
    assert found is not None and calls[found[0]].index == 2


def test_identical_unknown_calls_with_equal_extras_are_twins():
    """Kills ``_search._previous_twins`` ``sorted(c.extra.items(), ...)`` ->
    ``sorted(None, ...)`` (every call with extras losing its twin: the search tries each
    of a class of interchangeable timed-out writes, exponentially more work).  The two
    timed-out writes of 1 with the same extras are twins; the one with other extras is
    not, nor is the completed write."""
    h = hist(
        (0, "invoke", "write", 1),
        (0, "info", "write", 1, {"node": "n1"}),
        (1, "invoke", "write", 1),
        (1, "info", "write", 1, {"node": "n1"}),
        (2, "invoke", "write", 1),
        (2, "info", "write", 1, {"node": "n2"}),
        (3, "invoke", "write", 1),
        (3, "ok", "write", 1, {"node": "n1"}),
    )
    calls = calls_of(h, resolve_model({"model": "register"}))
    assert [c.extra for c in calls[:3]] == [{"node": "n1"}, {"node": "n1"}, {"node": "n2"}]
    assert _previous_twins(calls) == [-1, 0, -1, -1]


def test_a_generated_history_starts_at_time_zero():
    """Kills ``_generate.keyed_register_history``'s first ``_schedule(..., 0.0, ...)`` ->
    ``1.0``: the processes start at time 0, so with 20 of them (exponential delays of
    mean 1 s) the first invocation comes well within the first second; started at 1.0,
    no op could be earlier than 1,000 ms."""
    h = keyed_register_history(200, 5, 20, seed=3)
    assert h.ops[0].type == "invoke" and h.ops[0].time < 1000


def test_a_choice_is_memoized_with_the_completed_calls_it_follows():
    """Kills ``_search.search_arrays`` ``_first_unseen(ns, np_, nw, nib, memo)`` ->
    ``_first_unseen(ns, np_, None, nib, memo)``: a state reached through a ``Choice``
    (an unknown dequeue of an unordered queue) memoized without ``w``, the completed
    calls linearized past the prefix ``p``.  Here p0's enqueue of z stays unlinearized
    (p = 0) until the end; the unknown dequeues must take a, then b, each leaving the
    queue empty for an empty dequeue.  After the second, (p = 0, empty, {both unknown})
    would look dominated by (p = 0, empty, {the first}) -- a different configuration,
    with a and the first empty dequeue not yet both placed -- and the only linearization
    would be pruned: a false "not linearizable"."""
    h = hist(
        (0, "invoke", "enqueue", "z"),
        (1, "invoke", "dequeue", None),
        (2, "invoke", "dequeue", None),
        (3, "invoke", "enqueue", "a"),
        (3, "ok", "enqueue", "a"),
        (4, "invoke", "dequeue", None),
        (4, "ok", "dequeue", None),
        (3, "invoke", "enqueue", "b"),
        (3, "ok", "enqueue", "b"),
        (4, "invoke", "dequeue", None),
        (4, "ok", "dequeue", None),
        (0, "ok", "enqueue", "z"),
    )
    assert check(h, {"model": "unordered-queue"})["valid"] is True
