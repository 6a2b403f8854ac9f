"""Progress of a running test, printed from the CLI side (the runner stays silent).

Theory of operation
-------------------
The runner appends every op to ``RUN_DIR/history.jsonl`` as it happens (simulated runs
and real datastores alike).  :class:`Progress` is a context manager around the run: a
daemon thread wakes every ``INTERVAL`` wall-clock seconds, counts the client ops the
file holds so far (reading only what was appended since the last tick) and prints one
line on stderr.  A run shorter than ``INTERVAL`` prints nothing.  Nothing here touches
the simulation, so determinism is untouched: the history does not depend on the ticker.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

#: Wall-clock seconds between progress lines.
INTERVAL = 2.0


def history_of(spec: Any, out: str | None) -> str:
    """The history file the run will write (``out``, or the runner's default directory)."""
    from ddialab.runner import DEFAULT_ROOT, run_dir_name

    return os.path.join(out or os.path.join(DEFAULT_ROOT, run_dir_name(spec)), "history.jsonl")


def is_client_invoke(line: str) -> bool:
    return '"type":"invoke"' in line.replace(" ", "") and '"nemesis"' not in line


def count_ops(run_dir: str) -> int:
    """Client operations in a run directory's history (an invocation counts once)."""
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        return sum(1 for line in f if is_client_invoke(line))


class Progress:
    """Prints ``running: N ops recorded (T s)`` on stderr every ``INTERVAL`` seconds."""

    def __init__(self, history: str, interval: float | None = None) -> None:
        self.history = history
        self.interval = INTERVAL if interval is None else interval
        self.ops = 0
        self._offset = 0
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            print(self.tick(), file=sys.stderr, flush=True)

    def tick(self) -> str:
        """Count the ops appended since the last tick; the line to print."""
        self.ops += self._new_ops()
        seconds = time.monotonic() - self._start
        return f"running: {self.ops} ops recorded ({seconds:.0f} s)"

    def _new_ops(self) -> int:
        try:
            with open(self.history, encoding="utf-8") as f:
                f.seek(self._offset)
                lines = f.readlines()
        except FileNotFoundError:
            return 0
        if lines and not lines[-1].endswith("\n"):
            lines.pop()  # a line still being written: count it next time
        self._offset += sum(len(line.encode("utf-8")) for line in lines)
        return sum(1 for line in lines if is_client_invoke(line))
