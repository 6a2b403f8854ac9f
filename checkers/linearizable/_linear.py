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
  ``Choice``) -- ends the greedy on the key, and a *window* takes over (below).

Soundness: every call is linearized while it is pending (after its invocation, no later
than its return), in one total order per key, and each step was legal in the model.  That
order is a linearization, so a key the pass finishes is linearizable; calls that never
completed may stay unplaced (they may never have happened).

Windows.  A *checkpoint* is an invocation of a key at which every earlier call of the key
is placed (none pending, the deferred changes settled): the greedy's order so far is a
linearization of everything invoked before it, ending in the checkpoint's state.  When
the greedy fails, the key's calls from the checkpoint ``CHECKPOINTS`` back (the oldest
kept: the greedy's latest choices are the likely culprits) form a window; it grows with
the key's invocations until one finds every window call returned, and then the WGL search
(``search_arrays``, at most ``WINDOW_STATES`` states, ``MAX_WINDOW`` calls) looks for a
linearization of the window from the checkpoint's state.  Found: the greedy resumes from
the state it ends in (that invocation is a new checkpoint).  Not found, or too big: the
key goes to the full search, as it does when a call that never completed joins the window
(such a window could only close at the end of the history, and rarely pays: Porcupine's
etcd logs).  A window still open at the end is searched there.  Sound, because the
pieces concatenate: every call before the checkpoint is placed before it and every window
call is invoked after it, and every window call returned before any later call is invoked
-- so the greedy prefix, the window's linearization and what follows respect real time,
and each step is legal.

The pass is incomplete on purpose: giving up costs nothing but the search the key would
have had anyway, so the verdicts are exactly the search's
(``tests/checkers/linearizable/test_linear.py`` and ``test_windows.py`` hold it to that).
Each linearized call, and each state a window search visits, counts as one visited state
in the budget.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

from checkers.linearizable._models import ILLEGAL, Call, Choice
from checkers.linearizable._search import Budget, BudgetExceeded, search_arrays

#: At most this many deferred state changes are ordered by trying their permutations.
MAX_DEFERRED = 4
#: A window holds at most this many calls, and its search visits at most this many states.
MAX_WINDOW = 64
WINDOW_STATES = 512
WINDOW_CHECK = 128  # how often a window's search checks its cap
#: A window starts this many checkpoints back.
CHECKPOINTS = 4


def prove(
    calls: Sequence[Call],
    step: Callable[[Any, Call], Any],
    readonly: Callable[[Call], bool],
    init_of: Callable[[Any], Any],
    size: int,
) -> tuple[set[Any], int]:
    """The keys the greedy pass linearized, and how many states it used (calls placed,
    plus the states of its window searches).

    ``calls`` are in invocation order with history positions below ``size``;
    ``init_of(key)`` is a key's initial state.
    """
    at: list[Any] = [None] * size  # history position -> call (invoke) or ~call (return)
    for i, c in enumerate(calls):
        at[c.index] = i
        if c.done >= 0:
            at[c.done] = ~i
    arrays = Arrays(
        calls,
        [c.key for c in calls],
        [readonly(c) for c in calls],
        [c.index for c in calls],
        [c.done for c in calls],
    )
    return prove_events(at, arrays, step, init_of)


@dataclass
class Arrays:
    """Calls as the pass reads them, by call number (invocation order): ``step`` takes
    ``calls[n]`` -- any representation it understands (``_registers`` passes tuples)."""

    calls: Sequence[Any]
    keys: Sequence[Any]
    ro: list[bool]
    index: list[int]  # history position of the invocation
    returns: list[int]  # history position of the return, -1: none


def prove_events(
    at: Sequence[Any],
    a: Arrays,
    step: Callable[[Any, Any], Any],
    init_of: Callable[[Any], Any],
) -> tuple[set[Any], int]:
    """``prove`` over prepared arrays: ``at`` maps each history position to a call's
    number (its invocation), ``~number`` (its return) or ``None``."""
    calls, keyof, ro, index, returns = a.calls, a.keys, a.ro, a.index, a.returns
    g = _Greedy(calls, step, ro)
    placed = g.placed
    keys: dict[Any, _Key] = {}
    failed: set[Any] = set()
    windows = _Windows(a, step, failed)
    opened = windows.opened
    for x in at:  # the common cases inline (a call per event costs more than the work)
        if x is None:
            continue
        key = keyof[x if x >= 0 else ~x]
        k = keys.get(key)
        if k is None:
            if key in failed:
                continue
            if key not in opened:
                k = keys[key] = _Key(init_of(key))
            else:
                k = windows.event(key, x)
                if k is None:
                    continue
                keys[key] = k
        if x >= 0:
            if not k.pending:  # nothing of the key is unplaced: a checkpoint
                if k.returned and not g.settle(k, x):
                    windows.open(key, k, index[x])
                    del keys[key]
                    continue
                k.cps.append((k.state, x))
            elif k.returned:
                if not g.invoke(x, k):
                    windows.open(key, k, index[x])
                    del keys[key]
                continue
            if not ro[x]:  # a state change waits for its return
                k.pending.append(x)
            elif step(k.state, calls[x]) is k.state:  # a legal read: placed at once
                placed[x] = 1
            else:
                g.invoke(x, k)
        elif placed[~x]:
            continue
        elif not ro[~x]:
            k.pending.remove(~x)
            k.returned.append(~x)
        elif not g.complete(~x, k):
            windows.open(key, k, returns[~x])
            del keys[key]
    proven = {key for key, k in keys.items() if g.settle(k, -1)}
    return proven | windows.finish(), sum(placed) + windows.states


