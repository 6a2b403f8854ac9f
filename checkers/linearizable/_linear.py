"""A linear pass that proves most keys linearizable before any search runs.

Theory of operation
-------------------
Keyed histories (100 keys, 100k ops) are mostly made of keys whose search is trivial:
the search would place every call greedily and never backtrack.  Building its linked
lists, memo and ranks per key then costs more than the search itself.  So, before the
search, one pass over the whole history, in event order, tries to *build* a
linearization of every key at once, greedily:

* a read-only call (``model.readonly``) that is legal in its key's current state is
  linearized at once -- at its invocation, or as soon as a state change makes it legal;
* at the return of a call not yet linearized, the call is linearized there if it is legal;
  otherwise the key's pending and deferred state changes (invoked, not yet linearized;
  two to ``MAX_DEFERRED`` of them) are all linearized first, in an order that makes the
  returning call legal -- or else just one of them, tried in invocation order;
* state changes that returned are placed, in a legal order (``MAX_DEFERRED`` at most),
  before the key's next invocation; if no order is legal, one call still pending (it
  was pending when they returned, so it may take effect before them) may go first;
* anything else -- no legal placement, or a step with several possible next states (a
  ``Choice``) -- gives up on the key: it goes to the search as before.

Soundness: every call is linearized while it is pending (after its invocation, no later
than its return), in one total order per key, and each step was legal in the model.  That
order is a linearization, so a key the pass finishes is linearizable; calls that never
completed may stay unplaced (they may never have happened).  The pass is incomplete on
purpose: giving up costs nothing but the search the key would have had anyway, so the
verdicts are exactly the search's (``tests/checkers/linearizable/test_linear.py`` holds
it to that).  Each linearized call counts as one visited state in the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import permutations
from typing import Any

from checkers.linearizable._models import ILLEGAL, Call, Choice

#: At most this many deferred state changes are ordered by trying their permutations.
MAX_DEFERRED = 4


def prove(
    calls: Sequence[Call],
    step: Callable[[Any, Call], Any],
    readonly: Callable[[Call], bool],
    init_of: Callable[[Any], Any],
    size: int,
) -> tuple[set[Any], int]:
    """The keys the greedy pass linearized, and how many calls it placed.

    ``calls`` are in invocation order with history positions below ``size``;
    ``init_of(key)`` is a key's initial state.
    """
    at: list[Any] = [None] * size  # history position -> call (invoke) or ~call (return)
    for i, c in enumerate(calls):
        at[c.index] = i
        if c.done >= 0:
            at[c.done] = ~i
    ro = [readonly(c) for c in calls]
    return prove_events(at, calls, [c.key for c in calls], ro, step, init_of)


def prove_events(
    at: Sequence[Any],
    calls: Sequence[Any],
    keyof: Sequence[Any],
    ro: list[bool],
    step: Callable[[Any, Any], Any],
    init_of: Callable[[Any], Any],
) -> tuple[set[Any], int]:
    """``prove`` over prepared arrays: ``at`` maps each history position to a call's
    number (its invocation), ``~number`` (its return) or ``None``; ``keyof[n]``, ``ro[n]``
    are call ``n``'s key and read-only flag, and ``step`` takes ``calls[n]`` -- any
    representation ``step`` understands (``_registers`` passes tuples, not ``Call``s)."""
    g = _Greedy(calls, step, ro)
    placed = g.placed
    keys: dict[Any, _Key] = {}
    failed: set[Any] = set()
    for x in at:  # the common cases inline (a call per event costs more than the work)
        if x is None:
            continue
        n = x if x >= 0 else ~x
        key = keyof[n]
        k = keys.get(key)
        if k is None:
            if key in failed:
                continue
            k = keys[key] = _Key(init_of(key))
        if x >= 0:
            if k.returned:
                ok = g.invoke(x, k)
            elif not ro[x]:  # a state change waits for its return
                k.pending.append(x)
                continue
            elif step(k.state, calls[x]) is k.state:  # a legal read: placed at once
                placed[x] = 1
                continue
            else:
                ok = g.invoke(x, k)
        elif placed[~x]:
            continue
        elif not ro[~x]:
            k.pending.remove(~x)
            k.returned.append(~x)
            continue
        else:
            ok = g.complete(~x, k)
        if not ok:
            failed.add(key)
            del keys[key]
    return {key for key, k in keys.items() if g.settle(k, -1)}, sum(placed)


class _Key:
    """One key's greedy linearization so far."""

    __slots__ = ("pending", "returned", "state")

    def __init__(self, state: Any) -> None:
        self.state = state
        self.pending: list[int] = []  # invoked, not returned, not placed
        self.returned: list[int] = []  # state changes returned but not yet placed


def _legal(ns: Any) -> bool:
    return ns is not ILLEGAL and type(ns) is not Choice


