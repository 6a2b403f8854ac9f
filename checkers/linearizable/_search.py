"""The Wing–Gong / Lowe search for a linearization of one (sub-)history.

Theory of operation
-------------------
Every call has an invocation event and, if it completed ``ok``, a return event.  The
events sit in one doubly linked list in history order.  A call may be linearized next iff
its invocation comes before the first return event still in the list (otherwise some
other call returned before it was invoked and must go first).  The search walks these
candidates (in the sweeps below; a second linked list of the completed calls in return
order gives the first return in O(1)):

* for each, it asks the model to ``step``; if legal and the configuration (linearized
  set, new state) is new, the call is *lifted* out of the list (both its events; dancing
  links make this O(1) and exactly undoable), pushed on the stack, and the walk starts
  over in the new configuration;
* when the sweeps are done, the configuration is a dead end: pop the last call, put its
  events back, restore the state and continue the parent's walk after it.

Success is when no return events remain: every ``ok`` call is linearized, and calls that
never completed (``info``, or no completion) may take effect now or never, so they need
no place.  ``fail`` calls never reach the search.

Pruning (none of it changes a verdict; see docs/linearizability.md for the arguments):

* read-only calls that are legal are linearized with no backtrack point: if the
  configuration after one fails, so does the one before it;
* identical unknown calls are interchangeable: only the earliest unlinearized one of a
  class is tried; an unknown call that leaves the state unchanged is never placed;
* the memo maps (completed calls linearized, state) to the sets of unknown calls seen
  with it; a configuration whose unknown set contains a visited one's is dominated;
* candidates are swept in three passes: completed reads, other completed calls, then
  unknown calls; each pass first takes the calls invoked since the call that returns
  first was, then the older ones (an ordering only: long-pending calls go last).

The linearized completed calls are stored compressed as ``(p, w)``: the first ``p`` (in
invocation order) plus bit ``i`` of ``w`` for call ``p + i``; unknown calls have their
own bitset.  The deepest dead ends are kept (the stack is a cons list, so keeping one is
O(1)) for the counterexample.  ``search`` is one long loop on purpose: in CPython every
function call in it costs more than the work it would name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checkers.linearizable._models import ILLEGAL, Call, Choice

END = -1
NO_STOP = -3
_NORMAL, _FORCED, _BRANCH = 0, 1, 2
#: How many equally deep dead ends to keep for the counterexample.
KEEP_DEAD_ENDS = 3
_CHECK_EVERY = 4096


class BudgetExceeded(Exception):
    """The time or memory budget ran out; carries the reason and the states explored."""

    def __init__(self, reason: str, states: int, timed_out: bool) -> None:
        super().__init__(reason)
        self.states = states
        self.timed_out = timed_out


@dataclass
class DeadEnd:
    """A configuration nothing more could be linearized after."""

    path: list[int]  # positions (in the call list) of the linearized calls, in order
    state: Any
    blocked: int  # position of the call whose return was reached unlinearized
    candidates: list[int]  # positions of the calls that could have gone next


@dataclass
class Outcome:
    valid: bool
    states: int
    dead_ends: list[DeadEnd] = field(default_factory=list)
    final: Any = None  # valid: the state the linearization found ends in


@dataclass
class Budget:
    deadline: float
    max_states: int
    seconds: float | None = None  # the time limit, for the reason
    states_used: int = 0
    proven: int = 0  # parts proven by the linear pass (``_linear``) without a search

    def check(self, states: int) -> None:
        if time.perf_counter() > self.deadline:
            limit = f" ({self.seconds:g} s)" if self.seconds is not None else ""
            raise BudgetExceeded(f"the time limit{limit} ran out", states, True)
        if states > self.max_states:
            raise BudgetExceeded(
                f"the state limit ({self.max_states:,} memoized states) was reached",
                states,
                False,
            )


def _build_list(index: list[int], done: list[int]) -> tuple[list[int], list[int]]:
    """next/prev arrays over nodes: call i is node i, its return is node m+i, head 2m."""
    m = len(index)
    events = [(x, i) for i, x in enumerate(index)]
    events += [(d, m + i) for i, d in enumerate(done) if d >= 0]
    events.sort()
    nxt = [END] * (2 * m + 1)
    prv = [END] * (2 * m + 1)
    last = 2 * m
    for _, node in events:
        nxt[last] = node
        prv[node] = last
        last = node
    return nxt, prv


def search(
    calls: Sequence[Call],
    step: Callable[[Any, Call], Any],
    readonly: Callable[[Call], bool],
    init: Any,
    budget: Budget,
) -> Outcome:
    """Is there a linearization of ``calls`` (sorted by invocation) from ``init``?"""
    index = [c.index for c in calls]
    done = [c.done for c in calls]
    ro = [readonly(c) for c in calls]
    return search_arrays(calls, index, done, ro, _previous_twins(calls), step, init, budget)


def search_arrays(
    calls: Sequence[Any],
    index: list[int],
    returns: list[int],
    ro: list[bool],
    twin: list[int],
    step: Callable[[Any, Any], Any],
    init: Any,
    budget: Budget,
    check_every: int = _CHECK_EVERY,
) -> Outcome:
    """``search`` over arrays: call ``i``'s invocation and return positions (-1: none),
    read-only flag and previous twin (``_previous_twins``; -1 always is sound, only
    slower); ``step`` takes ``calls[i]``, whatever it is.  A valid outcome carries the
    state its linearization ends in (``final``).  The budget is checked at the first push
    and every ``check_every`` after."""
    m = len(calls)
    nxt, prv = _build_list(index, returns)
    head = 2 * m
    has_ret = [d >= 0 for d in returns]
    rank = _ranks(has_ret)
    done = bytearray(m)
    remaining = sum(has_ret)
    # (p, w, state) -> the unknown-call bitsets visited with them (an int, or a list
    # when several incomparable ones were): a config is skipped when a visited one had
    # the same completed calls and state and a subset of its unknown calls.
    memo: dict[tuple[int, int, Any], Any] = {}
    visited = 0
    # cons list: (node, state before, kind, p, w, ib before, rest)
    stack: Any = None
    depth = 0
    dead: list[Any] = []  # (depth, stack, state, return node)
    best = -1
    state = init
    # The linearized set, compressed: the first p completed calls (by rank) and those at
    # p + i for each bit i of w; ib holds the unknown calls (by their own rank).
    p = w = ib = 0
    rn, rp = _return_list(returns)  # completed calls in return order (head m)
    first = rn[m]  # the unlinearized call that returns first
    # Candidates are tried in sweeps: completed read-only calls, other completed calls,
    # then calls that never completed; each sweep in two parts: the calls invoked since
    # ``first`` was (from it, forwards), then those pending since before it (from the
    # head up to it) -- so calls pending for long are tried last.  phase = 2*sweep+part.
    sweep = [(0 if ro[i] else 1) if has_ret[i] else 2 for i in range(m)]
    last_phase = 2 * max(sweep, default=0) + 1
    phase = 0
    node, stop = first, NO_STOP
    pushes = 0
    while remaining:
        if 0 <= node < m and node != stop:
            t = twin[node]
            if sweep[node] != phase >> 1 or (t >= 0 and not done[t]):
                node = nxt[node]  # an identical unknown call invoked earlier goes first
                continue
            call = calls[node]
            ns = step(state, call)
            if ns is not ILLEGAL:
                kind = _FORCED if ro[node] else _NORMAL
                if has_ret[node]:
                    r = rank[node] - p
                    if r:
                        np_, nw = p, w | (1 << r)
                    else:
                        x = w | 1
                        ones = (x ^ (x + 1)).bit_length() - 1
                        np_, nw = p + ones, x >> ones
                    nib = ib
                elif ns == state and type(ns) is not Choice:
                    # An unknown call that changes nothing is never needed: every way on
                    # after it is also a way on without it.
                    node = nxt[node]
                    continue
                else:
                    np_, nw, nib = p, w, ib | (1 << rank[node])
                if type(ns) is Choice:
                    ns = _first_unseen(ns, np_, nw, nib, memo)
                    kind = _BRANCH
                    fresh = ns is not ILLEGAL
                else:
                    k3 = (np_, nw, ns)
                    prev = memo.get(k3)
                    if prev is None:
                        memo[k3] = nib
                        fresh = True
                    else:
                        fresh = prev != nib and _admit(memo, k3, prev, nib)
                if fresh:
                    visited += 1
                    stack = (node, state, kind, p, w, ib, stack)
                    depth += 1
                    state, p, w, ib = ns, np_, nw, nib
                    done[node] = 1
                    a, b = prv[node], nxt[node]
                    nxt[a] = b
                    if b != END:
                        prv[b] = a
                    if has_ret[node]:
                        r = node + m
                        a, b = prv[r], nxt[r]
                        nxt[a] = b
                        if b != END:
                            prv[b] = a
                        a, b = rp[node], rn[node]
                        rn[a] = b
                        if b != END:
                            rp[b] = a
                        remaining -= 1
                        first = rn[m]
                    node, stop, phase = first, NO_STOP, 0
                    pushes += 1
                    if pushes % check_every == 1:
                        budget.check(visited)
                    continue
                if kind == _FORCED:
                    node = END  # a legal read led to a failed configuration: so does this one
            if node != END:
                node = nxt[node]
                continue
        elif node != END and phase < last_phase:  # the end of a part: the next one
            phase += 1
            node, stop = (nxt[head], first) if phase & 1 else (first, NO_STOP)
            continue
        # A return event (or a forced failure): this configuration is a dead end.
        if depth >= best and (depth > best or len(dead) < KEEP_DEAD_ENDS):
            if depth > best:
                dead, best = [], depth
            dead.append((stack, state, first + m))
        while True:
            if stack is None:
                budget.states_used += visited
                return Outcome(False, visited, _dead_ends(dead, index, returns, m))
            node, state, kind, p, w, ib, stack = stack
            depth -= 1
            done[node] = 0
            if has_ret[node]:
                r = node + m
                a, b = prv[r], nxt[r]
                nxt[a] = r
                if b != END:
                    prv[b] = r
                a, b = rp[node], rn[node]
                rn[a] = node
                if b != END:
                    rp[b] = node
                remaining += 1
            a, b = prv[node], nxt[node]
            nxt[a] = node
            if b != END:
                prv[b] = node
            if kind != _FORCED:
                break
        first = rn[m]
        older = index[node] < index[first]
        phase = 2 * sweep[node] + older
        stop = first if older else NO_STOP
        if kind == _NORMAL:
            node = nxt[node]
    budget.states_used += visited
    return Outcome(True, visited, final=state)


def _previous_twins(calls: Sequence[Call]) -> list[int]:
    """For each unknown call, the previous identical unknown call (-1 if none).

    Two calls that never completed and have the same f, value, key and extras are
    interchangeable once both are invoked, so only the earlier one is tried first: the
    linearized members of a class are always a prefix (in invocation order) of it.
    """
    last: dict[Any, int] = {}
    out = [-1] * len(calls)
    for i, c in enumerate(calls):
        if c.done >= 0:
            continue
        cls = (c.f, c.value, c.key, tuple(sorted(c.extra.items(), key=repr)) if c.extra else ())
        try:
            out[i] = last.get(cls, -1)
            last[cls] = i
        except TypeError:  # an unhashable extra: no twin
            continue
    return out


def _return_list(returns: list[int]) -> tuple[list[int], list[int]]:
    """next/prev arrays over the completed calls in return order; the head is ``m``."""
    m = len(returns)
    rn = [END] * (m + 1)
    rp = [END] * (m + 1)
    last = m
    for _, i in sorted((d, i) for i, d in enumerate(returns) if d >= 0):
        rn[last] = i
        rp[i] = last
        last = i
    return rn, rp


def _ranks(has_ret: list[bool]) -> list[int]:
    """Each call's rank among the completed calls, or among the unknown ones."""
    counts = [0, 0]
    out = []
    for h in has_ret:
        out.append(counts[h])
        counts[h] += 1
    return out


