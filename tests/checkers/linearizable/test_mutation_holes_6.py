"""Holes found by mutation testing (issue #19), sixth pass: the survivors of the fresh
samples of seeds 31, 33, 35, 37 and 39 (docs/testing.md, "checkers/linearizable, sixth pass").

Each test names the mutant it kills; every mutation was applied by hand, the test seen
to fail, and the source restored (2026-12-04).  The equivalent survivors are recorded,
with their reasons, in ``tools/mutation_equivalents.json``.
"""

from __future__ import annotations

import pytest

from checkers.linearizable import ILLEGAL, Choice, Model, _search, check, resolve_model
from checkers.linearizable._check import calls_of
from checkers.linearizable._explain import unreachable_witness
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._search import Budget, search
from ddialab.errors import HistoryFormatError

from ._helpers import hist

# -- seed 31 -----------------------------------------------------------------------------


def _witness(h, model="register"):
    r = check(h, {"model": model})
    assert r["valid"] is False
    (w,) = r["anomalies"]["nonlinearizable"]
    return w


def test_a_blocked_first_call_is_still_named_in_the_explanation():
    """Kills ``_explain.explain`` ``if de.blocked < 0`` -> ``<= 0``: when the call that
    cannot be placed is the part's first (position 0), the explanation must still name
    it ("cannot be placed"), not claim that no remaining op can be linearized."""
    h = hist((0, "invoke", "read", None), (0, "ok", "read", 3))
    w = _witness(h)
    assert "p0's read of 3 [op 0–1] cannot be placed" in w["explanation"]
    assert "no remaining op" not in w["explanation"]


def _three_pending_cases_then_bad_read():
    # p0..p2's cas from 5 (illegal from null) are pending when p3's read of 7 returns:
    # nothing can go first, so the dead end is the initial state, all four pending.
    return hist(
        (3, "invoke", "read", None),
        (0, "invoke", "cas", [5, 6]), (1, "invoke", "cas", [5, 7]),
        (2, "invoke", "cas", [5, 8]),
        (3, "ok", "read", 7),
        (0, "ok", "cas", [5, 6]), (1, "ok", "cas", [5, 7]), (2, "ok", "cas", [5, 8]),
    )  # fmt: skip


def test_the_other_pending_ops_are_listed_with_semicolons_and_no_bogus_more():
    """Kills ``_explain.explain`` ``"; ".join(...)`` -> ``"XX; XX".join(...)`` and
    ``extra = ... if len(others) > SHOW_LAST`` -> ``... or True`` (a " (and -2 more)" tail
    on a list of three): the explanation lists the other pending ops, separated by "; ",
    and says "more" only when it left some out."""
    w = _witness(_three_pending_cases_then_bad_read(), "cas-register")
    assert (
        "none of the other pending ops can go first (p0's cas 5->6 [op 1–5]; "
        "p1's cas 5->7 [op 2–6]; p2's cas 5->8 [op 3–7])"
    ) in w["explanation"]
    assert "more" not in w["explanation"]


def test_a_witness_op_names_its_process():
    """Kills ``_explain.op_data`` ``"process"`` -> ``"PROCESS"``: the blocked op and the
    ops that could not go first carry their process under ``process``."""
    w = _witness(_three_pending_cases_then_bad_read(), "cas-register")
    (prefix,) = w["prefixes"][:1]
    assert prefix["blocked"]["process"] == 3
    assert [o["process"] for o in prefix["could_not_follow"]] == [3, 0, 1, 2]


def _coin_step(s, c):
    if c.f == "flip":
        return Choice((1, 2))
    return s if c.value == s else ILLEGAL


COIN = Model(
    "coin",
    "flip: heads (1) or tails (2); read",
    _coin_step,
    init=0,
    readonly=lambda c: c.f == "read",
)


