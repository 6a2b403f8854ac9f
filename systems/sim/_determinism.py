"""One place for the private trio hooks that make a simulated run deterministic.

trio shuffles each batch of runnable tasks with a module-level ``random.Random`` (``_r``),
and only sorts the batch into a stable order first when ``_ALLOW_DETERMINISTIC_SCHEDULING``
is set (hypothesis sets it for its own runs).  Seeding ``_r`` and setting that flag before
``trio.run`` makes task interleavings a pure function of the seed.  Both names are private:
trio is pinned to one minor version in ``pyproject.toml`` and
``tests/systems/sim/test_determinism.py`` is the canary that fails loudly if an upgrade
moves them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio
import trio.testing

T = TypeVar("T")


def seed_scheduler(seed: int) -> None:
    """Make trio's scheduler deterministic and seed it (private API; see module doc)."""
    run_module: Any = trio._core._run
    if not hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING") or not hasattr(run_module, "_r"):
        raise RuntimeError(
            "trio's private scheduling hooks moved: ddialab needs "
            "trio._core._run._ALLOW_DETERMINISTIC_SCHEDULING and trio._core._run._r "
            f"(installed trio {trio.__version__}); pin trio to the version in pyproject.toml"
        )
    run_module._ALLOW_DETERMINISTIC_SCHEDULING = True
    run_module._r.seed(seed)


def run_simulated(fn: Callable[..., Awaitable[T]], *args: Any, seed: int) -> T:
    """``trio.run`` on a virtual clock that jumps whenever every task is blocked."""
    seed_scheduler(seed)
    clock = trio.testing.MockClock(autojump_threshold=0)
    return trio.run(fn, *args, clock=clock)


def now_ns() -> int:
    """Current (simulated) trio time in integer nanoseconds."""
    return round(trio.current_time() * 1e9)
