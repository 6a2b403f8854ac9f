"""The generator interpreter: plays a generator against worker tasks in simulated time.

Theory of operation
-------------------
One loop owns the generator and the context.  It asks the generator for an op; if the op is
due, it records the invocation, hands it to the worker task of the op's thread and marks
that thread busy; if the op lies in the future, it waits until then *or* until a worker
completes, whichever is first, and asks again (a completion may change what the generator
wants).  ``PENDING`` waits for a completion.  ``None`` with no op outstanding ends the run.

In a simulated world the wait for a future op is an *alarm* on the world's scheduler heap
(``alarm(time_ns, fn, *args)``: it puts a wake-up on the completion channel), not a trio cancel
scope: the scheduler then fast-forwards to it like to any message, instead of trio
autojumping the clock in an idle scheduling round.  A stale alarm (a completion came
first, the loop moved on) rings silently; at most one wake-up per alarm time is sent.
Real runs have no world and wait with a cancel scope.  (This moved the recorded schedules
of simulated runs: the same seed gives a different, still deterministic, history than
before; see docs/performance.md.)

In a simulated world with *inline* ops (``inline(thread, op, done)``, given by the runner
for the simulated environment) the loop is not a trio task that waits: ``_driven`` keeps
the generator and the context on the interpreter and turns the loop (``_pump``) wherever
the event happens -- an inline client op's completion or an alarm, both in a scheduler
callback -- so a simulated op costs no trio task, no cancel scope and no scheduling round
(see ``systems.sim._inline``).  Its turns are those of the task loop: one completion, then
ask and dispatch until the generator waits.  A completion that arrives while an op is
being dispatched waits in an inbox.  Ops that are not inline (sleeps, logs, clients that
are not inline-safe) still run as worker tasks and come back over the channel, and the
end of a phase is ``_END`` on it.  (This moved the recorded schedules again: see
docs/performance.md.)

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
Alarm = Callable[..., None]
#: inline(thread, op, done): start op without a task (True), done(completion) later
Inline = Callable[[Any, dict[str, Any], Callable[[dict[str, Any]], None]], bool]
#: what an alarm puts on the completion channel in place of a thread
_WAKE = object()
#: what the driven loop puts on the channel when the phase is over
_END = object()


class Interpreter:
    def __init__(
        self,
        concurrency: int,
        invoke: Invoke,
        record: Record,
        seed: int = 0,
        alarm: Alarm | None = None,
        inline: Inline | None = None,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.concurrency = concurrency
        self.seed = seed
        self.invoke = invoke  # invoke(thread, op) -> completion fields
        self.record = record
        self._send, self._recv = trio.open_memory_channel[tuple[Any, Any]](math.inf)
        self.outstanding = 0
        #: alarm(time_ns, fn, *args): fn(*args) at simulated time_ns (the world's scheduler heap)
        self.alarm = alarm
        self._alarm_at: int | None = None
        #: inline(thread, op, done): start a simulated op without a task (``_driven``)
        self.inline = inline
        #: the time in ns (a world's ``scheduler.now``, which needs no clock read while
        #: its entries run; else trio's clock)
        self.now = clock
        if inline is not None and alarm is None:
            raise ValueError("inline ops need the world's alarm: they run in its scheduler")

    def initial_context(self) -> g.Context:
        return g.Context.initial(self.concurrency, time=self.now(), seed=self.seed)

    async def run(self, gen: Any, ctx: g.Context) -> g.Context:
        async with trio.open_nursery() as nursery:
            if self.inline is not None:
                ctx = await self._driven(gen, ctx, nursery)
            else:
                ctx = await self._loop(gen, ctx, nursery)
        return ctx

    # -- simulated: the loop driven by the world's scheduler ------------------------------
    async def _driven(self, gen: Any, ctx: g.Context, nursery: trio.Nursery) -> g.Context:
        """The same loop as ``_loop``, but each turn runs where the event happens.

        An inline op's completion and an alarm arrive in a scheduler callback; they call
        ``_pump`` right there, which records, asks the generator and dispatches until it
        must wait.  Only task ops (sleeps, logs, clients that are not inline-safe) come
        back over the channel to this task.  ``_END`` on the channel ends the phase.
        """
        self._gen, self._ctx, self._nursery = gen, ctx, nursery
        self._inbox: list[tuple[Any, dict[str, Any]]] = []
        self._busy = self._over = False
        self._pump()
        while True:
            thread, completion = await self._recv.receive()
            if thread is _END:
                return self._ctx
            self._inbox.append((thread, completion))
            self._pump()

    def _pump(self) -> None:
        """Turn the loop until it waits: a completion first, then the generator, ..."""
        if self._busy or self._over:  # busy: a completion during a dispatch waits in the inbox
            return
        self._busy = True
        try:
            while True:
                if self._inbox:
                    thread, completion = self._inbox.pop(0)
                    self._gen, self._ctx = self._complete(self._gen, self._ctx, thread, completion)
                if not self._turn() and not self._inbox:
                    return
        finally:
            self._busy = False

    def _turn(self) -> bool:
        """Ask the generator once; dispatch a due op (True) or arrange the wait (False)."""
        now = self.now()
        ctx = self._ctx if now == self._ctx.time else self._ctx.with_time(now)
        self._ctx, gen = ctx, self._gen
        res = gen.op(ctx) if isinstance(gen, g.Generator) else g.op(gen, ctx)
        if res is None:
            if self.outstanding == 0:  # the phase is over: a stale alarm must not turn it
                self._over, self._alarm_at = True, None
                self._send.send_nowait((_END, None))
            return False
        op, next_gen = res
        if op is g.PENDING:
            return False
        at = op["time"]
        if at > now:
            if self._alarm_at != at:
                self._alarm_at = at
                self.alarm(at, self._ring_driven, at)  # type: ignore[misc]
            return False
        self._gen, self._ctx = self._dispatch(next_gen, ctx, op, self._nursery)
        return True

    def _ring_driven(self, time_ns: int) -> None:
        if self._alarm_at == time_ns:  # else a completion came first and moved on
            self._alarm_at = None
            self._pump()

    def _arrive(self, thread: Any, completion: dict[str, Any]) -> None:
        """An inline op's completion, in a scheduler callback (or during a dispatch)."""
        self._inbox.append((thread, completion))
        self._pump()

    async def _loop(self, gen: Any, ctx: g.Context, nursery: trio.Nursery) -> g.Context:
        while True:
            now = self.now()
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
        # simulated (a world's alarm): ctx was made at this instant and asking takes no time
        now = ctx.time if self.alarm is not None else self.now()
        invoke = {**op, "time": now} if special else {**op, "type": "invoke", "time": now}
        if not special:
            self.record(invoke)
        if isinstance(gen, g.Generator):  # g.update, without its dispatch
            gen = gen.update(ctx, invoke)
        else:
            gen = g.update(gen, ctx, invoke)
        ctx = ctx.busy(thread)
        self.outstanding += 1
        if special or not self._started_inline(thread, invoke):
            nursery.start_soon(self._work, thread, invoke)
        return gen, ctx

    def _started_inline(self, thread: Any, op: dict[str, Any]) -> bool:
        return self.inline is not None and self.inline(thread, op, self._doner(thread, op))

    def _doner(self, thread: Any, op: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
        arrive = self._arrive
        return lambda completion: arrive(thread, {**op, **completion})

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
            self.alarm(time_ns, self._ring, time_ns)
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
        completion["time"] = now = self.now()
        if g.goes_in_history(completion):
            self.record(completion)
        # As Jepsen's interpreter: free the thread and retire an indeterminate process
        # first, then tell the generator.
        ctx = ctx.free(thread, now)
        if completion["type"] == "info" and thread != g.NEMESIS:
            ctx = ctx.with_next_process(thread)
        if isinstance(gen, g.Generator):
            return gen.update(ctx, completion), ctx
        return g.update(gen, ctx, completion), ctx