def test_the_greedy_pass_never_takes_a_choice_for_a_state():
    """Kills ``_linear._legal`` ``type(ns) is not Choice`` -> ``type(None) is not Choice``
    (unsound): the greedy pass took the ``Choice`` of a flip as the coin's state, and a
    read of ``[1, 2]`` -- equal to that tuple -- was placed after it and the history
    proved linearizable.  A coin holds 1 or 2, never the pair."""
    h = hist((0, "invoke", "flip", None), (0, "ok", "flip", None),
             (1, "invoke", "read", None), (1, "ok", "read", [1, 2]))  # fmt: skip
    r = check(h, {"model": COIN})
    assert r["valid"] is False
    assert r["proven_by_linear_pass"] == 0


def test_a_cas_register_unknown_operation_names_the_model():
    """Kills ``_models._cas_prepare`` ``_unknown_f("cas-register", ...)`` ->
    ``_unknown_f(None, ...)``: the bad-input message names the model ("model None" in
    the mutant)."""
    h = hist((0, "invoke", "incr", 1), (0, "ok", "incr", 1))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": "cas-register"})
    assert "model 'cas-register' has no operation 'incr'; it knows: read, write, cas" in str(
        e.value
    )


def test_kv_gets_of_unknown_outcome_check_nothing():
    """Kills ``_models._kv_prepare`` ``call.f == "get"`` -> ``== "GET"``: a kv get that
    never completed constrains nothing and is dropped, so a history of such gets only is
    ``unknown`` (nothing checked), not valid."""
    h = hist((0, "invoke", "get", ["x", None]), (0, "info", "get", ["x", None]),
             (1, "invoke", "get", ["y", None]))  # fmt: skip
    r = check(h, {"model": "kv"})
    assert r["valid"] == "unknown"
    assert "nothing to check" in r["reason"]


def test_a_later_twin_can_take_effect_after_the_earlier_one():
    """Kills ``search_arrays`` ``(t >= 0 and not done[t])`` -> ``(t >= 0 and done[t])``:
    of two identical unknown ``add 1``s, the later is tried only once the earlier is
    linearized -- the mutant skipped it exactly then.  Here the earlier add must take
    effect before the read of 1 returns, and the later one is invoked only after that,
    so no other order exists: the mutant called this valid history not linearizable.
    The search is run directly: the greedy pass proves this history on its own."""
    h = hist((0, "invoke", "add", 1), (2, "invoke", "read", None), (2, "ok", "read", 1),
             (1, "invoke", "add", 1), (3, "invoke", "read", None), (3, "ok", "read", 2),
             (0, "info", "add", 1), (1, "info", "add", 1))  # fmt: skip
    model = resolve_model({"model": "counter"})
    calls = calls_of(h, model)
    out = search(calls, model.step, model.readonly, model.init, Budget(float("inf"), 1000))
    assert out.valid is True
    assert out.final == 2


# -- seed 33 -----------------------------------------------------------------------------


def test_the_greedy_pass_pulls_a_pending_write_before_a_deferred_cas():
    """Kills ``_linear._Greedy._pull_first`` ``rest = self._order(...)`` -> ``rest =
    None``: a cas that returned illegal in the key's state is placed after a write still
    pending (it never completes), which makes it legal.  Without that rule the key went
    to a window, which a call that never completed sends on to the full search: the
    verdict is the same, but the linear pass no longer proves the history."""
    h = hist((0, "invoke", "write", 1),
             (1, "invoke", "cas", [1, 2]), (1, "ok", "cas", [1, 2]),
             (2, "invoke", "read", None), (2, "ok", "read", 2),
             (0, "info", "write", 1))  # fmt: skip
    r = check(h, {"model": "cas-register"})
    assert r["valid"] is True
    assert r["proven_by_linear_pass"] == 1


@pytest.mark.parametrize("name", ["kv", "kv-nopartition"])
def test_kv_gets_are_read_only(name):
    """Kills ``_models._is_get`` ``c.f == "get"`` -> ``== "XXgetXX"``: a get never
    changes the map, so the search may place it greedily, with no backtracking point
    (the mutant searched every get as a state change: the same verdicts, more work)."""
    model = resolve_model({"model": name})
    h = hist((0, "invoke", "get", ["x", None]), (0, "ok", "get", ["x", ""]),
             (1, "invoke", "put", ["x", "a"]), (1, "ok", "put", ["x", "a"]))  # fmt: skip
    (get, put) = calls_of(h, model)
    assert (model.readonly(get), model.readonly(put)) == (True, False)


