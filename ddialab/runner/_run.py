"""One test run: system x workload x nemesis in an environment, recorded as a history.

Theory of operation
-------------------
One implementation of the phases, the workers and the recording serves every run; what
differs between a simulated world and real processes is an *environment* object
(``Environment`` below): how a client is made, opened, invoked and closed, how a fault is
performed, what a timed-out op leaves behind, and what bounds the run.

* ``SimEnv`` (here): a fresh simulated ``World`` on trio's ``MockClock`` seeded from the
  spec, async clients, faults changing the world; byte-identical histories per seed.
* ``RealEnv`` (``_real``): real servers on loopback, the real clock, blocking clients in
  worker threads, real faults (``nemesis.real``), a hard deadline, teardown always.

Phases, in one ``trio.run``:

1. the environment sets the system up (and the nemesis);
2. main phase: the workload's client ops (staggered to the requested rate) interleaved
   with the nemesis schedule, both cut at ``time_limit``;
3. heal: every fault package's final ops (heal partitions, restart and resume nodes,
   reset clocks), recorded like any nemesis op; then ``quiesce`` seconds of quiet;
4. final reads: the workload's final generator, once on every client thread;
5. every client is closed (also when a phase failed), then the nemesis torn down.

A client op that outlives ``op_timeout`` is answered ``info``; the interpreter retires its
process, so the thread's next op opens a fresh client.  The history is written to
``history.jsonl`` as it happens; checking happens afterwards, from the history alone.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import trio

from ddialab import generator as g
from ddialab.history import History, JsonlRecorder, Op
from ddialab.runner._interpreter import Interpreter
from ddialab.runner._spec import TestSpec
from nemesis import NemesisPackage, build_nemesis
from systems import get_system
from systems.sim import (
    InlineError,
    InlineOp,
    NetworkConfig,
    World,
    inline_safe,
    now_ns,
    run_simulated,
)
from workloads import get_workload

_CORE = frozenset(("index", "time", "type", "process", "f", "value", "node", "error"))


@dataclass
class RunOutcome:
    history: History
    stats: dict[str, Any] = field(default_factory=dict)
    #: the network's message log (only when ``spec.record_messages``)
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: what the system that ran claims (as built with the spec's options)
    claims: frozenset[str] | None = None


class Recorder:
    def __init__(self, path: str | None) -> None:
        self.ops: list[Op] = []
        self.file = JsonlRecorder(path) if path else None

    def __call__(self, d: dict[str, Any]) -> None:
        """Record one event dict as the next ``Op`` (keys outside the core: its extras)."""
        ops = self.ops
        extra = {} if d.keys() <= _CORE else {k: v for k, v in d.items() if k not in _CORE}
        op = Op(
            len(ops), d["time"], d["type"], d["process"], d["f"], d.get("value"),
            d.get("node"), d.get("error"), extra,
        )  # fmt: skip
        ops.append(op)
        if self.file:
            self.file.record(op)

    def close(self) -> None:
        if self.file:
            self.file.close()


class Environment(Protocol):
    """Where a run's ops happen: a simulated world, or real processes (see the module)."""

    #: the simulated world handed to the nemesis, or ``None``
    world: Any
    system: Any
    #: exceptions of ``open`` that fail the op instead of the run
    open_errors: tuple[type[Exception], ...]

    def client(self, process: int) -> Any: ...
    async def open(self, client: Any, node: str) -> None: ...
    async def invoke(self, client: Any, op: dict[str, Any]) -> dict[str, Any]: ...
    async def close(self, client: Any) -> None: ...
    async def fault(self, nemesis: Any, op: dict[str, Any]) -> dict[str, Any]: ...
    def abandon(self, client: Any) -> bool: ...
    def running(self) -> Any: ...


async def drive(env: Environment, spec: TestSpec, package: NemesisPackage, record: Any) -> None:
    """Play the spec's phases in ``env``, recording every op; clients closed always."""
    package.nemesis.setup(env.world, env.system)
    workers = _Workers(env, package, spec)
    alarm = inline = None
    clock = now_ns
    if env.world is not None:  # simulated: heap alarms, client ops stepped inline
        scheduler = env.world.scheduler
        alarm, inline, clock = scheduler.at, workers.inline, scheduler.now
    interp = Interpreter(spec.concurrency, workers.invoke, record, spec.seed, alarm, inline, clock)
    async with env.running():
        ctx = interp.initial_context()
        try:
            for phase in phases(spec, package):
                ctx = await interp.run(phase, ctx)
        finally:
            with trio.CancelScope(shield=True):
                await workers.close()


def phases(spec: TestSpec, package: NemesisPackage) -> list[Any]:
    """Main (clients + nemesis, cut at the time limit), heal, quiesce, final reads."""
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options}
    rng = random.Random(f"{spec.seed}/workload")
    clients = g.stagger(1 / spec.rate, workload.generator(rng, opts))
    main: Any = g.clients(clients)
    if package.generator is not None:
        main = g.any_of(main, g.nemesis(package.generator))
    result: list[Any] = [g.time_limit(spec.time_limit, main)]
    result.append(g.nemesis(list(package.final_ops)))
    result.append(g.sleep(spec.quiesce))
    if workload.final_generator is not None:
        final = workload.final_generator(rng, opts)
        result.append(g.clients(g.each_thread(final)))
    return result


def _timed_out(value: Any) -> dict[str, Any]:
    return {"type": "info", "value": value, "error": "timeout"}


