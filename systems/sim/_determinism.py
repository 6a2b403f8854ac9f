"""One place for the private trio hooks that make a simulated run deterministic.

trio shuffles each batch of runnable tasks with a module-level ``random.Random`` (``_r``),
and only sorts the batch into a stable order first when ``_ALLOW_DETERMINISTIC_SCHEDULING``
is set (hypothesis sets it for its own runs).  Seeding ``_r`` and setting that flag before
``trio.run`` makes task interleavings a pure function of the seed.

``fast_forwarder`` is the scheduler's shortcut: when no other task is runnable (none in
the run queue, and none scheduled in the batch being run: ``Task._next_send_fn`` is set
from the moment a task is rescheduled until it runs) and no cancel scope has an earlier
deadline, nobody can observe the virtual clock before the
scheduler's next event, so it jumps the ``MockClock`` itself and keeps going instead of
sleeping and being woken by a cancellation (~10x fewer trio round trips).  It reads the
run queue and the deadline heap of trio's runner.

All of these names are private: trio is pinned to one minor version in ``pyproject.toml``
and ``tests/systems/sim/test_determinism.py`` is the canary that fails loudly if an
upgrade moves them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio
import trio.lowlevel
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


def sim_clock() -> trio.testing.MockClock:
    """A ``MockClock`` at rate 0 whose time is read without consulting the real clock.

    ``MockClock.current_time`` is ``virtual_base + rate * (perf_counter() - real_base)``;
    at rate 0 that is exactly ``virtual_base`` (a finite number times 0.0, added to a
    non-negative base), so reading the attribute gives the very same floats without the
    real-clock call.  trio reads the time several times per scheduling round (~5% of a
    run).  ``MockClock`` is final, so the instance's ``current_time`` is replaced; the
    clock's rate is never changed in a simulated run.
    """
    clock = trio.testing.MockClock(autojump_threshold=0)
    read = functools.partial(getattr, clock, "_virtual_base")
    clock.current_time = read  # type: ignore[method-assign]
    return clock


def run_simulated(fn: Callable[..., Awaitable[T]], *args: Any, seed: int) -> T:
    """``trio.run`` on a virtual clock that jumps whenever every task is blocked."""
    seed_scheduler(seed)
    return trio.run(fn, *args, clock=sim_clock())


_RUN_CONTEXT: Any = trio._core._run.GLOBAL_RUN_CONTEXT


def now_ns() -> int:
    """Current trio time (simulated or real) in integer nanoseconds.

    Reads the running clock directly (``trio.current_time`` does the same through two
    more calls); outside a run, ``trio.current_time`` raises trio's own error.
    """
    try:
        clock = _RUN_CONTEXT.runner.clock
    except AttributeError:
        return round(trio.current_time() * 1e9)
    return round(clock.current_time() * 1e9)


def fast_forwarder() -> Callable[[int], bool]:
    """``forward(time_ns)``: jump the virtual clock there if no other task could run first.

    The tasks of trio's batch being run that have not run yet cannot change while the
    current task runs (callbacks only add tasks to the run queue), so that part of the
    check is done once here, for one stretch of the scheduler's run; each call then reads
    only the run queue and the deadlines (the per-call check of every task was ~10% of a
    simulated run; every golden history is unchanged by this).
    """
    runner: Any = _RUN_CONTEXT.runner
    if _others_runnable(runner):
        return lambda time_ns: False
    runq, deadlines, clock = runner.runq, runner.deadlines, runner.clock

    def forward(time_ns: int) -> bool:
        target = time_ns / 1e9
        if runq or target >= deadlines.next_deadline():
            return False
        now = clock.current_time()
        if target > now:
            clock.jump(target - now)
        return True

    return forward


def others_runnable() -> bool:
    """Whether a task other than the current one is scheduled to run."""
    return _others_runnable(_RUN_CONTEXT.runner)


def _others_runnable(runner: Any) -> bool:
    if runner.runq:
        return True
    me = trio.lowlevel.current_task()
    return any(t is not me and t._next_send_fn is not None for t in runner.tasks)