def _admit(memo: dict[tuple[int, int, Any], Any], key: Any, prev: Any, ib: int) -> bool:
    """Record unknown-call set ``ib`` under ``key`` unless a visited subset dominates it.

    With the same completed calls and state, fewer unknown calls linearized is never
    worse (those calls may still happen later, or never), so a config whose unknown set
    includes a visited one's cannot succeed where that one failed.
    """
    olds = prev if type(prev) is list else [prev]
    if any(x & ib == x for x in olds):
        return False
    keep = [x for x in olds if x & ib != ib]  # drop visited supersets: ib covers them
    memo[key] = ib if not keep else [*keep, ib]
    return True


def _first_unseen(
    choices: Choice, p: int, w: int, ib: int, memo: dict[tuple[int, int, Any], Any]
) -> Any:
    for s in choices:
        key = (p, w, s)
        prev = memo.get(key)
        if prev is None:
            memo[key] = ib
            return s
        if prev != ib and _admit(memo, key, prev, ib):
            return s
    return ILLEGAL


def _dead_ends(dead: list[Any], index: list[int], returns: list[int], m: int) -> list[DeadEnd]:
    """Turn kept (stack, state, node) triples into ``DeadEnd``s (the list is fully restored)."""
    out = []
    for stack, state, node in dead:
        path = []
        s = stack
        while s is not None:
            path.append(s[0])
            s = s[-1]
        path.reverse()
        done = set(path)
        out.append(
            DeadEnd(
                path, state, _blocked(node, returns, done, m), _candidates(index, returns, done)
            )
        )
    return out


def _blocked(node: int, returns: list[int], done: set[int], m: int) -> int:
    if node >= m:
        return node - m
    # A forced failure: the first unlinearized call with a return, in return order.
    rets = [(d, i) for i, d in enumerate(returns) if i not in done and d >= 0]
    return min(rets)[1] if rets else -1


def _candidates(index: list[int], returns: list[int], done: set[int]) -> list[int]:
    """Calls not yet linearized whose invocation precedes the first pending return."""
    first_ret = min((d for i, d in enumerate(returns) if i not in done and d >= 0), default=-1)
    return [i for i, x in enumerate(index) if i not in done and (first_ret < 0 or x < first_ret)]