class _Workers:
    """A client per process (a fresh one after ``info``) running ops; faults via the env."""

    def __init__(self, env: Environment, package: NemesisPackage, spec: TestSpec):
        self.env, self.package = env, package
        self.clients: dict[Any, tuple[int, Any]] = {}
        self.abandoned: list[Any] = []
        #: a thread's first client, made to see whether it is inline-safe, not yet opened
        self.fresh: dict[Any, tuple[int, Any]] = {}
        self.timeout = spec.op_timeout
        timeout_ns = self.timeout * 1e9  # an infinite (or huge) op timeout: none at all
        self.timeout_ns = round(timeout_ns) if timeout_ns < 2**62 else None

    async def invoke(self, thread: Any, op: dict[str, Any]) -> dict[str, Any]:
        if thread == g.NEMESIS:
            return await self.env.fault(self.package.nemesis, op)
        try:
            client = await self._client(thread, op["process"])
        except self.env.open_errors as e:  # the server refused: nothing happened
            return {"type": "fail", "value": op.get("value"), "error": f"open: {e}"}
        with trio.move_on_after(self.timeout):
            return await self.env.invoke(client, op)
        if self.env.abandon(client):  # still in use by its thread: closed at the end
            self.abandoned.append(self.clients.pop(thread)[1])
        return _timed_out(op.get("value"))

    def inline(self, thread: Any, op: dict[str, Any], done: Callable[[Any], None]) -> bool:
        """Start ``op`` as an inline op (``systems.sim._inline``) if its client allows;
        ``done(completion)`` comes from a scheduler callback.  False: run it as a task."""
        current = self.clients.get(thread)
        if current is not None and current[0] == op["process"] and inline_safe(current[1]):
            coro = current[1].invoke(op)  # the common case: _invoke_inline's, one frame less
        elif thread != g.NEMESIS and not self._inline_client(thread, op["process"]):
            return False
        else:
            coro = self._invoke_inline(thread, op)
        value = op.get("value")
        run = InlineOp(coro, done)
        run.start(self.env.world.scheduler, self.timeout_ns, lambda: _timed_out(value))
        return True

    def _inline_client(self, thread: Any, process: int) -> bool:
        """Whether the thread's client class is inline-safe (a first client is made now)."""
        current = self.clients.get(thread)
        if current is None:
            current = self.fresh.get(thread)
        if current is None:
            current = self.fresh[thread] = (process, self.env.client(process))
        return inline_safe(current[1])

    async def _invoke_inline(self, thread: Any, op: dict[str, Any]) -> dict[str, Any]:
        """``invoke`` without trio: the op timeout is ``InlineOp``'s heap entry."""
        if thread == g.NEMESIS:
            return await self.env.fault(self.package.nemesis, op)
        try:
            client = await self._client(thread, op["process"])
        except self.env.open_errors as e:
            return {"type": "fail", "value": op.get("value"), "error": f"open: {e}"}
        if not inline_safe(client):
            raise InlineError(f"{type(client).__name__} is not inline-safe, its predecessor was")
        result: dict[str, Any] = await client.invoke(op)  # SimEnv.invoke, one coroutine less
        return result

    async def _client(self, thread: Any, process: int) -> Any:
        current = self.clients.pop(thread, None)
        if current and current[0] == process:
            self.clients[thread] = current
            return current[1]
        if current:
            await self.env.close(current[1])
        fresh = self.fresh.pop(thread, None)
        client = fresh[1] if fresh and fresh[0] == process else self.env.client(process)
        nodes = self.env.system.node_names()
        await self.env.open(client, nodes[process % len(nodes)])
        self.clients[thread] = (process, client)
        return client

    async def close(self) -> None:
        made = [c for _, c in [*self.clients.values(), *self.fresh.values()]]
        for client in made + self.abandoned:
            await self.env.close(client)
        self.clients.clear()
        self.fresh.clear()
        self.abandoned.clear()
        self.package.nemesis.teardown(self.env.world, self.env.system)


class SimEnv:
    """A simulated world: async clients, faults change the world, nothing is abandoned."""

    open_errors: tuple[type[Exception], ...] = ()

    def __init__(self, world: World, system: Any) -> None:
        self.world, self.system = world, system

    def client(self, process: int) -> Any:
        return self.system.client(self.world, process)

    async def open(self, client: Any, node: str) -> None:
        await client.open(node)

    async def invoke(self, client: Any, op: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await client.invoke(op)
        return result

    async def close(self, client: Any) -> None:
        await client.close()

    async def fault(self, nemesis: Any, op: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = nemesis.invoke(self.world, self.system, op)
        return result

    def abandon(self, client: Any) -> bool:
        return False  # the thread's next op (a new process) closes it

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.world.running():
            yield


def simulate(spec: TestSpec, history_path: str | None = None) -> RunOutcome:
    """Run the spec's simulation; return its history (also written to ``history_path``)."""
    recorder = Recorder(history_path)
    try:
        stats = run_simulated(_simulated, spec, recorder, seed=spec.seed)
    finally:
        recorder.close()
    messages = stats.pop("messages", [])
    claims = frozenset(stats.pop("claims"))
    return RunOutcome(History(recorder.ops, source=history_path), stats, messages, claims)


async def _simulated(spec: TestSpec, record: Recorder) -> dict[str, Any]:
    world = World(spec.seed, NetworkConfig(record=spec.record_messages))
    system = get_system(spec.system).build(spec.system_options)
    system.setup(world)
    world.start_all()
    package = build_nemesis(spec.nemesis, spec)
    await drive(SimEnv(world, system), spec, package, record)
    return {
        "network": world.network.stats.as_dict(),
        "events": world.scheduler.processed,
        "messages": world.network.log,
        "claims": system.claims,
    }
