"""The generator interpreter: plays a generator against worker tasks in simulated time.

Theory of operation
-------------------
One loop owns the generator and the context.  It asks the generator for an op; if the op is
due, it records the invocation, hands it to the worker task of the op's thread and marks
that thread busy; if the op lies in the future, it waits until then *or* until a worker
completes, whichever is first, and asks again (a completion may change what the generator
wants).  ``PENDING`` waits for a completion.  ``None`` with no op outstanding ends the run.

In a simulated world the wait for a future op is an *alarm* on the world's scheduler heap
(``alarm(time_ns, fn)``: it puts a wake-up on the completion channel), not a trio cancel
scope: the scheduler then fast-forwards to it like to any message, instead of trio
autojumping the clock in an idle scheduling round.  A stale alarm (a completion came
first, the loop moved on) rings silently; at most one wake-up per alarm time is sent.
Real runs have no world and wait with a cancel scope.  (This moved the recorded schedules
of simulated runs: the same seed gives a different, still deterministic, history than
before; see docs/performance.md.)

Workers run client ops (or nemesis ops) and send completions back over one channel.  A
client op that ends in ``info`` retires its process: the thread continues as process
``p + concurrency`` with a fresh client, as in Jepsen.  Everything is recorded through
``record``, in the order the loop observes it, so the history's order is the loop's order.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from ddialab import generator as g
from systems.sim import now_ns

Record = Callable[[dict[str, Any]], None]
Invoke = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]
Alarm = Callable[[int, Callable[[], None]], None]
#: what an alarm puts on the completion channel in place of a thread
_WAKE = object()


class Interpreter:
    def __init__(
        self,
        concurrency: int,
        invoke: Invoke,
        record: Record,
        seed: int = 0,
        alarm: Alarm | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.seed = seed
        self.invoke = invoke  # invoke(thread, op) -> completion fields
        self.record = record
        self._send, self._recv = trio.open_memory_channel[tuple[Any, Any]](math.inf)
        self.outstanding = 0
        #: alarm(time_ns, fn): run fn at simulated time_ns (the world's scheduler heap)
        self.alarm = alarm
        self._alarm_at: int | None = None

    def initial_context(self) -> g.Context:
        return g.Context.initial(self.concurrency, time=now_ns(), seed=self.seed)

    async def run(self, gen: Any, ctx: g.Context) -> g.Context:
        async with trio.open_nursery() as nursery:
            ctx = await self._loop(gen, ctx, nursery)
        return ctx

    async def _loop(self, gen: Any, ctx: g.Context, nursery: trio.Nursery) -> g.Context:
        while True:
            now = now_ns()
            if now != ctx.time:
                ctx = ctx.with_time(now)
            res = g.op(gen, ctx)
            if res is None:
                if self.outstanding == 0:
                    return ctx
                gen, ctx = await self._await_completion(gen, ctx, math.inf)
                continue
            op, next_gen = res
            if op is g.PENDING:
                gen, ctx = await self._await_completion(gen, ctx, math.inf)
            elif op["time"] > ctx.time:
                gen, ctx = await self._await_until(gen, ctx, op["time"])
            else:
                gen, ctx = self._dispatch(next_gen, ctx, op, nursery)

    def _dispatch(
        self, gen: Any, ctx: g.Context, op: dict[str, Any], nursery: trio.Nursery
    ) -> tuple[Any, g.Context]:
        thread = ctx.thread_of(op["process"])
        special = op.get("type") in (g.SLEEP, g.LOG)
        invoke = {**op, "time": now_ns()} if special else {**op, "type": "invoke", "time": now_ns()}
        if not special:
            self.record(invoke)
        gen = g.update(gen, ctx, invoke)
        ctx = ctx.busy(thread)
        self.outstanding += 1
        nursery.start_soon(self._work, thread, invoke)
        return gen, ctx

    async def _work(self, thread: Any, op: dict[str, Any]) -> None:
        if op["type"] == g.SLEEP:
            await trio.sleep(op["value"] / 1e9)
            completion: dict[str, Any] = {}
        elif op["type"] == g.LOG:
            completion = {}
        else:
            completion = await self.invoke(thread, op)
        self._send.send_nowait((thread, {**op, **completion}))

    async def _await_until(self, gen: Any, ctx: g.Context, time_ns: int) -> tuple[Any, g.Context]:
        """A completion, or nothing once simulated time reaches ``time_ns``: an alarm on
        the world's heap (the scheduler fast-forwards to it like any event), else a scope."""
        if self.alarm is None:
            with trio.move_on_at(time_ns / 1e9):
                return await self._await_completion(gen, ctx, math.inf)
            return gen, ctx
        if self._alarm_at != time_ns:
            self._alarm_at = time_ns
            self.alarm(time_ns, lambda: self._ring(time_ns))
        return await self._await_completion(gen, ctx, math.inf)

    def _ring(self, time_ns: int) -> None:
        if self._alarm_at == time_ns:  # else a completion came first and moved on
            self._alarm_at = None
            self._send.send_nowait((_WAKE, None))

    async def _await_completion(
        self, gen: Any, ctx: g.Context, deadline: float
    ) -> tuple[Any, g.Context]:
        if deadline == math.inf:  # no scope: one that can never expire changes nothing
            thread, completion = await self._recv.receive()
            if thread is _WAKE:
                return gen, ctx
            return self._complete(gen, ctx, thread, completion)
        with trio.move_on_at(deadline):
            return await self._await_completion(gen, ctx, math.inf)
        return gen, ctx

    def _complete(
        self, gen: Any, ctx: g.Context, thread: Any, completion: dict[str, Any]
    ) -> tuple[Any, g.Context]:
        self.outstanding -= 1
        completion["time"] = now_ns()
        if g.goes_in_history(completion):
            self.record(completion)
        # As Jepsen's interpreter: free the thread and retire an indeterminate process
        # first, then tell the generator.
        ctx = ctx.with_time(completion["time"]).free(thread)
        if completion["type"] == "info" and thread != g.NEMESIS:
            ctx = ctx.with_next_process(thread)
        gen = g.update(gen, ctx, completion)
        return gen, ctx
