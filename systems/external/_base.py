"""The protocol of a real datastore as a test subject, and helpers its adapters share.

Theory of operation
-------------------
A *real* system is a ``systems.System`` look-alike whose object carries
``real_datastore = True``; the runner then runs the spec in its real environment
(``ddialab.runner._real.RealEnv``: the same phases and workers as a simulated run)
against real servers under the real clock instead of on the simulated world:

* lifecycle: ``setup(workdir)`` starts (or connects to) the servers, ``teardown()`` stops
  them; both are blocking, called before and after the run (teardown always);
* ``client(process)`` returns a *blocking* ``BlockingClient`` (``open(node)``,
  ``invoke(op) -> {"type", "value", "error"}``, ``close()``); the runner calls it from
  trio worker threads (``trio.to_thread.run_sync``), so any blocking driver works.
  ``fail`` only for a *definite* error (the op certainly did not take effect), ``info``
  otherwise;
* optional abilities, found by ``hasattr`` (``nemesis.real`` drives them):
  ``kill(node)``/``start(node)``, ``pause(node)``/``resume(node)``, ``cut(grudge)`` (node
  -> nodes it must not hear from) or ``partition(nodes)`` (isolate them), ``heal()``,
  ``log_files() -> {name: path}`` (copied into the run directory);
* the system option ``op_timeout`` (seconds, from ``--op-timeout``): clients set their
  drivers' timeouts from it; a client's optional ``cancel()`` aborts its request in
  flight (the runner calls it, from another thread, when an op times out).

``ProcessAbilities`` gives a system whose servers are local processes the kill/pause
abilities over a ``systems.external.ProcessFaults``.

Constructing the system object must be cheap and must not start anything: the CLI builds
it to ask whether it is real.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from ddialab.errors import UsageError


class BlockingClient(Protocol):
    def open(self, node: str) -> None: ...
    def invoke(self, op: dict[str, Any]) -> dict[str, Any]: ...
    def close(self) -> None: ...


@runtime_checkable
class RealSystem(Protocol):
    name: str
    claims: frozenset[str]
    real_datastore: bool

    def node_names(self) -> list[str]: ...
    def setup(self, workdir: str) -> None: ...
    def teardown(self) -> None: ...
    def client(self, process: int) -> BlockingClient: ...


def is_real(system: Any) -> bool:
    return bool(getattr(system, "real_datastore", False))


class MissingServer(UsageError):
    """A server binary is not installed; the message says how to install it."""


def done(kind: str, value: Any, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "value": value}
    if error is not None:
        out["error"] = error
    return out


# -- processes and ports --------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(name: str, extra_dirs: Sequence[str] = (), install: str = "") -> str:
    """The path of ``name`` (PATH first, then ``extra_dirs``), or ``MissingServer``."""
    found = shutil.which(name)
    if found:
        return found
    for d in extra_dirs:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    raise MissingServer(f"{name} is not installed; install it with: {install or name}")


def wait_until(ready: Callable[[], bool], timeout: float, what: str, proc: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the server exited with status {proc.returncode}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not ready after {timeout:g} s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def stop_process(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM) -> None:
    """Stop one server by its pid: ``sig``, then SIGKILL after 10 s; reap it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    except ProcessLookupError:
        pass


class ProcessAbilities:
    """``kill``/``start``/``pause``/``resume`` over ``self.faults`` (a ``ProcessFaults``),
    each a no-op when the node is already in that state; ``after_kill(node)`` and
    ``after_start(node)`` hooks (e.g. wait until the restarted server answers)."""

    faults: Any

    def kill(self, node: str) -> None:
        if node not in self.faults.down:
            self.faults.kill(node)
            self.after_kill(node)

    def start(self, node: str) -> None:
        if node in self.faults.down:
            self.faults.start(node)
            self.after_start(node)

    def pause(self, node: str) -> None:
        if node not in self.faults.down:
            self.faults.pause(node)

    def resume(self, node: str) -> None:
        if node in self.faults.paused:
            self.faults.resume(node)

    def after_kill(self, node: str) -> None:
        pass

    def after_start(self, node: str) -> None:
        pass

    def resume_all(self) -> None:
        """Before stopping servers: a stopped process would not see SIGTERM."""
        if self.faults is not None:
            for node in sorted(self.faults.paused):
                self.faults.resume(node)
