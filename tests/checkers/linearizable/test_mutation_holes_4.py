"""Holes found by mutation testing (issue #19), fourth pass continued: the seed-2,
seed-3 and seed-4 samples' survivors and the search's survivors of the earlier passes
(``test_mutation_holes.py`` holds the earlier passes, the checkpoint hole and seed 1).

Each test names the mutant it kills; every mutation was applied by hand, the test seen
to fail, and the source restored (2026-12-04).  docs/testing.md lists the equivalent
survivors with their reasons.
"""

from __future__ import annotations

import pytest

from checkers.linearizable import (
    ILLEGAL,
    Call,
    Choice,
    Model,
    _linear,
    check,
    resolve_model,
)
from checkers.linearizable._check import calls_of
from checkers.linearizable._explain import unreachable_witness
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._reach import unplaceable
from checkers.linearizable._registers import light_calls
from checkers.linearizable._search import Budget, search
from ddialab.errors import HistoryFormatError
from ddialab.history import History, Op

from ._helpers import hist

# -- fourth pass, seed 2 -----------------------------------------------------------------


def test_an_unreachable_witness_lists_the_states_and_the_key():
    """Kills ``_explain.unreachable_witness`` ``model.thaw_state(s)`` ->
    ``thaw_state(None)`` (every reachable state shown as null) and ``w["key"]`` ->
    ``w["KEY"]``: the witness of a read no state admits shows the states the part can
    reach, and, keyed, which key."""
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1),
             (1, "invoke", "read", None), (1, "ok", "read", 7))  # fmt: skip
    model = resolve_model({"model": "register"})
    calls = calls_of(h, model)
    w = unreachable_witness(calls[1], [None, 1], 5, model, "k", True)
    assert (w["reachable_states"], w["key"], w["ops"]) == ([None, 1], "k", [2])
    assert w["part_ops"] == 5  # (seed 4: ``"part_ops"`` -> ``"XXpart_opsXX"``)


def test_a_witness_counts_the_ops_of_its_part():
    """Kills ``_explain.witness`` ``"part_ops"`` -> ``"PART_OPS"``: the report reads how
    many ops the failing part held."""
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1),
             (1, "invoke", "read", None), (1, "ok", "read", 2))  # fmt: skip
    (w,) = check(h, {"model": "register"})["anomalies"]["nonlinearizable"]
    assert w["part_ops"] == 2


def test_generated_completions_carry_their_time():
    """Kills ``_generate.keyed_register_history`` an ok/fail completion's
    ``int(t * 1000)`` -> ``None``: every op has a time in ms, in history order."""
    h = keyed_register_history(300, 5, 10, seed=4, info_rate=0.05)
    times = [op.time for op in h.ops]
    assert all(type(t) is int for t in times) and times == sorted(times)
    assert {op.type for op in h.ops} >= {"invoke", "ok", "info"}


@pytest.mark.parametrize(
    ("model", "f", "value", "says"),
    [
        ("cas-register", "cas", 5, "a cas value must be [old, new]; got 5"),
        ("set", "read", 5, "a set read returns an array of elements; got 5"),
    ],
)
def test_a_value_of_the_wrong_shape_says_what_was_expected(model, f, value, says):
    """Kills ``_models._cas_prepare`` and ``_set_prepare`` ``BadValue(f"...")`` ->
    ``BadValue(None)``: exit 3 must say what shape the value should have had."""
    h = hist((0, "invoke", f, value), (0, "ok", f, value))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": model})
    assert says in str(e.value)


def test_an_independent_model_splits_key_value_pairs():
    """Kills ``_models.independent``'s ``len(v) != 2`` -> ``!= 3``: a ``[key, v]`` value is
    the valid shape (outside the register fast path, which does not call ``prepare``);
    ``[key, v, x]`` is bad input."""
    ok = hist((0, "invoke", "add", ["k", 2]), (0, "ok", "add", ["k", 2]),
              (1, "invoke", "read", ["k", None]), (1, "ok", "read", ["k", 2]))  # fmt: skip
    assert check(ok, {"model": "counter", "independent": True})["valid"] is True
    bad = hist((0, "invoke", "add", ["k", 2, 3]), (0, "ok", "add", ["k", 2, 3]))
    with pytest.raises(HistoryFormatError, match="needs values \\[key, v\\]"):
        check(bad, {"model": "counter", "independent": True})