def test_the_fast_path_leaves_a_boolean_write_to_the_general_path():
    """Kills ``_registers._light`` ``type(x) not in _SCALARS`` -> ``type(None) not in
    _SCALARS`` (unsound): an unknown write of ``true`` was read off as a light write of
    Python's ``True``, which equals ``1``, so a later read of 1 -- a value nobody wrote:
    ``true`` and ``1`` are different JSON values -- was proved linearizable."""
    h = hist((0, "invoke", "write", ["k", True]), (0, "info", "write", ["k", True]),
             (1, "invoke", "read", ["k", None]), (1, "ok", "read", ["k", 1]))  # fmt: skip
    r = check(h, {"model": "register", "independent": True})
    assert r["valid"] is False


def test_kv_nopartition_get_of_the_empty_string_needs_an_unset_key():
    """Kills ``_models._kvn_step`` ``ILLEGAL if any(kk == k ...) else s`` -> ``... and
    False``: a get returning "" after a put of "a" completed is stale (the whole-map
    model leaves keys holding "" out of its state, so "" is read only of a key it does
    not hold).  Seed 33's run killed it only by a random example of another test; its
    "after" run did not."""
    h = hist((0, "invoke", "put", ["x", "a"]), (0, "ok", "put", ["x", "a"]),
             (1, "invoke", "get", ["x", None]), (1, "ok", "get", ["x", ""]))  # fmt: skip
    assert check(h, {"model": "kv-nopartition"})["valid"] is False
    assert check(h, {"model": "kv"})["valid"] is False


# -- seed 35 -----------------------------------------------------------------------------


def test_a_time_limit_that_runs_out_in_the_probe_is_named_with_its_seconds():
    """Kills ``_check._search_part`` ``Budget(budget.deadline, PROBE_STATES,
    budget.seconds)`` -> ``Budget(budget.deadline, PROBE_STATES, )``: when the time limit
    runs out during the probe search (a state cap above ``PROBE_STATES``), the reason
    still names the limit the user gave ("the time limit (1e-09 s) ran out")."""
    h = hist((0, "invoke", "write", 1), (0, "ok", "write", 1),
             (1, "invoke", "read", None), (1, "ok", "read", 1))  # fmt: skip
    r = check(h, {"model": "register", "time_limit": 1e-9, "max_states": 10**6})
    assert r["valid"] == "unknown"
    assert r["reason"] == "the time limit (1e-09 s) ran out before the search finished"


def test_an_unreachable_witness_with_few_states_adds_nothing_after_them():
    """Kills ``_explain.unreachable_witness`` ``more = ... else ""`` -> ``else "XXXX"``:
    with no more than ``SHOW_LAST`` reachable states, the explanation ends with the last
    of them."""
    h = hist((1, "invoke", "read", None), (1, "ok", "read", 7))
    model = resolve_model({"model": "register"})
    (call,) = calls_of(h, model)
    w = unreachable_witness(call, [None, 1], 1, model, None, False)
    assert w["explanation"] == (
        "p1's read of 7 [op 0–1] completed, so it took effect, but it is illegal in every "
        "state the ops of the history can produce in any order: the register holds null; "
        "the register holds 1"
    )


def test_a_multi_register_state_lists_its_registers_in_key_order():
    """Kills ``_models._key_order`` ``k = kv[0]`` -> ``k = None``: a frozen map's items are
    sorted by key, so the state a witness describes (and the memo's states) do not depend
    on the order the registers were first written: y, then x, shown as x=2, y=1."""
    wy, wx, rx = [["w", "y", 1]], [["w", "x", 2]], [["r", "x", 5]]
    h = hist((0, "invoke", "txn", wy), (0, "ok", "txn", wy),
             (0, "invoke", "txn", wx), (0, "ok", "txn", wx),
             (1, "invoke", "txn", [["r", "x", None]]), (1, "ok", "txn", rx))  # fmt: skip
    w = _witness(h, "multi-register")
    assert w["prefixes"][0]["state_description"] == "the registers hold x=2, y=1"
    assert list(w["prefixes"][0]["state"]) == ["x", "y"]


