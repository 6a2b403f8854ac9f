"""The linear pass's windows (``checkers.linearizable._linear``): where the greedy would
give up on a key, a small search from a checkpoint a few steps back takes over.

A window's search proves a key only if every call before the checkpoint was placed, the
checkpoint's state is the greedy's state there, and the window closes only once all its
calls returned.  These tests hold the keys it proves to the full search on histories
dense with concurrency, stale reads and timeouts, and check it proves what the greedy
alone cannot (else it is dead code).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.linearizable import _linear, resolve_model
from checkers.linearizable._check import calls_of, partitions
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._linear import prove
from checkers.linearizable._search import Budget, BudgetExceeded, search, search_arrays
from ddialab.history import History

OPTIONS = {"model": "cas-register", "independent": True}


def proven_keys(h: History, options: dict[str, Any]) -> tuple[set[Any], dict[Any, bool]]:
    """The keys the pass proves, and every key's verdict from the full search."""
    model = resolve_model(options)
    init = model.freeze_init(options.get("init", model.init))
    calls = calls_of(h, model)
    keys, _ = prove(calls, model.step, model.readonly, lambda k: model.init_for(init, k), len(h))
    verdicts = {}
    for key, part in partitions(calls, model):
        budget = Budget(float("inf"), 10**9)
        outcome = search(part, model.step, model.readonly, model.init_for(init, key), budget)
        verdicts[key] = outcome.valid
    return keys, verdicts


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    concurrency=st.integers(2, 12),
    stale=st.integers(0, 6),
    info=st.sampled_from([0.0, 0.0, 0.05]),
    back=st.sampled_from([1, 2, _linear.CHECKPOINTS]),
)
def test_every_key_a_window_proves_the_search_finds_linearizable(
    seed, concurrency, stale, info, back
):
    """Guards soundness: a window started where a call was still unplaced, searched from
    a state other than the checkpoint's, or closed while a call was still running would
    prove some key the search finds not linearizable (stale reads make such keys).
    Windows are also started 1 and 2 checkpoints back, where such a start shows most."""
    h = keyed_register_history(160, 3, concurrency, seed, info_rate=info, stale_reads=stale)
    saved = _linear.CHECKPOINTS
    _linear.CHECKPOINTS = back
    try:
        keys, verdicts = proven_keys(h, OPTIONS)
    finally:
        _linear.CHECKPOINTS = saved
    for key in keys:
        assert verdicts[key], (key, seed, concurrency, stale, info)


@pytest.mark.parametrize("seed", range(6))
def test_stale_reads_on_a_dense_key_are_still_found(seed):
    """Guards soundness on the histories windows are made for (many concurrent calls on
    few keys): every key the full search rejects stays unproven."""
    h = keyed_register_history(600, 2, 8, seed, stale_reads=8)
    keys, verdicts = proven_keys(h, OPTIONS)
    assert not {k for k in keys if not verdicts[k]}


def test_some_dense_history_is_invalid_so_the_soundness_tests_bite():
    """Guards the two tests above: at least one of their histories has a key the search
    rejects, so a pass that proved everything would fail them."""
    bad = 0
    for seed in range(6):
        _, verdicts = proven_keys(keyed_register_history(600, 2, 8, seed, stale_reads=8), OPTIONS)
        bad += not all(verdicts.values())
    assert bad > 0


def test_windows_prove_keys_the_greedy_alone_gives_up_on(monkeypatch):
    """Guards usefulness: at c=40 on 20 keys the greedy alone gives up on most keys;
    with windows the pass proves them all (this history is linearizable)."""
    h = keyed_register_history(4000, 20, 40, seed=1)
    with_windows, verdicts = proven_keys(h, OPTIONS)
    assert all(verdicts.values()) and with_windows == set(verdicts)

    def give_up(self: Any, key: Any, k: Any, pos: int) -> None:
        self.failed.add(key)

    monkeypatch.setattr(_linear._Windows, "open", give_up)
    greedy_only, _ = proven_keys(h, OPTIONS)
    assert len(greedy_only) < len(with_windows) / 2


def test_a_search_checks_its_cap_as_often_as_asked():
    """Guards ``check_every``: a window's search must stop near its small cap
    (``WINDOW_STATES``), not run on to the default 4,096-push check."""
    h = keyed_register_history(400, 1, 6, seed=2)
    model = resolve_model(OPTIONS)
    calls = calls_of(h, model)
    arrays = (
        calls,
        [c.index for c in calls],
        [c.done for c in calls],
        [model.readonly(c) for c in calls],
        [-1] * len(calls),
    )
    assert search_arrays(*arrays, model.step, None, Budget(float("inf"), 10**6)).valid
    with pytest.raises(BudgetExceeded) as e:
        search_arrays(*arrays, model.step, None, Budget(float("inf"), 50), check_every=8)
    assert 50 < e.value.states <= 58