def _coin_step(s, c):
    """A user's model with a nondeterministic *completed* call: ``flip`` lands on 1 or 2."""
    if c.f == "flip":
        return Choice({1, 2})
    return s if c.value == s else ILLEGAL


def test_a_completed_call_whose_step_is_a_choice_is_placeable():
    """Kills ``_reach._legal`` ``not (type(ns) is Choice and not ns)`` -> ``... and ns``:
    a non-empty ``Choice`` is a legal step (an empty one is not), so a completed flip
    must not be condemned as unplaceable -- and the read of 2 it may produce neither."""
    calls = [Call(0, 1, 0, "flip", None, True, {}), Call(2, 3, 1, "read", 2, True, {})]
    assert unplaceable(calls, _coin_step, lambda c: c.f == "read", None) is None
    calls[1].value = 3  # a value no flip lands on: the read is condemned
    found = unplaceable(calls, _coin_step, lambda c: c.f == "read", None)
    assert found is not None and found[0] == 1


def test_a_choice_state_reached_with_incomparable_unknown_calls_is_searched():
    """Kills ``_search._first_unseen`` ``_admit(memo, ...)`` -> ``_admit(None, ...)`` (a
    ``TypeError`` instead of a verdict): the empty queue after the unknown dequeue is
    reached with {enqueue x, dequeue} and again with {enqueue y, dequeue}, neither set
    containing the other, so the second is recorded beside the first.  The dequeue of q
    (never enqueued) makes the history invalid, so the search visits both."""
    h = hist(
        (0, "invoke", "enqueue", "x"),
        (1, "invoke", "enqueue", "y"),
        (2, "invoke", "dequeue", None),
        (3, "invoke", "dequeue", None),
        (3, "ok", "dequeue", "q"),
        (0, "info", "enqueue", "x"),
        (1, "info", "enqueue", "y"),
        (2, "info", "dequeue", None),
    )
    assert check(h, {"model": "unordered-queue"})["valid"] is False


def test_a_search_charges_the_budget_the_states_it_visited():
    """Kills ``_search.search_arrays`` ``budget.states_used += visited`` -> ``-=`` on a
    linearizable part: the budget (and the result's ``states_explored``) counts up."""
    h = hist((0, "invoke", "write", 1), (1, "invoke", "write", 2),
             (0, "ok", "write", 1), (1, "ok", "write", 2),
             (2, "invoke", "read", None), (2, "ok", "read", 1))  # fmt: skip
    model = resolve_model({"model": "register"})
    budget = Budget(float("inf"), 1000)
    out = search(calls_of(h, model), model.step, model.readonly, None, budget)
    assert out.valid and out.states == budget.states_used > 0


KEYED_CAS = {"model": "cas-register", "independent": True}


def test_a_window_closes_once_its_first_call_has_returned(monkeypatch):
    """Kills ``_linear._Windows.event`` ``~x >= w.members[0]`` -> ``w.members[1]``: the
    return of the window's first call (still running when the window opened) must count,
    or the window never closes (with one member: an ``IndexError``).  Windows start one
    checkpoint back here, where that first call is most often still running.  The window
    must close at the next invocation and the greedy resume; left open, the write that
    never completes, invoked last, would join it and send the key to the search."""
    monkeypatch.setattr(_linear, "CHECKPOINTS", 1)
    ops = list(keyed_register_history(40, 1, 8, seed=10).ops)
    ops.append(Op(len(ops), ops[-1].time + 1, "invoke", 99, "write", [0, 9]))
    r = check(History(ops), KEYED_CAS)
    assert (r["valid"], r["proven_by_linear_pass"]) == (True, 1)


