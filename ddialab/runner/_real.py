"""The real environment: real servers on loopback, the real clock, worker threads.

Theory of operation
-------------------
A real run is the same run as a simulated one (``_run.drive``: the same phases, workers,
interpreter and recording, so schedules, ``--replay``, shrinking and reports work alike);
``RealEnv`` supplies what differs.  ``trio.run`` gets a clock that is the real monotonic
clock, shifted so the run starts at 0 s.  The system object (``real_datastore = True``,
see ``systems.external``) starts its servers in ``setup(workdir)`` and stops them in
``teardown()`` -- always, also when the run fails or is interrupted (Ctrl-C).  Clients
are *blocking*: each ``open``/``invoke``/``close`` runs in a trio worker thread
(``trio.to_thread.run_sync``); a connection refused at ``open`` fails the op (nothing
happened), an adapter's unexpected exception makes it ``info``.

Timeouts: the system is built with the option ``op_timeout`` (seconds) so its clients can
set driver-level timeouts; an op that outlives it anyway is answered ``info`` at that
time, its client is *abandoned* (its thread finishes on its own; the client is closed at
the end) and the client's optional ``cancel()`` is called from another thread to abort
the request.  Worker threads come from a limiter of their own, large enough that
abandoned threads never delay new ops.  The whole run is bounded: ``time_limit`` at most
``MAX_TIME_LIMIT`` and a hard deadline past the expected end.

Faults are the simulated packages' schedules performed on real servers
(``nemesis.real.build_real_nemesis``: the system's ``kill``/``start``, ``pause``/``resume``,
``cut``/``partition``/``heal`` abilities), in a worker thread, recorded like any nemesis
op, so ``schedule.json`` and ``--replay`` work as for simulated runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from ddialab.errors import UsageError
from ddialab.history import History
from ddialab.runner._run import Recorder, RunOutcome, drive
from ddialab.runner._spec import TestSpec
from nemesis.real import build_real_nemesis
from systems import get_system

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
    recorder = Recorder(history_path)
    env = RealEnv(system, spec)
    workdir = tempfile.mkdtemp(prefix=f"ddialab-{system.name}-")
    os.chmod(workdir, 0o755)
    try:
        try:  # teardown also after a failed setup: it stops whatever did start
            system.setup(workdir)
            trio.run(drive, env, spec, package, recorder, clock=_RealClock())
        finally:
            _copy_logs(system, logs_dir)
            system.teardown()
    finally:
        recorder.close()
        shutil.rmtree(workdir, ignore_errors=True)
    history = History(recorder.ops, source=history_path)
    stats = {"real": True, "faults": env.faults}
    return RunOutcome(history, stats, claims=frozenset(system.claims))


def _copy_logs(system: Any, logs_dir: str | None) -> None:
    if logs_dir is None or not callable(getattr(system, "log_files", None)):
        return
    for name, path in system.log_files().items():
        if os.path.exists(path):
            os.makedirs(logs_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(logs_dir, name))


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


class RealEnv:
    """Real servers: blocking clients and faults in worker threads, a hard deadline."""

    world = None
    open_errors: tuple[type[Exception], ...] = (Exception,)

    def __init__(self, system: Any, spec: TestSpec) -> None:
        self.system, self.spec = system, spec
        self.faults = 0
        # abandoned threads hold a token until they end: never let them starve new ops
        self.limiter = trio.CapacityLimiter(THREADS)

    def client(self, process: int) -> Any:
        return self.system.client(process)

    async def open(self, client: Any, node: str) -> None:
        with trio.fail_after(max(5.0, self.spec.op_timeout)):
            await self._thread(client.open, node)

    async def invoke(self, client: Any, op: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._thread(_safe_invoke, client, op)
        return result

    async def close(self, client: Any) -> None:
        with trio.move_on_after(5.0):
            await self._thread(_safe_close, client)

    async def fault(self, nemesis: Any, op: dict[str, Any]) -> dict[str, Any]:
        self.faults += 1
        return dict(await trio.to_thread.run_sync(nemesis.invoke, None, self.system, op))

    def abandon(self, client: Any) -> bool:
        """Ask the driver to abort the request (in a thread of its own: it may block)."""
        cancel = getattr(client, "cancel", None)
        if callable(cancel):
            threading.Thread(target=_quietly, args=(cancel,), daemon=True).start()
        return True

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Cut the run off as hung well past its expected end."""
        spec = self.spec
        with trio.fail_after(spec.time_limit + spec.quiesce + 4 * spec.op_timeout + SLACK):
            yield

    async def _thread(self, fn: Any, *args: Any) -> Any:
        return await trio.to_thread.run_sync(
            fn, *args, abandon_on_cancel=True, limiter=self.limiter
        )
