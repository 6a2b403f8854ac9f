"""Running a spec against a real datastore: real servers, real clock, worker threads.

Theory of operation
-------------------
The same generator interpreter as the simulation (``Interpreter``: one loop owns the
generator, workers run ops, everything is recorded in the loop's order) runs in a plain
``trio.run`` whose clock is the real monotonic clock, shifted so the run starts at 0 s.
The system object (``real_datastore = True``, see ``systems.external``) starts its
servers in ``setup(workdir)`` and stops them in ``teardown()`` -- always, also when the
run fails.  Clients are *blocking*: each ``open``/``invoke``/``close`` runs in a trio
worker thread (``trio.to_thread.run_sync``).  An op that outlives ``op_timeout`` is
abandoned (its thread finishes on its own; the process is retired as ``info`` and its
client dropped), so a hung server cannot hang the run.

Phases as in the simulation: main (client ops, staggered to ``rate``, with the real
nemesis if any, cut at ``time_limit`` real seconds), heal (every fault undone), quiesce,
final reads.  The whole run is bounded: ``time_limit`` at most ``MAX_TIME_LIMIT`` and a
hard deadline past the expected end.

Real faults use the system's optional abilities: ``kill`` (``kill(node)``/``start(node)``),
``pause`` (``pause``/``resume``) and ``partition`` (``partition(nodes)``/``heal()``).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import time
from typing import Any

import trio

from ddialab import generator as g
from ddialab.errors import UsageError
from ddialab.history import History
from ddialab.runner._interpreter import Interpreter
from ddialab.runner._run import RunOutcome, _Recorder
from ddialab.runner._spec import TestSpec
from systems import get_system
from workloads import get_workload

#: longest main phase a real run accepts (seconds)
MAX_TIME_LIMIT = 600.0
#: slack past the expected end before the run is cut off as hung (seconds)
SLACK = 60.0

#: fault name -> (fault op, heal op, abilities the system needs)
REAL_FAULTS: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]] = {
    "kill": ({"f": "kill", "value": "one"}, {"f": "start", "value": "all"}, ("kill", "start")),
    "pause": ({"f": "pause", "value": "one"}, {"f": "resume", "value": "all"}, ("pause", "resume")),
    "partition": (
        {"f": "start-partition", "value": "isolate-one"},
        {"f": "stop-partition", "value": None},
        ("partition", "heal"),
    ),
}


def is_real_spec(spec: TestSpec) -> bool:
    from systems.external import is_real

    return is_real(get_system(spec.system).build(spec.system_options))


class _RealClock(trio.abc.Clock):
    """Real monotonic seconds since the run started."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def start_clock(self) -> None:
        self.t0 = time.monotonic()

    def current_time(self) -> float:
        return time.monotonic() - self.t0

    def deadline_to_sleep_time(self, deadline: float) -> float:
        return deadline - self.current_time()


def execute(
    spec: TestSpec, history_path: str | None = None, logs_dir: str | None = None
) -> RunOutcome:
    """Run the spec against the real system; return its history (also written to a file)."""
    if not 0 <= spec.time_limit <= MAX_TIME_LIMIT:
        raise UsageError(f"a real run's --time-limit is 0..{MAX_TIME_LIMIT:g} s")
    if spec.schedule is not None:
        raise UsageError("real runs cannot replay a fault schedule (--schedule/--replay) yet")
    # a real client cannot tell list-append reads from rw-register reads by themselves
    system: Any = get_system(spec.system).build({"workload": spec.workload, **spec.system_options})
    _check_faults(spec, system)
    recorder = _Recorder(history_path)
    workdir = tempfile.mkdtemp(prefix=f"ddialab-{system.name}-")
    os.chmod(workdir, 0o755)
    try:
        try:  # teardown also after a failed setup: it stops whatever did start
            system.setup(workdir)
            stats = trio.run(_main, spec, system, recorder, clock=_RealClock())
        finally:
            _copy_logs(system, logs_dir)
            system.teardown()
    finally:
        recorder.close()
        shutil.rmtree(workdir, ignore_errors=True)
    history = History(recorder.ops, source=history_path)
    return RunOutcome(history, stats, claims=frozenset(system.claims))


def _check_faults(spec: TestSpec, system: Any) -> None:
    for name in spec.nemesis:
        if name not in REAL_FAULTS:
            raise UsageError(f"real datastores take the faults {sorted(REAL_FAULTS)}, not {name!r}")
        missing = [a for a in REAL_FAULTS[name][2] if not callable(getattr(system, a, None))]
        if missing:
            raise UsageError(f"{system.name} cannot {name}: it has no {', '.join(missing)}()")