class _Key:
    """One key's greedy linearization so far, and its last checkpoint: the state when
    call ``cp_from`` was invoked with every earlier call of the key placed."""

    __slots__ = ("cps", "pending", "returned", "state")

    def __init__(self, state: Any) -> None:
        self.state = state
        # (state, call): the last ``CHECKPOINTS`` checkpoints (the first event of a key,
        # and of a key resumed after a window, is an invocation that makes one)
        self.cps: deque[tuple[Any, int]] = deque(maxlen=CHECKPOINTS)
        self.pending: list[int] = []  # invoked, not returned, not placed
        self.returned: list[int] = []  # state changes returned but not yet placed


class _Window:
    __slots__ = ("members", "open", "state")

    def __init__(self, state: Any, members: list[int], open_: int) -> None:
        self.state, self.members, self.open = state, members, open_


class _Windows:
    """Keys the greedy gave up on, searched window by window (module docstring)."""

    def __init__(self, a: Arrays, step: Callable[[Any, Any], Any], failed: set[Any]) -> None:
        self.a, self.step, self.failed = a, step, failed
        self.opened: dict[Any, _Window] = {}
        self.states = 0  # states the window searches visited

    def open(self, key: Any, k: _Key, pos: int) -> None:
        """The greedy failed on ``key`` at history position ``pos``: its calls from the
        last checkpoint on form a window (those invoked by ``pos`` are in it)."""
        keyof, index, returns = self.a.keys, self.a.index, self.a.returns
        members: list[int] = []
        cp_state, n = k.cps[0]
        while n < len(index) and index[n] <= pos:
            if keyof[n] == key:
                if len(members) == MAX_WINDOW or returns[n] < 0:
                    self.failed.add(key)  # too big, or could only close at the end
                    return
                members.append(n)
            n += 1
        still = sum(1 for n in members if returns[n] > pos)
        self.opened[key] = _Window(cp_state, members, still)

    def event(self, key: Any, x: int) -> _Key | None:
        """An event of a key in a window: the key's greedy state again when the window
        closes (at an invocation with every window call returned) and its search found
        a linearization; else ``None``."""
        w = self.opened[key]
        if x < 0:
            if ~x >= w.members[0]:  # not a read placed before the window, still running
                w.open -= 1
            return None
        if w.open:
            w.members.append(x)
            w.open += 1
            if len(w.members) > MAX_WINDOW or self.a.returns[x] < 0:
                del self.opened[key]
                self.failed.add(key)
            return None
        del self.opened[key]
        final = self._search(w)
        if final is ILLEGAL:
            self.failed.add(key)
            return None
        return _Key(final)

    def finish(self) -> set[Any]:
        """The keys whose last window (closed by the end of the history) linearizes."""
        return {key for key, w in self.opened.items() if self._search(w) is not ILLEGAL}

    def _search(self, w: _Window) -> Any:
        """The state a linearization of the window's calls from its state ends in
        (``ILLEGAL``: none found within ``WINDOW_STATES``)."""
        a, ms = self.a, w.members
        budget = Budget(float("inf"), WINDOW_STATES)
        try:
            out = search_arrays(
                [a.calls[n] for n in ms],
                [a.index[n] for n in ms],
                [a.returns[n] for n in ms],
                [a.ro[n] for n in ms],
                [-1] * len(ms),
                self.step,
                w.state,
                budget,
                WINDOW_CHECK,
            )
        except BudgetExceeded as e:
            self.states += e.states
            return ILLEGAL
        self.states += out.states
        return out.final if out.valid else ILLEGAL


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
        """Read-only call ``i``, not placed yet, is placed at its return (pulling state
        changes first if needed).  (``prove_events`` skips placed calls and defers a
        state change's return itself, so only such reads get here.)"""
        k.pending.remove(i)
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
