"""Completed calls that no reachable state admits: a definite failure without a search.

Theory of operation
-------------------
Let ``S`` be the closure of ``{init}`` under a part's state-changing calls: every such
call (deduplicated by what ``step`` reads: ``f``, ``value``, ``known``, ``extra``) applied to
every state of ``S``, any number of times, every state of a ``Choice``.  A linearization
applies some of the calls, each at most once, in some order, so every state it passes
through is in ``S``.  A call that completed ``ok`` took effect, so it must be legal in some
state of ``S``; one that is ``ILLEGAL`` in all of them (a read of a value nothing ever
wrote, a cas from a value no state holds) proves the part not linearizable, whatever
the order -- no search can say more.  Read-only calls leave a state unchanged when they
are legal (the model's promise), so they do not grow ``S``.

``S`` is finite and small for registers (the values written, plus the initial one), but
unbounded for a string that appends grow or a counter: past ``MAX_STATES`` states the
closure gives up and proves nothing (``None``).  The check is sound, not complete: a
stale read of a value that *was* written somewhere still needs the search.

``check`` runs it only on parts whose search outlasted a probe budget, so small parts
keep the search's dead-end witness and the common case pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from checkers.linearizable._models import ILLEGAL, Call, Choice

#: The closure gives up past this many states (it then proves nothing).
MAX_STATES = 256


def unplaceable(
    calls: Sequence[Call],
    step: Callable[[Any, Call], Any],
    readonly: Callable[[Call], bool],
    init: Any,
) -> tuple[int, list[Any]] | None:
    """The position of the first completed call illegal in every reachable state, and
    those states; ``None`` if there is none or the closure is too large to know."""
    distinct = _distinct(calls)
    if distinct is None:
        return None
    states = closure([calls[i] for i in distinct if not readonly(calls[i])], step, init)
    if states is None:
        return None
    for i in distinct:
        c = calls[i]
        if c.known and not any(_legal(step(s, c)) for s in states):
            return i, states
    return None


def closure(
    changes: Sequence[Call], step: Callable[[Any, Call], Any], init: Any
) -> list[Any] | None:
    """Every state ``changes`` reach from ``init`` (in discovery order), or ``None`` past
    ``MAX_STATES``."""
    seen = {init: None}
    todo = [init]
    while todo:
        s = todo.pop()
        for c in changes:
            for ns in _next_states(step(s, c)):
                if ns not in seen:
                    seen[ns] = None
                    todo.append(ns)
                    if len(seen) > MAX_STATES:
                        return None
    return list(seen)


def _next_states(ns: Any) -> tuple[Any, ...]:
    if ns is ILLEGAL:
        return ()
    return tuple(ns) if type(ns) is Choice else (ns,)


def _legal(ns: Any) -> bool:
    return ns is not ILLEGAL and not (type(ns) is Choice and not ns)


def _distinct(calls: Sequence[Call]) -> list[int] | None:
    """The first position of each distinct call (``None``: one is unhashable)."""
    first: dict[Any, int] = {}
    try:
        for i, c in enumerate(calls):
            extra = tuple(sorted(c.extra.items(), key=repr)) if c.extra else ()
            first.setdefault((c.f, c.value, c.known, extra), i)
    except TypeError:
        return None
    return list(first.values())
