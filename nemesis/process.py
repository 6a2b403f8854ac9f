"""Faults for real processes: SIGKILL and restart, SIGSTOP/SIGCONT, and libfaketime.

``ProcessFaults`` tracks named processes by pid (with ``groups=True``, by process group:
every signal goes to the leader's whole group, e.g. a PostgreSQL postmaster started with
``start_new_session=True`` and all its backends, so a kill leaves no orphan holding the
server's shared memory).  ``kill`` sends SIGKILL (the process
loses everything it had not written out, as a crash would) and reaps it if it is our
child; ``start`` calls the restart callback, which starts the process again and returns
its new pid; ``pause``/``resume`` send SIGSTOP/SIGCONT.  ``invoke`` speaks the simulated
nemeses' op vocabulary (``kill``/``start``/``pause``/``resume`` with a list of names), so
a schedule written for the simulation can drive real processes too.

Clocks: a process started with ``faketime_env(path)`` in its environment reads its time
through libfaketime, offset by whatever ``set_fake_offset(path, seconds)`` last wrote (the
file is re-read on every clock call).  ``find_libfaketime()`` is ``None`` when the
library is not installed (``apt-get install faketime``); callers skip clock faults then.
libfaketime moves the process's monotonic clock along with its wall clock (with
``DONT_FAKE_MONOTONIC`` set, libfaketime 0.9.10 breaks absolute monotonic sleeps: Python's
``time.sleep`` fails with EINVAL), so a backwards step is seen by timers too.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Mapping
from typing import Any

LIBFAKETIME_PATHS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)


class ProcessFaults:
    def __init__(
        self, pids: Mapping[str, int], restart: Callable[[str], int], groups: bool = False
    ) -> None:
        self.pids = dict(pids)
        self.restart = restart
        self.groups = groups
        self.down: set[str] = set()
        self.paused: set[str] = set()

    def kill(self, name: str) -> None:
        pid = self.pids[name]
        self._signal(pid, signal.SIGCONT)  # a stopped process would not die until continued
        self._signal(pid, signal.SIGKILL)
        _reap(pid)
        self.down.add(name)
        self.paused.discard(name)

    def start(self, name: str) -> int:
        self.pids[name] = self.restart(name)
        self.down.discard(name)
        return self.pids[name]

    def pause(self, name: str) -> None:
        self._signal(self.pids[name], signal.SIGSTOP)
        self.paused.add(name)

    def resume(self, name: str) -> None:
        self._signal(self.pids[name], signal.SIGCONT)
        self.paused.discard(name)

    def _signal(self, pid: int, sig: signal.Signals) -> None:
        if self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        else:
            _signal(pid, sig)

    def invoke(self, op: Mapping[str, Any]) -> dict[str, Any]:
        """``kill``/``pause`` (value: names) and ``start``/``resume`` (of every victim)."""
        f = op["f"]
        if f == "start":
            names = sorted(self.down)
        elif f == "resume":
            names = sorted(self.paused)
        else:
            names = list(op.get("value") or [])
        action = {"kill": self.kill, "start": self.start, "pause": self.pause}
        for n in names:
            action.get(f, self.resume)(n)
        return {"type": "info", "value": names}

    def heal(self) -> None:
        for n in sorted(self.paused):
            self.resume(n)
        for n in sorted(self.down):
            self.start(n)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, 0)


def find_libfaketime() -> str | None:
    return next((p for p in LIBFAKETIME_PATHS if os.path.exists(p)), None)


def faketime_env(offset_file: str, offset_s: float = 0.0) -> dict[str, str]:
    """Environment for a process whose clock ``set_fake_offset`` can move while it runs."""
    lib = find_libfaketime()
    if lib is None:
        raise RuntimeError("libfaketime not found (apt-get install faketime)")
    set_fake_offset(offset_file, offset_s)
    return {
        "LD_PRELOAD": lib,
        "FAKETIME_TIMESTAMP_FILE": offset_file,
        "FAKETIME_NO_CACHE": "1",
    }


def set_fake_offset(offset_file: str, offset_s: float) -> None:
    """Move a faketime'd process's wall clock to true time + ``offset_s``."""
    tmp = offset_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{offset_s:+.3f}s\n")
    os.replace(tmp, offset_file)
