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

Faults are the simulated packages' schedules performed on real servers
(``nemesis.real.build_real_nemesis``: the system's ``kill``/``start``, ``pause``/``resume``,
``cut``/``partition``/``heal`` abilities), recorded like any nemesis op, so
``schedule.json`` and ``--replay`` work as for simulated runs.

Timeouts: the system is built with the option ``op_timeout`` (seconds) so its clients can
set driver-level timeouts; an op that outlives it anyway is answered ``info`` at that
time, and the client's optional ``cancel()`` is called (from another thread) to abort
the request.  Worker threads come from a limiter of their own, large enough that
abandoned threads never delay new ops.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import threading
import time
from typing import Any

import trio

from ddialab import generator as g
from ddialab.errors import UsageError
from ddialab.history import History
from ddialab.runner._interpreter import Interpreter
from ddialab.runner._run import RunOutcome, _Recorder
from ddialab.runner._spec import TestSpec
from nemesis import NemesisPackage
from nemesis.real import build_real_nemesis
from systems import get_system
from workloads import get_workload

#: longest main phase a real run accepts (seconds)
MAX_TIME_LIMIT = 600.0
#: slack past the expected end before the run is cut off as hung (seconds)
SLACK = 60.0
#: worker threads at most (ops in flight plus abandoned ones still running)
THREADS = 1000


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
    # a real client cannot tell list-append reads from rw-register reads by themselves
    options = {"workload": spec.workload, "op_timeout": spec.op_timeout, **spec.system_options}
    system: Any = get_system(spec.system).build(options)
    package = build_real_nemesis(spec.nemesis, spec, system)
    recorder = _Recorder(history_path)
    workdir = tempfile.mkdtemp(prefix=f"ddialab-{system.name}-")
    os.chmod(workdir, 0o755)
    try:
        try:  # teardown also after a failed setup: it stops whatever did start
            system.setup(workdir)
            stats = trio.run(_main, spec, system, package, recorder, clock=_RealClock())
        finally:
            _copy_logs(system, logs_dir)
            system.teardown()
    finally:
        recorder.close()
        shutil.rmtree(workdir, ignore_errors=True)
    history = History(recorder.ops, source=history_path)
    return RunOutcome(history, stats, claims=frozenset(system.claims))


def _copy_logs(system: Any, logs_dir: str | None) -> None:
    if logs_dir is None or not callable(getattr(system, "log_files", None)):
        return
    for name, path in system.log_files().items():
        if os.path.exists(path):
            os.makedirs(logs_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(logs_dir, name))


async def _main(
    spec: TestSpec, system: Any, package: NemesisPackage, record: _Recorder
) -> dict[str, Any]:
    workers = _Workers(system, spec, package)
    interp = Interpreter(spec.concurrency, workers.invoke, record, spec.seed)
    bound = spec.time_limit + spec.quiesce + 4 * spec.op_timeout + SLACK
    with trio.fail_after(bound):
        ctx = interp.initial_context()
        try:
            for phase in _phases(spec, package):
                ctx = await interp.run(phase, ctx)
        finally:
            with trio.CancelScope(shield=True):
                await workers.close()
    return {"real": True, "faults": workers.faults}


def _phases(spec: TestSpec, package: NemesisPackage) -> list[Any]:
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options}
    rng = random.Random(f"{spec.seed}/workload")
    main: Any = g.clients(g.stagger(1 / spec.rate, workload.generator(rng, opts)))
    if package.generator is not None:
        main = g.any_of(main, g.nemesis(package.generator))
    phases: list[Any] = [g.time_limit(spec.time_limit, main)]
    phases.append(g.nemesis(list(package.final_ops)))
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
    _quietly(client.close)


def _quietly(fn: Any) -> None:
    with contextlib.suppress(Exception):
        fn()


class _Workers:
    """A blocking client per process, driven from worker threads; faults via the package."""

    def __init__(self, system: Any, spec: TestSpec, package: NemesisPackage) -> None:
        self.system, self.spec, self.package = system, spec, package
        self.clients: dict[Any, tuple[int, Any]] = {}
        self.faults = 0
        self.abandoned: list[Any] = []
        # abandoned threads hold a token until they end: never let them starve new ops
        self.limiter = trio.CapacityLimiter(THREADS)

    async def invoke(self, thread: Any, op: dict[str, Any]) -> dict[str, Any]:
        if thread == g.NEMESIS:
            return await self._fault(op)
        try:
            client = await self._client(thread, op["process"])
        except Exception as e:  # the server refused a connection: nothing happened
            return {"type": "fail", "value": op.get("value"), "error": f"open: {e}"}
        with trio.move_on_after(self.spec.op_timeout):
            return await self._thread(_safe_invoke, client, op)
        # its thread may still be using it: cancel its request, set it aside, close it
        # at the end
        self.abandoned.append(self.clients.pop(thread)[1])
        self._cancel(client)
        return {"type": "info", "value": op.get("value"), "error": "timeout"}

    async def _thread(self, fn: Any, *args: Any) -> Any:
        return await trio.to_thread.run_sync(
            fn, *args, abandon_on_cancel=True, limiter=self.limiter
        )

    def _cancel(self, client: Any) -> None:
        """Ask the driver to abort the request (in a thread of its own: it may block)."""
        cancel = getattr(client, "cancel", None)
        if callable(cancel):
            threading.Thread(target=_quietly, args=(cancel,), daemon=True).start()

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
            await self._thread(client.open, nodes[process % len(nodes)])
        self.clients[thread] = (process, client)
        return client

    async def _fault(self, op: dict[str, Any]) -> dict[str, Any]:
        self.faults += 1
        nemesis, system = self.package.nemesis, self.system
        return dict(await trio.to_thread.run_sync(nemesis.invoke, None, system, op))

    async def _close(self, client: Any) -> None:
        with trio.move_on_after(5.0):
            await self._thread(_safe_close, client)

    async def close(self) -> None:
        for client in [c for _, c in self.clients.values()] + self.abandoned:
            await self._close(client)
        self.clients.clear()
        self.abandoned.clear()
