"""Leaving a check's working set to the process's exit, for a caller about to exit.

Theory of operation
-------------------
``ddialab check`` ends with ``os._exit`` (``ddialab.cli.entry``): the operating system
takes the whole address space back at once.  A checker's working set is freed earlier,
object by object, when the checker returns: for Elle on a 1M-txn history that is the
graph, the txns and the indices over them, ~1 GB of small objects and ~0.5 s of the
command (issue #21).  A caller that will exit that way calls ``retain_working_sets()``
first; from then on ``retain(obj)`` keeps the object it is given instead of letting it
go.  Only the last one is kept: handing over the next frees the one before, so a check
of several files holds at most one working set more than it would have.  What is kept is
also moved out of the cyclic collector's sight (``gc.freeze``): a kept working set of a
few million containers would otherwise make the next full collection cost a second,
scanning objects that only the exit will free.  (Reference counting still frees the
one before when the next is kept.)

Any other caller (the tests, the runner, a library user) never turns this on, and
``retain`` drops what it is given, as returning would have.
"""

from __future__ import annotations

import gc
from typing import Any

_kept: list[Any] | None = None


def retain_working_sets() -> None:
    """From now on, ``retain`` keeps the last working set alive (the process will end
    with ``os._exit``, which frees it wholesale)."""
    global _kept
    if _kept is None:
        _kept = []


def retain(obj: Any) -> None:
    """Keep ``obj`` (replacing the last one kept) if ``retain_working_sets`` was called."""
    if _kept is not None:
        _kept[:] = [obj]
        gc.freeze()


def retained() -> Any:
    """The object kept last, or None."""
    return _kept[0] if _kept else None


def release() -> None:
    """Stop retaining and let go of what is kept (for tests that turned it on)."""
    global _kept
    _kept = None
