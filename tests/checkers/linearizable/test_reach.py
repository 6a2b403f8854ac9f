"""The reachable-state check (``checkers.linearizable._reach``) and the probe in ``check``.

A call ``unplaceable`` names must make its part non-linearizable (soundness, against the
WGL search on random histories of every model); it must find a read of a value nothing
wrote (else it is dead code); and ``check`` must use it on a part whose search is too
large to finish, where the search alone ends "unknown".
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.linearizable import check, resolve_model
from checkers.linearizable._check import calls_of, partitions
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._reach import closure, unplaceable
from checkers.linearizable._search import Budget, search
from ddialab.history import History, Op

from ._helpers import hist
from .test_differential import histories
from .test_linear import CASES


def reach_and_search(ops: list[Op], options: dict[str, Any]) -> list[bool]:
    """For each part ``unplaceable`` condemns: the search's verdict on it."""
    model = resolve_model(options)
    init = model.freeze_init(options.get("init", model.init))
    out = []
    for key, part in partitions(calls_of(History(ops), model), model):
        k_init = model.init_for(init, key)
        if unplaceable(part, model.step, model.readonly, k_init) is not None:
            budget = Budget(float("inf"), 10**9)
            out.append(search(part, model.step, model.readonly, k_init, budget).valid)
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_an_unplaceable_call_means_the_search_fails(data: Any) -> None:
    """Guards soundness: a condemned part the search can linearize would turn a valid
    history invalid (a wrong closure, a dedup that merges calls the model tells apart)."""
    fs, options = data.draw(st.sampled_from(CASES))
    ops = data.draw(histories(fs))
    assert not any(reach_and_search(ops, options))


def test_a_read_of_a_value_never_written_is_found() -> None:
    """Guards the finding itself (the check must not be dead code): the read of 7 is
    illegal in every state writes of 1 and 2 can produce from null."""
    h = hist(
        (0, "invoke", "write", 1),
        (1, "invoke", "read", None),
        (0, "ok", "write", 1),
        (2, "invoke", "write", 2),
        (1, "ok", "read", 7),
        (2, "ok", "write", 2),
    )
    model = resolve_model({"model": "register"})
    calls = calls_of(h, model)
    found = unplaceable(calls, model.step, model.readonly, None)
    assert found is not None
    i, states = found
    assert calls[i].index == 1 and sorted(states, key=repr) == [1, 2, None]


def test_an_unbounded_closure_gives_up() -> None:
    """Guards the cap: a counter's states grow without end, so the closure must stop and
    prove nothing rather than loop."""
    model = resolve_model({"model": "counter"})
    calls = calls_of(hist((0, "invoke", "add", 1), (0, "ok", "add", 1)), model)
    assert closure(calls, model.step, 0) is None


def test_check_decides_a_large_invalid_part_by_its_unreachable_read() -> None:
    """Guards the probe in ``check``: 1k ops by 50 processes on one key, one read of a
    value never written.  The search alone runs out of its states ("unknown", as before
    issue #21); the probe must end it with that read as the witness."""
    h = keyed_register_history(1_000, 1, 50, seed=1)
    read = [op for op in h if op.type == "ok" and op.f == "read"][200]
    read.value = [read.value[0], 99]
    opts = {"model": "cas-register", "independent": True, "max_states": 300_000}
    r = check(h, opts)
    assert r["valid"] is False
    w = r["anomalies"]["nonlinearizable"][0]
    inv = h.invocation(read)
    assert inv is not None and w["ops"] == [inv.index]
    assert "read of 99" in w["explanation"] and 99 not in w["reachable_states"]


def test_a_small_invalid_part_keeps_the_search_witness() -> None:
    """Guards the probe's order: a part the search decides within the probe keeps its
    dead-end witness (prefixes) -- the reach check must not pre-empt it."""
    h = hist((0, "invoke", "read", None), (0, "ok", "read", 5))
    r = check(h, {"model": "register"})
    w = r["anomalies"]["nonlinearizable"][0]
    assert w["prefixes"] and w["prefixes"][0]["blocked"]["index"] == 0
