"""``check(history, options)``: options, history -> calls, partitions, budgets, result.

Theory of operation
-------------------
1. Pair each client invocation with its completion; a completion with no invocation is
   bad input (exit 3 naming its line: it has no start, so it cannot be placed in real
   time).  ``fail`` ops never happened and are dropped; ``ok`` ops become known calls
   (value = the completion's value) that must take effect between invocation and
   completion; ``info`` ops and invocations with no completion become unknown calls
   (value = the invocation's value) that may take effect any time after invocation, or
   never.  Nemesis ops are ignored.
2. The model's ``prepare`` normalizes each call or drops it (unknown reads); a value of
   the wrong shape (``BadValue``) is bad input naming the op's file and line.  A history
   whose every op is a read of unknown outcome is ``"unknown"`` (nothing was checked); an
   empty history, or one whose ops all failed, is valid, as in Knossos and Porcupine.
3. P-compositionality: a partitioned model (``kv``) or ``independent: true`` splits the
   calls by key; each part is searched on its own (``_search``), smallest first, stopping
   at the first part that is not linearizable.  Before that, one greedy pass over the
   whole history (``_linear``) proves most parts linearizable without a search; only the
   parts it gives up on are searched.  For ``independent`` registers on a plain history,
   that pass runs on arrays read straight off the ops (``_registers``) and ``Call``s are
   built (``calls_of(..., only)``) just for the parts it leaves to the search.  A part
   whose search outlasts ``PROBE_STATES`` is first checked for a completed call that no
   state the part can reach admits (``_reach``: a definite failure, with that call as
   the witness), then searched in full.
4. Budgets: ``time_limit`` seconds (default 60) and ``max_states`` memoized states across
   all parts.  Unless given, ``max_states`` scales with the time limit
   (``STATES_PER_SECOND`` x seconds, about what the search visits per second), so the
   budget the user gives is the budget used: memory grows with it (roughly 200 bytes a
   state).  Running out gives ``"unknown"`` with a reason naming the limit that ended the
   search -- unless a part already failed, which is a definite ``False``.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from checkers import anomalies_result, unknown_result, valid_result
from checkers.linearizable._explain import unreachable_witness, witness
from checkers.linearizable._linear import prove, prove_events
from checkers.linearizable._models import MODELS, BadValue, Call, Model, independent
from checkers.linearizable._reach import unplaceable
from checkers.linearizable._registers import light_calls, light_step
from checkers.linearizable._search import Budget, BudgetExceeded, search
from ddialab.errors import UsageError
from ddialab.history import NEMESIS, History, bad_op, require_invocations
from ddialab.vocabulary import PLAIN_TYPES, freeze

DEFAULT_TIME_LIMIT = 60.0
#: Memoized states allowed per second of time limit (the search visits ~250k states/s).
STATES_PER_SECOND = 250_000
#: A part whose search outlasts this many states is first asked (``_reach``) for a
#: completed call no reachable state admits -- decisive when there is one -- and only
#: then searched in full (from scratch, with the whole budget).
PROBE_STATES = 20_000
ANOMALY = "nonlinearizable"


def resolve_model(options: Mapping[str, Any]) -> Model:
    name = options.get("model")
    known = ", ".join(MODELS)
    if name is None:
        raise UsageError(f"the linearizable checker needs a model (--model); models: {known}")
    if isinstance(name, Model):
        model = name
    elif name in MODELS:
        model = MODELS[name]
    else:
        raise UsageError(f"unknown model {name!r} for the linearizable checker; models: {known}")
    if not options.get("independent"):
        return model
    if model.partitioned:
        raise UsageError(
            f"model {model.name!r} already checks each key on its own; drop --independent"
        )
    return independent(model)


def calls_of(
    history: History | list[Any], model: Model, only: Sequence[int] | None = None
) -> list[Call]:
    """The client calls the model sees, in invocation order (see the module docstring).

    One pass over the ops: an op whose partner comes later is an invocation with a
    completion; an earlier partner (or none, -1) marks a completion -- or an invocation
    that never completed, the only case that needs the op's type.  A client completion
    with no partner is bad input: ``require_invocations`` names it (this pass finds it,
    so the check needs no separate pass over the history).  ``only``: just the calls
    invoked at these positions (ascending), as ``_registers`` asks for its unproven keys.
    """
    h = history if isinstance(history, History) else History(history)
    ops = h.ops
    pairs = h.pairs()
    prepare = model.prepare
    out: list[Call] = []
    append = out.append
    for i in range(len(ops)) if only is None else only:
        op = ops[i]
        j = pairs[i]
        if j > i:
            comp = ops[j]
            typ = comp.type
            if typ == "fail" or op.process == NEMESIS:
                continue
            known = typ == "ok"
            v = comp.value if known else op.value
            t = type(v)
            if t not in PLAIN_TYPES:  # freeze's own fast paths, inline: [key, scalar]
                plain = t is list and PLAIN_TYPES.issuperset(map(type, v))
                v = tuple(v) if plain else freeze(v)
            call = Call(i, j if known else -1, op.process, op.f, v, known, comp.extra)
        elif j >= 0 or op.process == NEMESIS:
            continue
        elif op.type != "invoke":
            require_invocations(h, "linearizable")  # raises: a completion with no invoke
            continue
        else:
            call = Call(i, -1, op.process, op.f, freeze(op.value), False, {})
        try:
            prepared = prepare(call)
        except BadValue as e:
            raise bad_op(h, ops[call.done] if call.known else op, str(e)) from None
        if prepared is not None:
            append(prepared)
    return out


def partitions(calls: list[Call], model: Model) -> list[tuple[Any, list[Call]]]:
    if not model.partitioned:
        return [(None, calls)]
    parts: defaultdict[Any, list[Call]] = defaultdict(list)
    for c in calls:
        parts[c.key].append(c)
    return sorted(parts.items(), key=lambda kv: len(kv[1]))


def check(history: History | list[Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Is the history linearizable against ``options["model"]``?  See the package doc."""
    with _collector_paused():
        return _check(history, options)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """CPython's cyclic collector off for the check (restored after, as it was).

    The check allocates one ``Call`` per op and, in the search, tuples by the hundred
    thousand; each allocation burst triggers collections that walk every object alive,
    the whole history included (100k ops: a third of the check's time, and most of its
    run-to-run spread).  Nothing the check builds is cyclic -- reference counting frees
    all of it -- so pausing the collector saves that walk and costs no memory (cycles a
    user's model might build are collected once the check returns).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check(history: History | list[Any], options: Mapping[str, Any]) -> dict[str, Any]:
    model = resolve_model(options)
    init = model.freeze_init(options.get("init", model.init))
    h = history if isinstance(history, History) else History(history)
    budget = _budget(options)
    fast = _fast_pass(h, model, init, budget)
    if fast is None:
        calls = calls_of(h, model)
        parts = partitions(calls, model)
        n_parts, nothing = len(parts), not calls
        proven = _linear_pass(calls, model, init, len(h), budget) if calls else set()
    else:
        parts, n_parts, proven = fast
        nothing = not n_parts
    if nothing and not _decided_ops(h):
        return unknown_result(_nothing_reason(model), **_stats(model, n_parts, budget))
    unknown: list[Any] = []
    for key, part in parts:
        if key in proven:
            continue
        try:
            w = _search_part(part, model, model.init_for(init, key), key, budget)
        except BudgetExceeded as e:
            budget.states_used += e.states
            unknown.append((key, str(e)))
            if e.timed_out:
                break
            continue
        if w is not None:
            return anomalies_result({ANOMALY: [w]}, **_stats(model, n_parts, budget, failed=key))
    stats = _stats(model, n_parts, budget)
    if unknown:
        return unknown_result(_unknown_reason(unknown, model, n_parts), **stats)
    return valid_result(**stats)


def _fast_pass(
    h: History, model: Model, init: Any, budget: Budget
) -> tuple[list[tuple[Any, list[Call]]], int, set[Any]] | None:
    """The keyed-register fast path (``_registers``): the parts left to search (with
    ``Call``s), how many parts there are, the keys proven; ``None``: take the general path."""
    if not model.keyed_registers or type(init) not in (int, str, type(None)):
        return None
    light = light_calls(h, model.keyed_registers == "cas")
    if light is None:
        return None
    proven, placed = prove_events(light.at, light.arrays(), light_step, lambda k: init)
    n_parts = len(set(light.keys))
    if not _charge(budget, proven, placed):
        proven = set()
    only = [i for i, k in zip(light.invocations, light.keys, strict=True) if k not in proven]
    return partitions(calls_of(h, model, only), model), n_parts, proven


def _search_part(
    calls: list[Call], model: Model, init: Any, key: Any, budget: Budget
) -> dict[str, Any] | None:
    """``None`` if the part is linearizable, else its witness (see ``PROBE_STATES``);
    raises ``BudgetExceeded`` as ``search`` does."""
    step, readonly = model.step, model.readonly
    if budget.max_states <= PROBE_STATES:
        outcome = search(calls, step, readonly, init, budget)
    else:
        try:
            probe = Budget(budget.deadline, PROBE_STATES, budget.seconds)
            outcome = search(calls, step, readonly, init, probe)
            budget.states_used += probe.states_used
        except BudgetExceeded as e:
            if e.timed_out:
                raise
            budget.states_used += e.states
            found = unplaceable(calls, step, readonly, init)
            if found is not None:
                i, states = found
                return unreachable_witness(
                    calls[i], states, len(calls), model, key, model.partitioned
                )
            outcome = search(calls, step, readonly, init, budget)
    if outcome.valid:
        return None
    return witness(outcome.dead_ends, calls, model, key, model.partitioned)


def _linear_pass(calls: list[Call], model: Model, init: Any, size: int, budget: Budget) -> set[Any]:
    """The parts the greedy pass proves, charged to the budget (none if it does not fit)."""
    proven, placed = prove(
        calls, model.step, model.readonly, lambda k: model.init_for(init, k), size
    )
    return proven if _charge(budget, proven, placed) else set()


def _charge(budget: Budget, proven: set[Any], placed: int) -> bool:
    """Charge the pass's placed calls to the budget; False (prove nothing) if they do not
    fit in it."""
    if placed > budget.max_states or time.perf_counter() > budget.deadline:
        return False
    budget.states_used += placed
    budget.proven = len(proven)
    return True


def _budget(options: Mapping[str, Any]) -> Budget:
    """The user's time limit, and a state cap that scales with it unless given."""
    limit = options.get("time_limit")
    seconds = float(DEFAULT_TIME_LIMIT if limit is None else limit)
    cap = options.get("max_states")
    states = int(cap) if cap is not None else max(1, int(STATES_PER_SECOND * seconds))
    return Budget(time.perf_counter() + seconds, states, seconds)


def _decided_ops(h: History) -> bool:
    """Does the history say anything?  Empty is trivially linearizable (as in Knossos and
    Porcupine); so is one whose ops all failed (each definitely did nothing).  But when
    every op left is a read of unknown outcome, nothing was checked."""
    client = h.client_ops()
    return not client or any(op.type == "fail" for op in client)


def _nothing_reason(model: Model) -> str:
    return (
        f"nothing to check: every client op is a read with no known value, which "
        f"constrains no {model.name} state"
    )


def _stats(model: Model, n_parts: int, budget: Budget, failed: Any = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "model": model.name,
        "partitions": n_parts,
        "states_explored": budget.states_used,
        "proven_by_linear_pass": budget.proven,
    }
    if model.partitioned and failed is not None:
        d["failed_partition"] = failed
    return d


def _unknown_reason(unknown: list[tuple[Any, str]], model: Model, n: int) -> str:
    key, why = unknown[0]
    if not model.partitioned:
        return f"{why} before the search finished"
    return f"{why} while checking key {key!r} ({len(unknown)} of {n} keys undecided)"
