"""The keyed-register fast path (``checkers.linearizable._registers``).

It replaces, for ``independent`` register / cas-register histories, the ``Call`` objects
of the linear pass by arrays and light tuples.  These tests hold it to the general path:
the arrays must stand for exactly the calls ``calls_of`` builds, and ``check`` must give
byte-for-byte the same result (verdict, states, witness) with the fast path as without.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.linearizable import ILLEGAL, check, resolve_model
from checkers.linearizable import _check as check_module
from checkers.linearizable._check import calls_of
from checkers.linearizable._generate import keyed_register_history
from checkers.linearizable._registers import light_calls, light_step
from ddialab.errors import UsageError
from ddialab.history import History, Op

from ._helpers import hist
from .test_differential import KEY, MAYBE, V, histories

KEYED_CAS_FS = {
    "read": (st.tuples(KEY, st.none()).map(list), st.tuples(KEY, MAYBE).map(list)),
    "write": (st.tuples(KEY, V).map(list), None),
    "cas": (st.tuples(KEY, st.lists(V, min_size=2, max_size=2)).map(list), None),
}
MODELS = [("register", None), ("cas-register", None), ("cas-register", 0)]
STATES = [None, 0, 1, 2, "0"]


def general(options: dict[str, Any]) -> dict[str, Any]:
    """The same options with the fast path switched off (the model loses its flag)."""
    model = dataclasses.replace(resolve_model(options), keyed_registers="")
    return {**options, "independent": False, "model": model}


def both(ops: Any, options: dict[str, Any]) -> tuple[Any, Any]:
    """``check``'s result (or the error it raised) with and without the fast path."""
    out = []
    for opts in (options, general(options)):
        try:
            out.append(check(History(list(ops)), opts))
        except Exception as e:  # bad input must be reported the same way
            out.append((type(e), str(e)))
    return out[0], out[1]


@settings(max_examples=300)
@given(st.data())
def test_the_fast_path_gives_the_general_paths_result(data):
    """Guards the whole fast path: a light call that steps differently from its ``Call``,
    a key or read-only flag mixed up, an unproven key's ``Call`` missed or duplicated,
    or a miscounted partition changes the result dict (verdict, states or witness)."""
    name, init = data.draw(st.sampled_from(MODELS))
    fs = KEYED_CAS_FS if name == "cas-register" else {k: KEYED_CAS_FS[k] for k in ("read", "write")}
    ops = data.draw(histories(fs, max_calls=10))
    fast, slow = both(ops, {"model": name, "independent": True, "init": init})
    assert fast == slow


@settings(max_examples=200)
@given(histories(KEYED_CAS_FS, max_calls=10))
def test_light_calls_stand_for_the_calls_of_the_general_path(ops):
    """Guards ``light_calls``: each array entry must be the ``Call`` ``calls_of`` builds
    at that invocation -- same key, read-only flag, return position, and a step that
    agrees in every state (an unknown read kept, a failed cas taken for a cas, ...)."""
    model = resolve_model({"model": "cas-register", "independent": True})
    h = History(ops)
    light = light_calls(h, cas=True)
    assert light is not None
    calls = calls_of(h, model)
    assert light.invocations == [c.index for c in calls]
    for n, c in enumerate(calls):
        assert (light.keys[n], light.ro[n]) == (c.key, model.readonly(c))
        assert light.at[c.index] == n and (c.done < 0 or light.at[c.done] == ~n)
        for s in STATES:
            a, b = light_step(s, light.calls[n]), model.step(s, c)
            assert a == b if b is not ILLEGAL else a is ILLEGAL


NOT_PLAIN = {
    "a boolean value": [(0, "invoke", "write", ["a", True]), (0, "ok", "write", ["a", True])],
    "a float value": [(0, "invoke", "write", ["a", 1.0]), (0, "ok", "write", ["a", 1.0])],
    "a tagged key": [(0, "invoke", "write", ["__dict__", 1]), (0, "ok", "write", ["__dict__", 1])],
    "a null key": [(0, "invoke", "write", [None, 1]), (0, "ok", "write", [None, 1])],
    "a bare value": [(0, "invoke", "write", 1), (0, "ok", "write", 1)],
    "a cas value of one": [(0, "invoke", "cas", ["a", [1]]), (0, "ok", "cas", ["a", [1]])],
    "an unknown f": [(0, "invoke", "incr", ["a", 1]), (0, "ok", "incr", ["a", 1])],
    "a completion alone": [(0, "ok", "write", ["a", 1])],
    "a list value": [(0, "invoke", "write", ["a", [1]]), (0, "ok", "write", ["a", [1]])],
}


@pytest.mark.parametrize("case", sorted(NOT_PLAIN))
def test_a_history_that_is_not_plain_takes_the_general_path(case):
    """Guards the fallback: what the light step cannot read exactly (a bool equals 1 in
    Python, not in the vocabulary) or what is bad input must not be read by the fast
    path, and the check must say what the general path says (error included)."""
    h = hist(*NOT_PLAIN[case])
    assert light_calls(h, cas=True) is None
    fast, slow = both(h.ops, {"model": "cas-register", "independent": True})
    assert fast == slow


def test_the_register_model_refuses_a_cas_in_the_general_path_too():
    """Guards ``cas=False``: the plain register model has no cas, so the fast path must
    leave a cas to the general path's bad-input report (exit 3)."""
    h = hist((0, "invoke", "cas", ["a", [0, 1]]), (0, "ok", "cas", ["a", [0, 1]]))
    assert light_calls(h, cas=False) is None
    fast, slow = both(h.ops, {"model": "register", "independent": True})
    assert fast == slow and "no operation 'cas'" in fast[1]


def test_a_generated_history_with_stale_reads_gives_the_same_witness():
    """Guards the hand-over to the search on a realistic history: most keys proven by
    the fast pass, the rest searched from ``Call``s built only for them, and the same
    failing key and witness as the general path."""
    h = keyed_register_history(3000, 30, 10, seed=4, stale_reads=3)
    fast, slow = both(h.ops, {"model": "cas-register", "independent": True})
    assert fast["valid"] is False and fast == slow


def test_the_fast_path_builds_calls_only_for_the_keys_it_did_not_prove(monkeypatch):
    """Guards the point of the fast path: if ``check`` stopped taking it (a model flag
    lost, a guard too strict), ``calls_of`` would again build every op's ``Call``."""
    built: list[int] = []
    real = check_module.calls_of

    def spy(h: Any, model: Any, only: Any = None) -> Any:
        out = real(h, model, only)
        built.append(len(out))
        return out

    monkeypatch.setattr(check_module, "calls_of", spy)
    h = keyed_register_history(2000, 40, 5, seed=1)
    r = check(h, {"model": "cas-register", "independent": True})
    total = len(calls_of(h, resolve_model({"model": "cas-register", "independent": True})))
    assert r["valid"] is True and r["proven_by_linear_pass"] > 0
    assert len(built) == 1 and built[0] < total


def test_an_init_the_light_step_cannot_compare_takes_the_general_path():
    """Guards the init guard: a boolean init freezes to a tagged pair, which the light
    step would compare wrongly with a plain value."""
    h = hist((0, "invoke", "read", ["a", None]), (0, "ok", "read", ["a", 1]))
    fast, slow = both(h.ops, {"model": "cas-register", "independent": True, "init": True})
    assert fast == slow and fast["valid"] is False


def test_usage_errors_are_unchanged():
    """Guards that the fast path sits after option validation (a usage error, exit 2)."""
    with pytest.raises(UsageError):
        check(History([Op(0, 0, "invoke", 0, "read", ["a", None])]), {"model": "nope"})
