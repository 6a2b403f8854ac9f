"""Canary: the private trio hooks that make simulated runs deterministic still exist.

If this fails after a trio upgrade, the pin in pyproject.toml was loosened: see
systems/sim/_determinism.py for the two attributes we rely on.
"""

from __future__ import annotations

import trio

from systems.sim import run_simulated, seed_scheduler


def test_trio_private_scheduling_hooks_exist() -> None:
    run_module = trio._core._run
    assert hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING")
    assert hasattr(run_module, "_r")
    seed_scheduler(1)
    assert run_module._ALLOW_DETERMINISTIC_SCHEDULING is True
    # used by try_fast_forward
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