class _Greedy:
    """The placement rules of the module docstring, over all keys' calls."""

    def __init__(self, calls: Sequence[Any], step: Any, ro: list[bool]) -> None:
        self.calls, self.step, self.ro = calls, step, ro
        self.placed = bytearray(len(calls))

    def invoke(self, i: int, k: _Key) -> bool:
        """State changes that returned before this invocation are placed now; a legal
        read-only call is placed at once, anything else waits."""
        if k.returned and not self.settle(k, i):
            return False
        if self.ro[i] and _legal(self.step(k.state, self.calls[i])):
            self.placed[i] = 1
        else:
            k.pending.append(i)
        return True

    def complete(self, i: int, k: _Key) -> bool:
        """A read-only call is placed at its return (pulling state changes first if
        needed); a state change is deferred to the next invocation of its key."""
        if self.placed[i]:
            return True
        k.pending.remove(i)
        if not self.ro[i]:
            k.returned.append(i)
            return True
        step, calls = self.step, self.calls
        if _legal(step(k.state, calls[i])):
            self.placed[i] = 1
            return True
        if self._pull_all(k, i):
            return True
        for j in (*k.pending, *k.returned):
            s1 = step(k.state, calls[j])
            if not self.ro[j] and _legal(s1) and _legal(step(s1, calls[i])):
                (k.pending if j in k.pending else k.returned).remove(j)
                self.placed[i] = self.placed[j] = 1
                self._set_state(k, s1)
                return True
        return False

    def _pull_all(self, k: _Key, i: int) -> bool:
        """Place every pending and deferred state change (``MAX_DEFERRED`` at most), in
        an order after which read-only call ``i`` is legal, then ``i``; False if none."""
        changes = [j for j in (*k.pending, *k.returned) if not self.ro[j]]
        if not 1 < len(changes) <= MAX_DEFERRED:
            return False
        chosen = self._order(k.state, changes, i)
        if chosen is None or not _legal(self.step(chosen[1][-1], self.calls[i])):
            return False
        k.pending = [j for j in k.pending if self.ro[j]]
        k.returned = []
        self.placed[i] = 1
        for j, s in zip(*chosen, strict=True):
            self.placed[j] = 1
            self._set_state(k, s)
        return True

    def settle(self, k: _Key, target: int) -> bool:
        """Place the deferred state changes in a legal order, preferring one after which
        call ``target`` (about to be invoked) is legal; if no order is legal, one pending
        state change may go first (it was pending when the first of them returned)."""
        if not k.returned:
            return True
        if len(k.returned) == 1:  # the common case, inline
            j = k.returned[0]
            ns = self.step(k.state, self.calls[j])
            if _legal(ns):
                k.returned = []
                self.placed[j] = 1
                self._set_state(k, ns)
                return True
        elif len(k.returned) > MAX_DEFERRED:
            return False
        chosen = self._order(k.state, k.returned, target) or self._pull_first(k, target)
        if chosen is None:
            return False
        for j, s in zip(*chosen, strict=True):
            self.placed[j] = 1
            self._set_state(k, s)
        k.returned = []
        return True

    def _order(self, state: Any, calls: list[int], target: int) -> Any:
        """(order, states) of ``calls`` from ``state``: a legal order, preferably one
        after which ``target`` is legal; ``None`` if none is legal."""
        if len(calls) == 1:
            ns = self.step(state, self.calls[calls[0]])
            return ((calls[0],), [ns]) if _legal(ns) else None
        chosen = None
        for order in permutations(calls):
            states = self._run(state, order)
            if states is None:
                continue
            if target < 0 or _legal(self.step(states[-1], self.calls[target])):
                return order, states
            chosen = chosen or (order, states)
        return chosen

    def _pull_first(self, k: _Key, target: int) -> Any:
        """One pending state change, then the deferred ones (``_order``), or ``None``."""
        for j in k.pending[:MAX_DEFERRED]:
            s1 = self.step(k.state, self.calls[j])
            if self.ro[j] or not _legal(s1):
                continue
            rest = self._order(s1, k.returned, target)
            if rest is not None:
                k.pending.remove(j)
                return (j, *rest[0]), [s1, *rest[1]]
        return None

    def _run(self, state: Any, order: tuple[int, ...]) -> list[Any] | None:
        out = []
        for j in order:
            state = self.step(state, self.calls[j])
            if not _legal(state):
                return None
            out.append(state)
        return out

    def _set_state(self, k: _Key, state: Any) -> None:
        """The key's new state; pending read-only calls legal in it are placed now."""
        k.state = state
        keep = []
        for j in k.pending:
            if self.ro[j] and _legal(self.step(state, self.calls[j])):
                self.placed[j] = 1
            else:
                keep.append(j)
        k.pending = keep