def test_a_window_that_would_hold_a_call_that_never_completed_gives_up():
    """Kills ``_linear._Windows.open`` ``len(members) == MAX_WINDOW or returns[n] < 0``
    -> ``and``: a window holding a timed-out call could only close at the end of the
    history, so the key goes straight to the full search (docs/linearizability.md).  In
    this history (4 timed-out calls) the greedy gives up on the key with one of them
    inside the window; the search finds it linearizable."""
    h = keyed_register_history(30, 1, 4, seed=9, info_rate=0.1)
    r = check(h, KEYED_CAS)
    assert (r["valid"], r["proven_by_linear_pass"]) == (True, 0)


# -- the search's survivors of the earlier passes (docs/testing.md, third pass) ---------

COIN = Model("coin", "flip (lands on 1 or 2) / read", _coin_step, readonly=lambda c: c.f == "read")


@pytest.mark.parametrize("lands", [1, 2])
def test_a_choice_whose_first_state_fails_is_retried_with_the_next(lands):
    """Kills ``_search._first_unseen`` ``memo.get(key)`` -> ``memo.get(None)``: every
    retry of a ``Choice`` would take its first state again (a loop until the budget
    runs out: "unknown").  A completed flip, then a read of what it landed on: one of
    the two reads needs the Choice's second state."""
    h = hist((0, "invoke", "flip", None), (0, "ok", "flip", None),
             (1, "invoke", "read", None), (1, "ok", "read", lands))  # fmt: skip
    assert check(h, {"model": COIN, "max_states": 500})["valid"] is True


def test_a_configuration_revisited_with_other_unknown_calls_is_recorded():
    """Kills ``search_arrays`` ``_admit(memo, k3, prev, nib)`` -> ``_admit(memo, k3,
    None, nib)`` (a ``TypeError``): the register holds 2 after the timed-out write of 2,
    and again after both timed-out writes (1 then 2); the second set contains the first,
    so it is dominated -- that comparison must read the recorded set."""
    h = hist((0, "invoke", "write", 1), (1, "invoke", "write", 2),
             (2, "invoke", "read", None), (2, "ok", "read", 5),
             (0, "info", "write", 1), (1, "info", "write", 2))  # fmt: skip
    assert check(h, {"model": "register"})["valid"] is False


def test_an_unknown_call_that_changes_nothing_is_never_placed():
    """Kills ``search_arrays`` ``elif ns == state and type(ns) is not Choice`` -> ``is
    Choice``: a timed-out write of null onto null is skipped, not pushed (the root
    configuration is not memoized, so only this rule keeps it out): the search of a
    read of 5 visits no state at all."""
    h = hist((0, "invoke", "write", None), (1, "invoke", "read", None),
             (1, "ok", "read", 5), (0, "info", "write", None))  # fmt: skip
    model = resolve_model({"model": "register"})
    out = search(calls_of(h, model), model.step, model.readonly, None, Budget(1e9, 100))
    assert (out.valid, out.states) == (False, 0)


@pytest.mark.parametrize("writers", [2, 3])
def test_a_witness_keeps_the_deepest_dead_ends_up_to_three(writers):
    """Kills ``search_arrays`` ``depth += 1`` -> ``+= 2`` (depth drifts up on every push,
    so a later, shallower dead end looks deeper and replaces the deepest) and ``depth >
    best`` -> ``>=`` (each equally deep dead end replaces the others: one kept, not
    ``KEEP_DEAD_ENDS``).  Concurrent writes then a read of 7: every order of the writes
    is a dead end at the same depth; 2 or 3 of them are kept, each with all writes."""
    h = hist(
        *[(p, "invoke", "write", p + 1) for p in range(writers)],
        *[(p, "ok", "write", p + 1) for p in range(writers)],
        (9, "invoke", "read", None),
        (9, "ok", "read", 7),
    )
    (w,) = check(h, {"model": "register"})["anomalies"]["nonlinearizable"]
    assert [len(p["linearized"]) for p in w["prefixes"]] == [writers] * writers


