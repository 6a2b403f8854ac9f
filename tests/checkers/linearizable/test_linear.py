"""The greedy linear pass (``checkers.linearizable._linear``) against the WGL search.

The pass may give up on any key, but a key it proves must be one the search finds
linearizable: these tests run both on random histories of every model, and check that the
pass does prove the keys of ordinary linearizable keyed histories (else it is dead code).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.linearizable import check, resolve_model
from checkers.linearizable._check import calls_of, partitions
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._linear import prove
from checkers.linearizable._search import Budget, search
from ddialab.history import History, Op

from ._helpers import hist
from .test_differential import (
    CAS_FS,
    COUNTER_FS,
    KEYED_FS,
    KV_FS,
    MUTEX_FS,
    Q_FS,
    REG_FS,
    SET_FS,
    histories,
)

CASES = [
    (REG_FS, {"model": "register"}),
    (CAS_FS, {"model": "cas-register", "init": 0}),
    (KEYED_FS, {"model": "register", "independent": True}),
    (KV_FS, {"model": "kv"}),
    (KV_FS, {"model": "kv-nopartition"}),
    (Q_FS, {"model": "fifo-queue"}),
    (Q_FS, {"model": "unordered-queue"}),
    (MUTEX_FS, {"model": "mutex"}),
    (COUNTER_FS, {"model": "counter"}),
    (SET_FS, {"model": "set"}),
]


def proven_and_searched(ops: list[Op], options: dict[str, Any]) -> list[tuple[Any, bool]]:
    """For each key the pass proves: the search's verdict on that key."""
    model = resolve_model(options)
    init = model.freeze_init(options.get("init", model.init))
    calls = calls_of(History(ops), model)
    keys, _ = prove(calls, model.step, model.readonly, lambda k: model.init_for(init, k), len(ops))
    out = []
    for key, part in partitions(calls, model):
        if key in keys:
            budget = Budget(float("inf"), 10**9)
            outcome = search(part, model.step, model.readonly, model.init_for(init, key), budget)
            out.append((key, outcome.valid))
    return out


@settings(max_examples=300)
@given(st.data())
def test_every_key_the_pass_proves_the_search_finds_linearizable(data):
    """Guards soundness: a placement rule that places a call outside its interval, or in
    an illegal step, proves keys that are not linearizable (the search disagrees)."""
    fs, options = data.draw(st.sampled_from(CASES))
    ops = data.draw(histories(fs, max_calls=10))
    for key, valid in proven_and_searched(ops, options):
        assert valid, (key, options, ops)


def test_the_pass_proves_most_keys_of_a_linearizable_keyed_history():
    """Guards usefulness: a pass that gives up on everything (or never runs) leaves every
    key to the search; this linearizable history has nearly all keys proven."""
    h = keyed_register_history(5000, 200, 10, seed=3)
    r = check(h, {"model": "cas-register", "independent": True})
    assert r["valid"] is True
    assert r["proven_by_linear_pass"] >= 0.8 * r["partitions"]


def test_a_stale_read_is_not_proven_and_the_search_still_finds_it():
    """Guards that a key the pass cannot place goes on to the search: the stale read is
    reported, not hidden by the keys the pass did prove."""
    h = keyed_register_history(3000, 50, 10, seed=4, stale_reads=1)
    r = check(h, {"model": "cas-register", "independent": True})
    assert r["valid"] is False
    assert 0 < r["proven_by_linear_pass"] < r["partitions"]


def test_the_pass_is_charged_to_the_state_budget():
    """Guards budgets: the calls the pass places count as visited states, and a pass that
    does not fit in the state cap proves nothing (the search, with its own checks of the
    cap, decides alone)."""
    h = keyed_register_history(200, 5, 3, seed=5)
    options = {"model": "cas-register", "independent": True}
    full = check(h, options)
    assert full["proven_by_linear_pass"] == 5 and full["states_explored"] >= 150
    capped = check(h, {**options, "max_states": 149})
    assert capped["proven_by_linear_pass"] == 0


def proves(*events: tuple[Any, ...]) -> bool:
    """Does the pass prove this (unkeyed) cas-register history, from null?"""
    model = resolve_model({"model": "cas-register"})
    h = hist(*events)
    keys, _ = prove(calls_of(h, model), model.step, model.readonly, lambda k: None, len(h))
    return None in keys


def test_a_read_pulls_every_pending_write_in_a_legal_order():
    """Guards the all-pending rule: the read of 2 returns while writes of 2 and 0 are both
    pending.  Pulling only the write of 2 leaves the write of 0 to land after it, and the
    next read of 2 then fails the pass; placing 0 then 2 proves the history."""
    assert proves(
        (0, "invoke", "write", 2),
        (1, "invoke", "write", 0),
        (2, "invoke", "read", None),
        (2, "ok", "read", 2),
        (1, "ok", "write", 0),
        (0, "ok", "write", 2),
        (2, "invoke", "read", None),
        (2, "ok", "read", 2),
    )


def test_a_deferred_cas_may_follow_a_write_still_pending():
    """Guards the pull-first rule of ``settle``: the cas 1->2 returns before the write of
    1 does, and is illegal from null; the write was pending, so it goes first."""
    assert proves(
        (0, "invoke", "cas", [1, 2]),
        (1, "invoke", "write", 1),
        (0, "ok", "cas", [1, 2]),
        (2, "invoke", "read", None),
        (2, "ok", "read", 2),
        (1, "ok", "write", 1),
    )
