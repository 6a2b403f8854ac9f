"""The generator interpreter's waits for future ops: a heap alarm in the simulated world."""

from __future__ import annotations

from typing import Any

import trio

from ddialab import generator as g
from ddialab.runner._interpreter import Interpreter
from systems.sim import InlineOp, World, park, run_simulated

MS = 1_000_000


def _play(
    ops: list[dict[str, Any]], alarm: bool, inline: bool = False, latency_ms: int = 0
) -> tuple[list[tuple[str, int]], int]:
    """Play ``ops`` on one client thread, each taking ``latency_ms`` (a worker task's
    sleep, or with ``inline`` an inline op parked until a heap entry resumes it); the
    (type, time) of each event and how many entries the world's scheduler ran."""

    async def main() -> tuple[list[tuple[str, int]], int]:
        world, events = World(1), []

        async def invoke(thread: Any, op: dict[str, Any]) -> dict[str, Any]:
            if latency_ms:
                await trio.sleep(latency_ms / 1000)
            return {"type": "ok"}

        async def parked() -> dict[str, Any]:
            if latency_ms:
                await park()
            return {"type": "ok"}

        def start(thread: Any, op: dict[str, Any], done: Any) -> bool:
            run = InlineOp(parked(), done)
            run.start(world.scheduler, 10**9, lambda: {"type": "info"})
            if latency_ms:
                world.scheduler.after(latency_ms * MS, run.step, None)
            return True

        def record(d: dict[str, Any]) -> None:
            events.append((d["type"], d["time"]))

        async with world.running():
            at = world.scheduler.at if alarm else None
            interp = Interpreter(1, invoke, record, alarm=at, inline=start if inline else None)
            with trio.fail_after(60):  # simulated seconds: a lost alarm fails, not hangs
                await interp.run(g.clients(ops), interp.initial_context())
        return events, world.scheduler.processed

    return run_simulated(main, seed=0)


def test_future_ops_are_invoked_at_their_time_with_a_heap_alarm() -> None:
    """Guards the alarm path: each future op must be invoked exactly at its time, the
    wait must go through the world's heap (the scheduler ran the alarms), and the result
    must match the cancel-scope path used without a world (real runs)."""
    ops = [{"f": "read", "value": None, "time": t * MS} for t in (3, 5, 9)]
    with_alarm, processed = _play(ops, alarm=True)
    without, _ = _play(ops, alarm=False)
    assert [t for kind, t in with_alarm if kind == "invoke"] == [3 * MS, 5 * MS, 9 * MS]
    assert with_alarm == without
    assert processed >= 3


def test_the_driven_loop_plays_like_the_task_loop() -> None:
    """Guards the driven loop (inline ops, turned from scheduler callbacks): every op is
    invoked at its time and completed after its latency, exactly as with worker tasks,
    both when the inline op completes at once (its completion arrives while it is being
    dispatched: the inbox) and when it parks until a heap entry resumes it."""
    ops = [{"f": "read", "value": None, "time": t * MS} for t in (3, 5, 9)]
    for latency in (0, 2):
        tasks, _ = _play(ops, alarm=True, latency_ms=latency)
        driven, _ = _play(ops, alarm=True, inline=True, latency_ms=latency)
        assert driven == tasks
        assert [t for kind, t in driven if kind == "ok"] == [(t + latency) * MS for t in (3, 5, 9)]
