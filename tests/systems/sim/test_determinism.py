"""Canary: the private trio hooks that make simulated runs deterministic still exist.

If this fails after a trio upgrade, the pin in pyproject.toml was loosened: see
systems/sim/_determinism.py for the two attributes we rely on.
"""

from __future__ import annotations

import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from systems.sim import now_ns, run_simulated, seed_scheduler


def test_trio_private_scheduling_hooks_exist() -> None:
    run_module = trio._core._run
    assert hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING")
    assert hasattr(run_module, "_r")
    seed_scheduler(1)
    assert run_module._ALLOW_DETERMINISTIC_SCHEDULING is True
    # used by fast_forwarder
    assert hasattr(run_module, "GLOBAL_RUN_CONTEXT")
    assert hasattr(run_module.Task, "_next_send_fn")
    assert hasattr(run_module.Runner, "runq")
    assert hasattr(run_module.Deadlines, "next_deadline")


def _interleaving(seed: int) -> list[int]:
    async def main() -> list[int]:
        order: list[int] = []

        async def worker(i: int) -> None:
            for _ in range(5):
                order.append(i)
                await trio.sleep(0)  # equal wake-up times: the scheduler decides

        async with trio.open_nursery() as nursery:
            for i in range(6):
                nursery.start_soon(worker, i)
        return order

    return run_simulated(main, seed=seed)


def test_task_interleaving_is_a_function_of_the_seed() -> None:
    assert _interleaving(1) == _interleaving(1)
    assert any(_interleaving(1) != _interleaving(s) for s in range(2, 6))


def _times_after_sleeps(delays: list[float], simulated: bool) -> list[tuple[float, int]]:
    async def main() -> list[tuple[float, int]]:
        seen = []
        for d in delays:
            await trio.sleep(d)
            seen.append((trio.current_time(), now_ns()))
        return seen

    if simulated:
        return run_simulated(main, seed=0)
    return trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), max_size=20))
def test_the_simulated_clock_reads_the_same_times_as_a_plain_mock_clock(
    delays: list[float],
) -> None:
    """Guards ``sim_clock``: its shortcut (the virtual base, no real-clock call) must give
    exactly the floats ``MockClock.current_time`` gives, or every history would move."""
    assert _times_after_sleeps(delays, True) == _times_after_sleeps(delays, False)


def test_now_ns_outside_a_run_is_trios_own_error() -> None:
    """Guards ``now_ns``'s direct read of the run context: outside a run it must still
    fail with trio's RuntimeError, not an AttributeError from the shortcut."""
    with pytest.raises(RuntimeError):
        now_ns()
