"""Faults for real processes: SIGKILL and restart, SIGSTOP/SIGCONT, and libfaketime.

``ProcessFaults`` tracks named processes by pid (with ``tree=True``, every signal goes to
the process and all its descendants, found in ``/proc``: a PostgreSQL postmaster and its
backends, which each call ``setsid()`` so a process group would not reach them; the
parent is signalled first, so it cannot fork a child the signal misses, and continued
last).  ``kill`` sends SIGKILL (the process
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
        self, pids: Mapping[str, int], restart: Callable[[str], int], tree: bool = False
    ) -> None:
        self.pids = dict(pids)
        self.restart = restart
        self.tree = tree
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
        pids = [pid, *descendants(pid)] if self.tree else [pid]
        for p in reversed(pids) if sig == signal.SIGCONT else pids:
            _signal(p, sig)

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


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux ``/proc``), parents before children."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _ppid(int(entry))
            if ppid is not None:
                children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo += children.get(p, [])
    return out


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])  # fields after "(comm)": state ppid


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
