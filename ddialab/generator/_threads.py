"""Combinators over threads: restriction, per-thread copies, racing, barriers.

Theory of operation
-------------------
A thread-scoped combinator shows its generator a *restricted* ``Context`` -- only the
threads it owns -- and forwards an event only when the event's thread (``ctx.thread_of``)
is one of them.  ``each_thread`` keeps one independent state per thread (all starting as
the same immutable value, so a "copy" costs nothing) and asks each free thread's state for
an op; ``any`` asks every generator.  Both pick the op with the soonest ``time`` (a time
at or before ``ctx.time`` counts as now); ties go to the lowest thread (clients by number,
then the nemesis) or the earliest argument, so choices never depend on set iteration
order.  Candidates are asked in that order and the first op due now ends the search, so a
step costs O(threads) only when nothing is due.

``synchronize`` is the barrier: it stays pending until every thread of its context is
free, i.e. until all ops invoked before it have completed.  ``phases`` is a sequence of
synchronized generators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.errors import UsageError
from ddialab.generator._core import (
    NEMESIS,
    PENDING,
    Context,
    Gen,
    Generator,
    OpDict,
    OpResult,
    Seq,
    Thread,
    fast_constructor,
    op,
    sorted_threads,
    update,
)

# -- restriction -------------------------------------------------------------------------


def is_client(thread: Thread) -> bool:
    return isinstance(thread, int)


def is_nemesis(thread: Thread) -> bool:
    return thread == NEMESIS


@dataclass(frozen=True, slots=True)
class OnThreads(Generator):
    pred: Callable[[Thread], bool]
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        sub, gen = ctx.restrict(self.pred), self.gen
        if not sub.workers:
            return None  # no thread can ever run it (threads come and go only as processes)
        res = gen.op(sub) if isinstance(gen, Generator) else op(gen, sub)
        if res is None:
            return None
        o, g = res
        if o is PENDING and g is gen:
            return PENDING, self
        return o, _on_threads(self.pred, g)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        pred, gen, process = self.pred, self.gen, event["process"]
        conc = ctx.concurrency  # ctx.thread_of, inline
        if not pred(process % conc if isinstance(process, int) and conc > 0 else process):
            return self
        sub = ctx.restrict(pred)
        g = gen.update(sub, event) if isinstance(gen, Generator) else update(gen, sub, event)
        return self if g is gen else _on_threads(pred, g)


_on_threads = fast_constructor(OnThreads)


def on_threads(pred: Callable[[Thread], bool], gen: Gen) -> OnThreads:
    """``gen`` runs only on the threads satisfying ``pred`` and sees only their events.

    In a context with no such thread at all (e.g. ``clients`` inside the nemesis's copy of
    ``each_thread``) it is exhausted rather than pending forever.
    """
    return OnThreads(pred, gen)


def clients(gen: Gen) -> OnThreads:
    """``gen`` on the client threads only."""
    return OnThreads(is_client, gen)


def nemesis(gen: Gen) -> OnThreads:
    """``gen`` on the nemesis thread only (its ops get ``process="nemesis"``)."""
    return OnThreads(is_nemesis, gen)


# -- racing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Any_(Generator):
    gens: tuple[Gen, ...]

    def op(self, ctx: Context) -> OpResult:
        best: OpDict | None = None
        best_i, best_time, alive, gens = -1, 0, False, self.gens
        for i, g in enumerate(self.gens):
            res = op(g, ctx)
            if res is None:
                if g is not None:
                    gens = (*gens[:i], None, *gens[i + 1 :])
                continue
            alive = True
            o, g2 = res
            if o is PENDING:
                continue
            t_op = max(o["time"], ctx.time)
            if best is None or t_op < best_time:
                best, best_i, best_g, best_time = o, i, g2, t_op
                if t_op == ctx.time:
                    break  # due now and earliest in order: nobody can beat it
        if best is None:
            if not alive:
                return None
            return PENDING, (self if gens is self.gens else Any_(gens))
        return best, Any_((*gens[:best_i], best_g, *gens[best_i + 1 :]))

    def update(self, ctx: Context, event: OpDict) -> Gen:
        gens = tuple(update(g, ctx, event) for g in self.gens)
        if all(a is b for a, b in zip(gens, self.gens, strict=True)):
            return self
        return Any_(gens)


def any_of(*gens: Gen) -> Any_:
    """Whichever generator has an op soonest (ties: the earliest argument); all see events."""
    return Any_(gens)


def clients_and_nemesis(client_gen: Gen, nemesis_gen: Gen) -> Any_:
    """``client_gen`` on the clients and ``nemesis_gen`` on the nemesis, side by side."""
    return Any_((clients(client_gen), nemesis(nemesis_gen)))


@dataclass(frozen=True, slots=True)
class _ThreadRange:
    """Predicate: client threads in [lo, hi) (``hi=None``: everything not reserved)."""

    lo: int
    hi: int | None

    def __call__(self, thread: Thread) -> bool:
        if self.hi is None:
            return not (isinstance(thread, int) and thread < self.lo)
        return isinstance(thread, int) and self.lo <= thread < self.hi


def reserve(*args: Any) -> Any_:
    """``reserve(5, writes, 10, cas, reads)``: threads 0-4 run ``writes``, 5-14 ``cas``,
    and every other thread ``reads`` (wrap in ``clients`` to leave out the nemesis)."""
    if len(args) % 2 != 1:
        raise UsageError("reserve: expected count, gen, count, gen, ..., default_gen")
    parts, lo = [], 0
    for n, gen in zip(args[:-1:2], args[1:-1:2], strict=True):
        if not isinstance(n, int) or n < 0:
            raise UsageError(f"reserve: thread count must be an int >= 0, got {n!r}")
        parts.append(OnThreads(_ThreadRange(lo, lo + n), gen))
        lo += n
    parts.append(OnThreads(_ThreadRange(lo, None), args[-1]))
    return Any_(tuple(parts))


# -- per-thread copies -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EachThread(Generator):
    """One state per key (thread, or process when ``by_process``); ``None`` = exhausted."""

    fresh: Gen
    by_process: bool
    states: Mapping[Any, Gen]

    def _key(self, ctx: Context, thread: Thread) -> Any:
        return ctx.workers[thread] if self.by_process else thread

    def _state(self, key: Any) -> Gen:
        return self.states.get(key, self.fresh)

    def op(self, ctx: Context) -> OpResult:
        best: OpDict | None = None
        best_key, best_g, best_time, waiting, done = None, None, 0, False, []
        for t in sorted_threads(ctx.free_threads):
            key = self._key(ctx, t)
            res = op(self._state(key), ctx.for_thread(t))
            if res is None:
                if key not in self.states or self.states[key] is not None:
                    done.append(key)
                continue
            o, g = res
            if o is PENDING:
                waiting = True
                continue
            t_op = max(o["time"], ctx.time)
            if best is None or t_op < best_time:
                best, best_key, best_g, best_time = o, key, g, t_op
                if t_op == ctx.time:
                    break  # due now on the lowest thread: nobody can beat it
        states = self.states
        if done or best is not None:
            states = {**states, **dict.fromkeys(done)}
            if best is not None:
                states[best_key] = best_g
        if best is not None:
            return best, EachThread(self.fresh, self.by_process, states)
        nxt = self if states is self.states else EachThread(self.fresh, self.by_process, states)
        if waiting or not self._all_done(ctx, states):
            return PENDING, nxt
        return None

    def _all_done(self, ctx: Context, states: Mapping[Any, Gen]) -> bool:
        for t in ctx.workers:
            key = self._key(ctx, t)
            if key not in states or states[key] is not None:
                return False
        return True

    def update(self, ctx: Context, event: OpDict) -> Gen:
        thread = ctx.thread_of(event["process"])
        if thread not in ctx.workers:
            return self
        key = event["process"] if self.by_process else thread
        state = self._state(key)
        g = update(state, ctx.for_thread(thread), event)
        if g is state:
            return self
        return EachThread(self.fresh, self.by_process, {**self.states, key: g})


def each_thread(gen: Gen) -> EachThread:
    """An independent copy of ``gen`` for every thread (each sees only its own thread)."""
    return EachThread(gen, False, {})


def each_process(gen: Gen) -> EachThread:
    """Like ``each_thread``, but a fresh copy whenever a thread moves to a new process."""
    return EachThread(gen, True, {})


# -- barriers ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Synchronize(Generator):
    gen: Gen
    started: bool = False

    def op(self, ctx: Context) -> OpResult:
        if not self.started and not ctx.all_free():
            return PENDING, self
        res = op(self.gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING and g is self.gen and self.started:
            return PENDING, self
        return o, Synchronize(g, True)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        if not self.started:
            return self
        g = update(self.gen, ctx, event)
        return self if g is self.gen else Synchronize(g, True)


def synchronize(gen: Gen) -> Synchronize:
    """``gen``, once every thread of the context is free (all earlier ops completed)."""
    return Synchronize(gen)


def phases(*gens: Gen) -> Seq | None:
    """Each generator in turn, each starting only after all ops of the previous completed."""
    if not gens:
        return None
    phased = tuple(Synchronize(g) for g in gens)
    return Seq(phased, 0, phased[0])


def then(first: Gen, second: Gen) -> Seq:
    """``first``, a barrier, then ``second`` (natural order, unlike Jepsen's ``then``)."""
    return Seq((first, Synchronize(second)), 0, first)
