"""A pure, deterministic interpreter for generators (Jepsen's ``simulate``/``perfect``).

Theory of operation
-------------------
``simulate`` plays a generator against imaginary clients on a simulated clock, exactly as
the real runner does against real ones, so generator behaviour can be tested without
I/O.  One loop:

1. deliver every completion already due (step 3), then ask ``op(gen, ctx)``;
2. if the answer is an op due no later than the next completion, invoke it: the clock moves
   to the op's time, its thread becomes busy, ``gen = update(gen2, ctx, invocation)``, and
   its completion is scheduled ``latency`` later (``complete`` decides what it says);
3. otherwise deliver the earliest scheduled completion: the clock moves to its time, the
   thread becomes free, after an ``info`` the client thread moves on to process
   ``p + concurrency``, and then ``gen = update(gen, ctx, completion)`` (as in Jepsen; the
   op that was offered, if any, is discarded and asked for again);
4. if the generator is pending and nothing is in flight, the clock ticks forward (a
   generator waiting on time, e.g. ``time_limit``); too many idle ticks is a deadlock.

Completions already due are delivered before the generator is asked, so an op due now is
never discarded; ties between completions go in invocation order.  An op offered for a
future time is discarded if a completion comes first -- so a function generator may be
called for ops that never happen (keep such functions pure, or tolerant of that).

``sleep`` ops occupy their thread for their value (ns) and ``log`` ops complete at once;
neither appears in the returned events.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from ddialab.errors import UsageError
from ddialab.generator._core import (
    LOG,
    NEMESIS,
    PENDING,
    SLEEP,
    Context,
    Gen,
    OpDict,
    goes_in_history,
    op,
    update,
)

CompleteFn = Callable[[Context, OpDict], OpDict | None]


def _default_completion(ctx: Context, invocation: OpDict) -> OpDict:
    return {"type": "info" if invocation["process"] == NEMESIS else "ok"}


def _completion(complete: CompleteFn | None, ctx: Context, inv: OpDict, latency_ns: int) -> OpDict:
    """The completion of ``inv``; missing keys come from the invocation."""
    if inv["type"] == SLEEP:
        return {**inv, "time": inv["time"] + inv["value"]}
    if inv["type"] == LOG:
        return dict(inv)
    done = (complete or _default_completion)(ctx, inv)
    if done is None:
        done = {"type": "info"}
    out = {**inv, **done}
    out["process"] = inv["process"]
    out["time"] = max(done.get("time") or 0, inv["time"] + latency_ns)
    if out["type"] not in ("ok", "fail", "info"):
        raise UsageError(f"simulate: completion type must be ok/fail/info, got {out['type']!r}")
    return out


def simulate(
    gen: Gen,
    concurrency: int = 3,
    nemesis: bool = True,
    complete: CompleteFn | None = None,
    latency_ns: int = 0,
    max_ops: int = 10_000,
    seed: int = 0,
    tick_ns: int = 1_000_000,
    max_idle_ticks: int = 100_000,
) -> list[OpDict]:
    """Play ``gen`` and return its events (invocations and completions) in order.

    ``complete(ctx, invocation)`` returns the completion (a dict whose ``type`` is ok/fail/
    info; other keys default to the invocation's; its ``time`` is at least invocation
    time + ``latency_ns``), or ``None`` for an indeterminate crash (``info``).  By default client
    ops complete ``ok`` and nemesis ops ``info``.  At most ``max_ops`` ops are invoked;
    those in flight then still complete.
    """
    ctx = Context.initial(concurrency, nemesis=nemesis, seed=seed)
    events: list[OpDict] = []
    inflight: list[tuple[int, int, OpDict]] = []  # (time, seq, completion)
    invoked = idle = 0
    while True:
        if inflight and inflight[0][0] <= ctx.time:
            ctx, gen = _deliver_next(ctx, gen, inflight, events)
            continue
        res = op(gen, ctx) if invoked < max_ops else None
        if res is None and not inflight:
            return events
        o = None if res is None else res[0]
        if o is PENDING and not inflight:
            idle += 1
            if idle > max_idle_ticks:
                raise UsageError("simulate: generator stays pending with nothing in flight")
            ctx = ctx.with_time(ctx.time + tick_ns)
            continue
        idle = 0
        if isinstance(o, dict) and (not inflight or o["time"] < inflight[0][0]):
            assert res is not None
            ctx, gen, inv = _invoke(ctx, res[1], o)
            done = _completion(complete, ctx, inv, latency_ns)
            heapq.heappush(inflight, (max(done["time"], ctx.time), invoked, done))
            invoked += 1
            if goes_in_history(inv):
                events.append(inv)
            continue
        ctx, gen = _deliver_next(ctx, gen, inflight, events)


def _deliver_next(
    ctx: Context, gen: Gen, inflight: list[tuple[int, int, OpDict]], events: list[OpDict]
) -> tuple[Context, Gen]:
    t, _, done = heapq.heappop(inflight)
    if done["time"] != t:
        done = {**done, "time": t}
    if goes_in_history(done):
        events.append(done)
    return _deliver(ctx, gen, done)


def _invoke(ctx: Context, gen2: Gen, o: OpDict) -> tuple[Context, Gen, OpDict]:
    thread = ctx.thread_of(o["process"])
    if thread not in ctx.free_threads:
        raise UsageError(f"simulate: generator emitted an op for busy or unknown thread: {o!r}")
    now = max(ctx.time, o["time"])
    inv = o if o["time"] == now else {**o, "time": now}
    ctx = ctx.with_time(now).busy(thread)
    return ctx, update(gen2, ctx, inv), inv


def _deliver(ctx: Context, gen: Gen, done: OpDict) -> tuple[Context, Any]:
    thread = ctx.thread_of(done["process"])
    ctx = ctx.with_time(max(ctx.time, done["time"])).free(thread)
    if done["type"] == "info" and thread != NEMESIS:
        ctx = ctx.with_next_process(thread)
    return ctx, update(gen, ctx, done)