def test_the_memo_knows_a_set_of_completed_calls_whatever_order_built_it():
    """Kills ``search_arrays`` ``w | (1 << r)`` -> ``w | (2 << r)``: the mutant encoding
    still decodes uniquely (no verdict changes), but the set {both writes} built as
    second-then-first no longer compresses to the prefix it is, so the memo misses it.
    Two concurrent writes of 1 then a read of 7: first, then second (2 states); second
    (3); then the first again reaches the memoized configuration and is not pushed."""
    h = hist((0, "invoke", "write", 1), (1, "invoke", "write", 1),
             (0, "ok", "write", 1), (1, "ok", "write", 1),
             (2, "invoke", "read", None), (2, "ok", "read", 7))  # fmt: skip
    model = resolve_model({"model": "register"})
    out = search(calls_of(h, model), model.step, model.readonly, None, Budget(1e9, 100))
    assert (out.valid, out.states) == (False, 3)


# -- fourth pass, seed 3 (a fresh sample, drawn after the tests above) -------------------


def test_a_witness_names_its_ops_their_key_and_which_never_completed():
    """Kills ``_explain.explain`` ``', '.join(shown)`` -> ``'XX, XX'.join``,
    ``_explain.op_data`` ``d["key"] = thaw(call.key)`` -> ``thaw(None)`` and
    ``"completion": call.done if call.done >= 0 else None`` -> ``... or True`` (a call
    that never completed shown with completion -1): the keyed witness lists the
    linearized ops, and each op it names carries its key and, if any, its completion."""
    h = hist(
        (0, "invoke", "write", ["k", 1]),
        (0, "ok", "write", ["k", 1]),
        (1, "invoke", "write", ["k", 2]),
        (1, "ok", "write", ["k", 2]),
        (2, "invoke", "cas", ["k", [7, 8]]),  # never completes, never legal
        (3, "invoke", "read", ["k", None]),
        (3, "ok", "read", ["k", 9]),
    )
    (w,) = check(h, KEYED_CAS)["anomalies"]["nonlinearizable"]
    assert "(ops 0, 2)" in w["explanation"]
    blocked, follow = w["prefixes"][0]["blocked"], w["prefixes"][0]["could_not_follow"]
    assert (blocked["key"], blocked["completion"]) == ("k", 6)
    assert {(d["index"], d["completion"], d["key"]) for d in follow} >= {(4, None, "k")}


@pytest.mark.parametrize(
    ("model", "f", "value", "says"),
    [
        ("cas-register", "frob", 1, "has no operation 'frob'; it knows: read, write, cas"),
        ("counter", "read", "x", 'a counter read needs a number; got "x"'),
    ],
)
def test_bad_input_names_what_the_model_expected(model, f, value, says):
    """Kills ``_models._cas_prepare``'s known operations ``"read"`` -> ``"READ"`` and
    ``_counter_prepare`` ``"a number"`` -> ``"XXa numberXX"``."""
    h = hist((0, "invoke", f, value), (0, "ok", f, value))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": model})
    assert says in str(e.value)


def test_a_key_put_to_the_empty_string_reads_as_empty():
    """Kills ``_models._kvn_step`` ``if new != ""`` -> ``!= "XXXX"``: in kv-nopartition
    a key holding "" is left out of the map (the same state as never written), so a
    get of "" after putting "" is legal."""
    h = hist((0, "invoke", "put", ["x", "a"]), (0, "ok", "put", ["x", "a"]),
             (0, "invoke", "put", ["x", ""]), (0, "ok", "put", ["x", ""]),
             (0, "invoke", "get", ["x", None]), (0, "ok", "get", ["x", ""]))  # fmt: skip
    assert check(h, {"model": "kv-nopartition"})["valid"] is True


def _to_step(s, c):
    """A user's model whose step reads an extra: ``set`` moves to ``extra["to"]``."""
    if c.f == "set":
        return c.extra["to"]
    return s if c.value == s else ILLEGAL