def _copy_logs(system: Any, logs_dir: str | None) -> None:
    if logs_dir is None or not callable(getattr(system, "log_files", None)):
        return
    for name, path in system.log_files().items():
        if os.path.exists(path):
            os.makedirs(logs_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(logs_dir, name))


async def _main(spec: TestSpec, system: Any, record: _Recorder) -> dict[str, Any]:
    workers = _Workers(system, spec)
    interp = Interpreter(spec.concurrency, workers.invoke, record, spec.seed)
    bound = spec.time_limit + spec.quiesce + 4 * spec.op_timeout + SLACK
    with trio.fail_after(bound):
        ctx = interp.initial_context()
        try:
            for phase in _phases(spec):
                ctx = await interp.run(phase, ctx)
        finally:
            with trio.CancelScope(shield=True):
                await workers.close()
    return {"real": True, "faults": workers.faults}


def _phases(spec: TestSpec) -> list[Any]:
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options}
    rng = random.Random(f"{spec.seed}/workload")
    main: Any = g.clients(g.stagger(1 / spec.rate, workload.generator(rng, opts)))
    iv = spec.nemesis_interval
    faults = [REAL_FAULTS[n] for n in spec.nemesis]
    if faults:
        steps = [
            step for fault, heal, _ in faults for step in (g.sleep(iv), fault, g.sleep(iv), heal)
        ]
        main = g.any_of(main, g.nemesis(g.cycle(steps)))
    phases: list[Any] = [g.time_limit(spec.time_limit, main)]
    if faults:
        phases.append(g.nemesis([dict(heal) for _, heal, _ in faults]))
    phases.append(g.sleep(spec.quiesce))
    if workload.final_generator is not None:
        phases.append(g.clients(g.each_thread(workload.final_generator(rng, opts))))
    return phases


def _safe_invoke(client: Any, op: dict[str, Any]) -> dict[str, Any]:
    """An adapter's unexpected exception: the op may or may not have happened."""
    try:
        return dict(client.invoke(op))
    except Exception as e:
        return {"type": "info", "value": op.get("value"), "error": f"{type(e).__name__}: {e}"}


def _safe_close(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.close()


class _Workers:
    """A blocking client per process, driven from worker threads; faults on the system."""

    def __init__(self, system: Any, spec: TestSpec) -> None:
        self.system, self.spec = system, spec
        self.clients: dict[Any, tuple[int, Any]] = {}
        self.rng = random.Random(f"{spec.seed}/nemesis")
        self.faults = 0
        self.abandoned: list[Any] = []

    async def invoke(self, thread: Any, op: dict[str, Any]) -> dict[str, Any]:
        if thread == g.NEMESIS:
            return await self._fault(op)
        try:
            client = await self._client(thread, op["process"])
        except Exception as e:  # the server refused a connection: nothing happened
            return {"type": "fail", "value": op.get("value"), "error": f"open: {e}"}
        with trio.move_on_after(self.spec.op_timeout):
            return await trio.to_thread.run_sync(_safe_invoke, client, op, abandon_on_cancel=True)
        # its thread may still be using it: set it aside, close it at the end
        self.abandoned.append(self.clients.pop(thread)[1])
        return {"type": "info", "value": op.get("value"), "error": "timeout"}

    async def _client(self, thread: Any, process: int) -> Any:
        current = self.clients.pop(thread, None)
        if current and current[0] == process:
            self.clients[thread] = current
            return current[1]
        if current:
            await self._close(current[1])
        client = self.system.client(process)
        nodes = self.system.node_names()
        with trio.fail_after(max(5.0, self.spec.op_timeout)):
            await trio.to_thread.run_sync(
                client.open, nodes[process % len(nodes)], abandon_on_cancel=True
            )
        self.clients[thread] = (process, client)
        return client

    async def _fault(self, op: dict[str, Any]) -> dict[str, Any]:
        self.faults += 1
        value = await trio.to_thread.run_sync(self._do_fault, op["f"])
        return {"type": "info", "value": value}

    def _do_fault(self, f: str) -> Any:
        system, nodes = self.system, self.system.node_names()
        if f in ("kill", "pause"):
            node = self.rng.choice(nodes)
            getattr(system, f)(node)
            return [node]
        if f in ("start", "resume"):
            for node in nodes:
                getattr(system, f)(node)
            return nodes
        if f == "start-partition":
            node = self.rng.choice(nodes)
            system.partition([node])
            return {"isolated": node}
        system.heal()
        return None

    async def _close(self, client: Any) -> None:
        with trio.move_on_after(5.0):
            await trio.to_thread.run_sync(_safe_close, client, abandon_on_cancel=True)

    async def close(self) -> None:
        for client in [c for _, c in self.clients.values()] + self.abandoned:
            await self._close(client)
        self.clients.clear()
        self.abandoned.clear()
