"""The generator interpreter: plays a generator against worker tasks in simulated time.

Theory of operation
-------------------
One loop owns the generator and the context.  It asks the generator for an op; if the op is
due, it records the invocation, hands it to the worker task of the op's thread and marks
that thread busy; if the op lies in the future, it waits until then *or* until a worker
completes, whichever is first, and asks again (a completion may change what the generator
wants).  ``PENDING`` waits for a completion.  ``None`` with no op outstanding ends the run.

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


class Interpreter:
    def __init__(self, concurrency: int, invoke: Invoke, record: Record, seed: int = 0) -> None:
        self.concurrency = concurrency
        self.seed = seed
        self.invoke = invoke  # invoke(thread, op) -> completion fields
        self.record = record
        self._send, self._recv = trio.open_memory_channel[tuple[Any, dict[str, Any]]](math.inf)
        self.outstanding = 0

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
                gen, ctx = await self._await_completion(gen, ctx, op["time"] / 1e9)
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

    async def _await_completion(
        self, gen: Any, ctx: g.Context, deadline: float
    ) -> tuple[Any, g.Context]:
        if deadline == math.inf:  # no scope: one that can never expire changes nothing
            thread, completion = await self._recv.receive()
            return self._complete(gen, ctx, thread, completion)
        with trio.move_on_at(deadline):
            thread, completion = await self._recv.receive()
            return self._complete(gen, ctx, thread, completion)
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