# -- seed 37 -----------------------------------------------------------------------------


def test_a_search_under_a_small_state_cap_starts_from_the_given_init():
    """Kills ``_check._search_part`` ``search(calls, ..., init, budget)`` -> ``search(...,
    None, budget)`` on the no-probe path (a state cap of at most ``PROBE_STATES``): two
    reads of 5 from a register whose ``init`` is 5 are linearizable.  The cap of 1 state
    is below the linear pass's 2 placed calls, so the pass proves nothing and the search
    decides."""
    h = hist((0, "invoke", "read", None), (0, "ok", "read", 5),
             (1, "invoke", "read", None), (1, "ok", "read", 5))  # fmt: skip
    r = check(h, {"model": "register", "init": 5, "max_states": 1})
    assert (r["valid"], r["proven_by_linear_pass"]) == (True, 0)


def test_generated_histories_default_to_seed_zero():
    """Kills ``_generate.keyed_register_history`` ``seed: int = 0`` -> ``= 1``: the
    benchmarks' histories are named by their seed, and no seed given means seed 0."""
    a = keyed_register_history(40, keys=3, concurrency=4)
    b = keyed_register_history(40, keys=3, concurrency=4, seed=0)
    c = keyed_register_history(40, keys=3, concurrency=4, seed=1)
    assert [o.to_dict() for o in a.ops] == [o.to_dict() for o in b.ops]
    assert [o.to_dict() for o in a.ops] != [o.to_dict() for o in c.ops]


def test_deferred_writes_are_ordered_so_the_next_read_is_legal_after_all_of_them():
    """Kills ``_linear._Greedy._order`` ``states[-1]`` -> ``states[+1]``: of three
    deferred writes (1, 2, 3) the greedy must pick an order after which the read about
    to be invoked (of 2) is legal -- 1, 3, 2 -- and so place all four calls; the mutant
    judged the order 1, 2, 3 by its second state (2), left the read illegal, and the key
    needed a window search (more states, the same verdict)."""
    h = hist((0, "invoke", "write", 1), (1, "invoke", "write", 2), (2, "invoke", "write", 3),
             (0, "ok", "write", 1), (1, "ok", "write", 2), (2, "ok", "write", 3),
             (3, "invoke", "read", None), (3, "ok", "read", 2))  # fmt: skip
    r = check(h, {"model": "register"})
    assert (r["valid"], r["proven_by_linear_pass"]) == (True, 1)
    assert r["states_explored"] == 4  # the four calls placed, no window search


@pytest.mark.parametrize("name", ["register", "cas-register"])
def test_a_register_write_is_described_by_its_value(name):
    """Kills ``_models._register_describe_op`` ``show(c.value)`` -> ``show(None)`` for a
    write: a witness's op descriptions (``description``, and the explanation's) name
    the value written."""
    h = hist((1, "invoke", "read", None), (0, "invoke", "write", 4),
             (1, "ok", "read", 7), (0, "ok", "write", 4))  # fmt: skip
    w = _witness(h, name)
    assert "p1's read of 7 [op 0–2] cannot be placed" in w["explanation"]
    model = resolve_model({"model": name})
    assert [model.describe_op(c) for c in calls_of(h, model)] == ["read of 7", "write of 4"]


