"""One test run: system x workload x nemesis on a fresh simulated world, then the checkers.

Phases, all in one ``trio.run`` on a virtual clock seeded from the spec's seed:

1. build the world and the system's nodes; start them;
2. main phase: the workload's client ops (staggered to the requested rate) interleaved
   with the nemesis schedule, both cut at ``time_limit``;
3. heal: every fault package's final ops (heal partitions, restart and resume nodes,
   reset clocks), recorded like any nemesis op; then ``quiesce`` seconds of quiet;
4. final reads: the workload's final generator, once on every client thread.

The history is written to ``history.jsonl`` as it happens.  Checking happens afterwards,
outside the simulation, from the history alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import trio

from ddialab import generator as g
from ddialab.history import History, JsonlRecorder, Op
from ddialab.runner._interpreter import Interpreter
from ddialab.runner._spec import TestSpec
from nemesis import NemesisPackage, build_nemesis
from systems import get_system
from systems.sim import NetworkConfig, World, run_simulated
from workloads import get_workload

_CORE = ("index", "time", "type", "process", "f", "value", "node", "error")


@dataclass
class RunOutcome:
    history: History
    stats: dict[str, Any] = field(default_factory=dict)
    #: the network's message log (only when ``spec.record_messages``)
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: what the system that ran claims (as built with the spec's options)
    claims: frozenset[str] | None = None


def to_op(index: int, d: dict[str, Any]) -> Op:
    extra = {k: v for k, v in d.items() if k not in _CORE}
    return Op(
        index, d["time"], d["type"], d["process"], d["f"], d.get("value"),
        d.get("node"), d.get("error"), extra,
    )  # fmt: skip


class _Recorder:
    def __init__(self, path: str | None) -> None:
        self.ops: list[Op] = []
        self.file = JsonlRecorder(path) if path else None

    def __call__(self, d: dict[str, Any]) -> None:
        op = to_op(len(self.ops), d)
        self.ops.append(op)
        if self.file:
            self.file.record(op)

    def close(self) -> None:
        if self.file:
            self.file.close()


def simulate(spec: TestSpec, history_path: str | None = None) -> RunOutcome:
    """Run the spec's simulation; return its history (also written to ``history_path``)."""
    recorder = _Recorder(history_path)
    try:
        stats = run_simulated(_main, spec, recorder, seed=spec.seed)
    finally:
        recorder.close()
    messages = stats.pop("messages", [])
    claims = frozenset(stats.pop("claims"))
    return RunOutcome(History(recorder.ops, source=history_path), stats, messages, claims)


async def _main(spec: TestSpec, record: _Recorder) -> dict[str, Any]:
    world = World(spec.seed, NetworkConfig(record=spec.record_messages))
    system = get_system(spec.system).build(spec.system_options)
    system.setup(world)
    world.start_all()
    package = build_nemesis(spec.nemesis, spec)
    package.nemesis.setup(world, system)
    workers = _Workers(world, system, package, spec)
    interp = Interpreter(spec.concurrency, workers.invoke, record, spec.seed)
    async with world.running():
        ctx = interp.initial_context()
        for phase in _phases(spec, package):
            ctx = await interp.run(phase, ctx)
        await workers.close()
    return {
        "network": world.network.stats.as_dict(),
        "events": world.scheduler.processed,
        "messages": world.network.log,
        "claims": system.claims,
    }


def _phases(spec: TestSpec, package: NemesisPackage) -> list[Any]:
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options}
    rng = random.Random(f"{spec.seed}/workload")
    clients = g.stagger(1 / spec.rate, workload.generator(rng, opts))
    main: Any = g.clients(clients)
    if package.generator is not None:
        main = g.any_of(main, g.nemesis(package.generator))
    phases: list[Any] = [g.time_limit(spec.time_limit, main)]
    phases.append(g.nemesis(list(package.final_ops)))
    phases.append(g.sleep(spec.quiesce))
    if workload.final_generator is not None:
        final = workload.final_generator(rng, opts)
        phases.append(g.clients(g.each_thread(final)))
    return phases


class _Workers:
    """Opens a client per process (reopening after ``info``) and runs ops on it."""

    def __init__(self, world: World, system: Any, package: NemesisPackage, spec: TestSpec):
        self.world, self.system, self.package, self.spec = world, system, package, spec
        self.clients: dict[Any, tuple[int, Any]] = {}
        self.timeout = spec.op_timeout

    async def invoke(self, thread: Any, op: dict[str, Any]) -> dict[str, Any]:
        if thread == g.NEMESIS:
            return self.package.nemesis.invoke(self.world, self.system, op)
        client = await self._client(thread, op["process"])
        with trio.move_on_after(self.timeout):
            return await client.invoke(op)
        return {"type": "info", "value": op.get("value"), "error": "timeout"}

    async def _client(self, thread: Any, process: int) -> Any:
        current = self.clients.get(thread)
        if current and current[0] == process:
            return current[1]
        if current:
            await current[1].close()
        client = self.system.client(self.world, process)
        nodes = self.system.node_names()
        await client.open(nodes[process % len(nodes)])
        self.clients[thread] = (process, client)
        return client

    async def close(self) -> None:
        for _, client in self.clients.values():
            await client.close()
        self.package.nemesis.teardown(self.world, self.system)
