"""Combinators over the stream of ops: counting, time, randomness, transformation.

Theory of operation
-------------------
Each combinator is a small frozen dataclass wrapping one or more generators, plus a
function that builds it.  ``op`` asks the wrapped generator(s) and returns a *new* wrapper
holding their next states; ``update`` forwards events and returns ``self`` when nothing
changed, so a deep stack of wrappers costs one allocation per layer per step at most and
no copying of sequences.

Durations are given in seconds (float) and stored as integer nanoseconds.  Random
combinators (``mix``, ``stagger``) keep a splitmix64 state inside their value: the same
seed (explicit, or ``ctx.seed`` when omitted) yields the same ops.  Thread-scoped
combinators (``on_threads``, ``each_thread``, ``any``, ``phases``...) live in
``_threads``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ddialab.errors import UsageError
from ddialab.generator._core import (
    LOG,
    PENDING,
    SLEEP,
    Context,
    Gen,
    Generator,
    OpDict,
    OpResult,
    Seq,
    derive_seed,
    fast_constructor,
    op,
    rng_next,
    secs_to_ns,
    update,
)


def _check_duration(name: str, seconds: float) -> int:
    if seconds < 0:
        raise UsageError(f"{name}: duration must be >= 0 seconds, got {seconds!r}")
    return secs_to_ns(seconds)


# -- counting ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit(Generator):
    remaining: int
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        if self.remaining <= 0:
            return None
        res = op(self.gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING:
            return PENDING, self
        return o, Limit(self.remaining - 1, g)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.gen, ctx, event)
        return self if g is self.gen else Limit(self.remaining, g)


def limit(n: int, gen: Gen) -> Limit:
    """At most ``n`` ops of ``gen``."""
    return Limit(n, gen)


@dataclass(frozen=True, slots=True)
class Repeat(Generator):
    remaining: int | None
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        if self.remaining == 0:
            return None
        res = op(self.gen, ctx)
        if res is None:
            return None
        o, _ = res
        if o is PENDING:
            return PENDING, self
        left = None if self.remaining is None else self.remaining - 1
        return o, Repeat(left, self.gen)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.gen, ctx, event)
        return self if g is self.gen else Repeat(self.remaining, g)


def repeat(gen: Gen, n: int | None = None) -> Repeat:
    """The *first* op of ``gen``, again and again (``n`` times, or forever)."""
    return Repeat(n, gen)


@dataclass(frozen=True, slots=True)
class Cycle(Generator):
    original: Gen
    current: Gen
    remaining: int | None

    def op(self, ctx: Context) -> OpResult:
        current, remaining, fresh = self.current, self.remaining, False
        while True:
            if remaining == 0:
                return None
            res = op(current, ctx)
            if res is not None:
                o, g = res
                if o is PENDING:
                    return PENDING, Cycle(self.original, current, remaining)
                return o, Cycle(self.original, g, remaining)
            if fresh:
                return None  # a fresh copy is already exhausted: nothing to cycle
            current, fresh = self.original, True
            remaining = None if remaining is None else remaining - 1

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.current, ctx, event)
        return self if g is self.current else Cycle(self.original, g, self.remaining)


def cycle(gen: Gen, n: int | None = None) -> Cycle:
    """Run ``gen`` to exhaustion, then a fresh copy of it, ``n`` times in all (or forever)."""
    return Cycle(gen, gen, n)


def concat(*gens: Gen) -> Seq | None:
    """Each generator in turn, without waiting for completions in between."""
    return Seq(gens, 0, gens[0]) if gens else None


# -- time --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeLimit(Generator):
    limit_ns: int
    cutoff: int | None
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        cutoff, gen = self.cutoff, self.gen
        if cutoff is not None and ctx.time >= cutoff:
            return None
        res = gen.op(ctx) if isinstance(gen, Generator) else op(gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING:
            return PENDING, self
        if cutoff is None:
            cutoff = ctx.time + self.limit_ns
        if o["time"] >= cutoff:
            return None
        return o, _time_limit(self.limit_ns, cutoff, g)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        gen = self.gen
        g = gen.update(ctx, event) if isinstance(gen, Generator) else update(gen, ctx, event)
        return self if g is gen else _time_limit(self.limit_ns, self.cutoff, g)


_time_limit = fast_constructor(TimeLimit)


def time_limit(seconds: float, gen: Gen) -> TimeLimit:
    """Ops of ``gen`` whose time is before ``seconds`` after the first op was emitted."""
    return TimeLimit(_check_duration("time_limit", seconds), None, gen)


@dataclass(frozen=True, slots=True)
class Spaced(Generator):
    """Ops of ``gen`` no sooner than ``next_time``; each sets the next one a gap later.

    The gap is ``dt_ns`` (``state is None``: fixed) or uniform in ``[0, 2*dt_ns)`` drawn
    from the splitmix ``state`` carried in the value (``stagger``).
    """

    dt_ns: int
    next_time: int | None
    state: int | None
    gen: Gen
    randomized: bool = False

    def op(self, ctx: Context) -> OpResult:
        gen, next_time = self.gen, self.next_time
        res = gen.op(ctx) if isinstance(gen, Generator) else op(gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING:
            return PENDING, self
        t = o["time"]
        if next_time is not None and next_time > t:
            t = next_time
            o = {**o, "time": t}
        if not self.randomized:
            return o, _spaced(self.dt_ns, t + self.dt_ns, None, g, False)
        state = derive_seed(ctx.seed, "stagger") if self.state is None else self.state
        state, u = rng_next(state)
        return o, _spaced(self.dt_ns, t + int(u * 2 * self.dt_ns), state, g, True)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        gen = self.gen
        g = gen.update(ctx, event) if isinstance(gen, Generator) else update(gen, ctx, event)
        if g is gen:
            return self
        return _spaced(self.dt_ns, self.next_time, self.state, g, self.randomized)


_spaced = fast_constructor(Spaced)


def stagger(seconds: float, gen: Gen, seed: int | None = None) -> Spaced:
    """Ops of ``gen`` spaced by random gaps uniform in [0, 2*seconds): mean ``seconds``.

    The spacing is across *all* threads (a total rate), as in Jepsen.  ``seed`` fixes the
    random gaps; when omitted they derive from ``ctx.seed``.
    """
    state = None if seed is None else derive_seed(seed, "stagger")
    return Spaced(_check_duration("stagger", seconds), None, state, gen, randomized=True)


def delay(seconds: float, gen: Gen) -> Spaced:
    """Ops of ``gen``, each at least ``seconds`` after the previous one."""
    return Spaced(_check_duration("delay", seconds), None, None, gen)


def sleep(seconds: float) -> OpDict:
    """One ``sleep`` op: the thread that takes it is busy for ``seconds``, off the record."""
    return {"type": SLEEP, "f": SLEEP, "value": _check_duration("sleep", seconds)}


def log(message: Any) -> OpDict:
    """One ``log`` op: the interpreter logs ``message``; it never enters the history."""
    return {"type": LOG, "f": LOG, "value": message}


# -- transformation ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Map(Generator):
    fn: Callable[[OpDict], OpDict]
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        res = op(self.gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING:
            return PENDING, self
        return self.fn(o), Map(self.fn, g)

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.gen, ctx, event)
        return self if g is self.gen else Map(self.fn, g)


def map_ops(fn: Callable[[OpDict], OpDict], gen: Gen) -> Map:
    """``fn(op)`` for each op of ``gen`` (``fn`` must not mutate its argument)."""
    return Map(fn, gen)


@dataclass(frozen=True, slots=True)
class Filter(Generator):
    pred: Callable[[OpDict], bool]
    gen: Gen

    def op(self, ctx: Context) -> OpResult:
        g = self.gen
        for _ in range(MAX_FILTER_SKIPS):
            res = op(g, ctx)
            if res is None:
                return None
            o, g2 = res
            if o is PENDING:
                return PENDING, Filter(self.pred, g2)
            if self.pred(o):
                return o, Filter(self.pred, g2)
            g = g2
        raise UsageError(
            f"filter skipped {MAX_FILTER_SKIPS} ops in a row and none passed: its generator "
            "never emits an op the predicate accepts (a limit inside a filter counts only "
            "invoked ops, so it cannot end the skipping)"
        )

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.gen, ctx, event)
        return self if g is self.gen else Filter(self.pred, g)


#: consecutive rejected ops after which ``filter`` gives up with a UsageError, not a hang
MAX_FILTER_SKIPS = 100_000


def filter_ops(pred: Callable[[OpDict], bool], gen: Gen) -> Filter:
    """Only the ops of ``gen`` satisfying ``pred`` (the others are skipped).

    Skipping is a loop inside one ``op`` call; a generator whose next ``MAX_FILTER_SKIPS``
    ops all fail the predicate is a mistake, reported as ``UsageError`` rather than a hang.
    """
    return Filter(pred, gen)


# -- outcome-driven ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UntilOk(Generator):
    gen: Gen
    done: bool = False
    active: frozenset[Any] = frozenset()

    def op(self, ctx: Context) -> OpResult:
        if self.done:
            return None
        res = op(self.gen, ctx)
        if res is None:
            return None
        o, g = res
        if o is PENDING:
            return PENDING, self
        return o, UntilOk(g, False, self.active | {o["process"]})

    def update(self, ctx: Context, event: OpDict) -> Gen:
        g = update(self.gen, ctx, event)
        p = event.get("process")
        if event.get("type") == "invoke" or p not in self.active:
            return self if g is self.gen else UntilOk(g, self.done, self.active)
        return UntilOk(g, self.done or event.get("type") == "ok", self.active - {p})


def until_ok(gen: Gen) -> UntilOk:
    """Ops of ``gen`` until one of them completes ``ok`` (ops already in flight finish)."""
    return UntilOk(gen)


@dataclass(frozen=True, slots=True)
class FlipFlop(Generator):
    gens: tuple[Gen, ...]
    i: int = 0

    def op(self, ctx: Context) -> OpResult:
        res = op(self.gens[self.i], ctx)
        if res is None:
            return None
        o, g = res
        gens = (*self.gens[: self.i], g, *self.gens[self.i + 1 :])
        if o is PENDING:
            return PENDING, FlipFlop(gens, self.i)
        return o, FlipFlop(gens, (self.i + 1) % len(gens))

    def update(self, ctx: Context, event: OpDict) -> Gen:
        gens = tuple(update(g, ctx, event) for g in self.gens)
        if all(a is b for a, b in zip(gens, self.gens, strict=True)):
            return self
        return FlipFlop(gens, self.i)


def flip_flop(a: Gen, b: Gen) -> FlipFlop:
    """An op from ``a``, then one from ``b``, alternating; ends when the one due ends."""
    return FlipFlop((a, b))


@dataclass(frozen=True, slots=True)
class Mix(Generator):
    gens: tuple[Gen, ...]
    choice: int | None
    state: int | None

    def op(self, ctx: Context) -> OpResult:
        gens, i = self.gens, self.choice
        state = derive_seed(ctx.seed, "mix") if self.state is None else self.state
        while gens:
            if i is None:
                state, u = rng_next(state)
                i = int(u * len(gens))
            res = op(gens[i], ctx)
            if res is None:
                gens, i = (*gens[:i], *gens[i + 1 :]), None
                continue
            o, g = res
            gens = (*gens[:i], g, *gens[i + 1 :])
            if o is PENDING:
                return PENDING, Mix(gens, i, state)
            return o, Mix(gens, None, state)
        return None

    def update(self, ctx: Context, event: OpDict) -> Gen:
        gens = tuple(update(g, ctx, event) for g in self.gens)
        if all(a is b for a, b in zip(gens, self.gens, strict=True)):
            return self
        return Mix(gens, self.choice, self.state)


def mix(gens: list[Gen] | tuple[Gen, ...], seed: int | None = None) -> Mix:
    """Each op from a uniformly chosen generator of ``gens``; exhausted ones drop out.

    Once a generator is chosen, ``mix`` waits (pending) for *it*.  ``seed`` fixes the
    choices; when omitted they derive from ``ctx.seed``.
    """
    state = None if seed is None else derive_seed(seed, "mix")
    return Mix(tuple(gens), None, state)