def test_calls_that_differ_only_in_their_extras_are_distinct_to_reach():
    """Kills ``_reach._distinct`` ``if c.extra`` -> ``if c.extra and False``: merging
    the two sets (same f, value and known) would leave state 2 out of the closure and
    condemn the read of 2 -- a false "not linearizable" for a model that reads extras."""
    calls = [Call(0, 1, 0, "set", None, True, {"to": 1}),
             Call(2, 3, 1, "set", None, True, {"to": 2}),
             Call(4, 5, 2, "read", 2, True, {})]  # fmt: skip
    assert unplaceable(calls, _to_step, lambda c: c.f == "read", None) is None


def test_the_keyed_register_fast_path_skips_a_completed_nemesis_op():
    """Kills ``_registers.light_calls`` ``op.process == NEMESIS`` -> ``!=``: a nemesis
    invoke/ok pair whose value looks like ``[key, v]`` must be skipped, not read as a
    client call (here it is not a read or a write, so the fast path would be refused)."""
    h = hist(
        ("nemesis", "invoke", "start-partition", ["n1", "n2"]),
        ("nemesis", "ok", "start-partition", ["n1", "n2"]),
        (0, "invoke", "write", ["k", 1]),
        (0, "ok", "write", ["k", 1]),
    )
    light = light_calls(h, False)
    assert light is not None and (light.keys, light.invocations) == (["k"], [2])


def test_a_choice_state_reached_again_with_other_unknown_calls_is_explored():
    """Kills ``_search._first_unseen`` ``if prev != ib and _admit(...)`` -> ``if prev ==
    ib and ...``: a state a ``Choice`` reaches again, with the same completed calls but
    an unknown set neither containing nor contained in the recorded one, must be
    explored, not taken as seen.  This linearizable unordered-queue history (found by a
    random search against the mutant: 24 ops, five timed-out dequeues and a timed-out
    enqueue) is reported not linearizable when it is not."""
    h = hist(
        (1, "invoke", "dequeue", None), (0, "invoke", "dequeue", None),
        (1, "info", "dequeue", None), (2, "invoke", "enqueue", 2),
        (0, "info", "dequeue", None), (2, "ok", "enqueue", 2),
        (3, "invoke", "dequeue", None), (2, "invoke", "enqueue", 1),
        (3, "ok", "dequeue", None), (2, "info", "enqueue", 1),
        (3, "invoke", "enqueue", 3), (4, "invoke", "dequeue", None),
        (3, "ok", "enqueue", 3), (3, "invoke", "dequeue", None),
        (4, "ok", "dequeue", 1), (4, "invoke", "dequeue", None),
        (4, "ok", "dequeue", 3), (4, "invoke", "enqueue", 1),
        (3, "info", "dequeue", None), (5, "invoke", "dequeue", None),
        (5, "info", "dequeue", None), (6, "invoke", "dequeue", None),
        (4, "ok", "enqueue", 1), (6, "info", "dequeue", None),
    )  # fmt: skip
    assert check(h, {"model": "unordered-queue"})["valid"] is True


# -- fourth pass, seed 4 (a fresh sample, drawn after the tests above) -------------------


@pytest.mark.parametrize(
    ("options", "op"),
    [
        ({"model": "kv"}, (0, "invoke", "put", 5)),  # a kv op of no key: exit 3
        # an independent register's timed-out write of no key: the fast path must hand
        # it to the general one (exit 3), not raise a TypeError of its own
        ({"model": "register", "independent": True}, (0, "invoke", "write", 5)),
    ],
)
def test_a_keyed_op_without_a_key_is_bad_input_naming_the_model(options, op):
    """Kills ``_models._kv_prepare`` ``_split_key(call, "kv")`` -> ``"XXkvXX"`` and
    ``_registers._light`` ``type(v) is not list or len(v) != 2`` -> ``and`` (``len(5)``:
    a ``TypeError`` traceback instead of exit 3)."""
    h = hist(op, (*op[:1], "info", *op[2:]))
    with pytest.raises(HistoryFormatError) as e:
        check(h, options)
    assert f"model '{options['model']}' needs values [key, v]; got 5" in str(e.value)