def test_the_memo_records_a_second_incomparable_unknown_set(monkeypatch):
    """Kills ``search_arrays`` ``_admit(memo, k3, prev, nib)`` -> ``_admit(memo, None,
    prev, nib)``: a configuration reached again with an unknown set incomparable to the
    one visited must be recorded under its own key, so a later superset of it is pruned.
    The mutant recorded it under ``None`` (never looked up): the same verdicts, more
    states.  The reference is the same search with ``_admit`` recording nowhere; a
    random search over counter histories found this one, where it matters."""
    h = hist((0, "invoke", "add", 1), (1, "invoke", "add", 2), (0, "info", "add", 1),
             (2, "invoke", "read", None), (3, "invoke", "add", 1), (3, "info", "add", 1),
             (2, "ok", "read", 2), (1, "info", "add", 2), (4, "invoke", "add", 1),
             (4, "info", "add", 1), (5, "invoke", "add", 2), (6, "invoke", "read", None),
             (5, "info", "add", 2), (6, "ok", "read", 1))  # fmt: skip
    model = resolve_model({"model": "counter"})
    calls = calls_of(h, model)

    def states():
        out = search(calls, model.step, model.readonly, 0, Budget(float("inf"), 10**6))
        assert out.valid is False
        return out.states

    recorded = states()
    admit = _search._admit
    monkeypatch.setattr(_search, "_admit", lambda memo, key, prev, ib: admit({}, key, prev, ib))
    assert recorded < states()


# -- seed 39 -----------------------------------------------------------------------------


def test_a_counter_add_of_null_adds_one():
    """Kills ``_models._counter_step`` ``1 if c.value is None`` -> ``2 if ...``: an add of
    null increments the counter by 1 (the model's description), so a read of 1 after it
    is linearizable and a read of 2 is not."""

    def h(seen):
        return hist((0, "invoke", "add", None), (0, "ok", "add", None),
                    (1, "invoke", "read", None), (1, "ok", "read", seen))  # fmt: skip

    assert check(h(1), {"model": "counter"})["valid"] is True
    assert check(h(2), {"model": "counter"})["valid"] is False


def test_a_frozen_map_sorts_string_keys_before_the_others():
    """Kills ``_models._key_order`` ``type(k) is not str`` -> ``type(k) is str``: in a
    multi-register state, registers named by strings come first, then those a micro-op
    named by another JSON value (a number), as ``freeze_map``'s docstring says."""
    w1, wa, r1 = [["w", 1, 5]], [["w", "a", 2]], [["r", 1, 7]]
    h = hist((0, "invoke", "txn", w1), (0, "ok", "txn", w1),
             (0, "invoke", "txn", wa), (0, "ok", "txn", wa),
             (1, "invoke", "txn", [["r", 1, None]]), (1, "ok", "txn", r1))  # fmt: skip
    w = _witness(h, "multi-register")
    assert w["prefixes"][0]["state_description"] == "the registers hold a=2, 1=5"


def test_a_txn_value_that_is_not_an_array_is_shown_in_the_error():
    """Kills ``_models._txn_prepare`` ``show(call.value)`` -> ``show(None)``: the bad-input
    message shows the value that is not an array of micro-ops."""
    h = hist((0, "invoke", "txn", 5), (0, "ok", "txn", 5))
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": "multi-register"})
    assert "a txn value must be an array of micro-ops; got 5" in str(e.value)


def test_completed_state_changes_are_tried_before_unknown_calls():
    """Kills ``search_arrays`` ``sweep`` ``else 1`` -> ``else 2`` (seed 39's last
    survivor): completed state changes have a sweep of their own, before the unknown
    calls' (the module docstring's three passes).  The mutant swept them together with
    the unknown calls in list order: the same verdict, but here it first placed the
    unknown ``add 1`` (invoked before the ``add 2``), found the read of 2 illegal after
    it, and backtracked: 4 states.  In the documented order the completed ``add 2``
    goes first and the read after it ends the search, so the unknown call costs
    nothing: the same 2 states as the history without it."""
    model = resolve_model({"model": "counter"})

    def outcome(*unknown):
        h = hist((0, "invoke", "read", None), *unknown, (2, "invoke", "add", 2),
                 (0, "ok", "read", 2), (2, "ok", "add", 2))  # fmt: skip
        calls = calls_of(h, model)
        return search(calls, model.step, model.readonly, model.init, Budget(float("inf"), 99))

    without = outcome()
    with_unknown = outcome((1, "invoke", "add", 1))
    assert with_unknown.valid is without.valid is True
    assert with_unknown.final == without.final == 2
    assert with_unknown.states == without.states == 2
