"""The generator interpreter's waits for future ops: a heap alarm in the simulated world."""

from __future__ import annotations

from typing import Any

import trio

from ddialab import generator as g
from ddialab.runner._interpreter import Interpreter
from systems.sim import World, run_simulated

MS = 1_000_000


def _play(ops: list[dict[str, Any]], alarm: bool) -> tuple[list[tuple[str, int]], int]:
    """Play ``ops`` on one client thread; the (type, time) of each event and how many
    entries the world's scheduler ran."""

    async def main() -> tuple[list[tuple[str, int]], int]:
        world, events = World(1), []

        async def invoke(thread: Any, op: dict[str, Any]) -> dict[str, Any]:
            return {"type": "ok"}

        def record(d: dict[str, Any]) -> None:
            events.append((d["type"], d["time"]))

        async with world.running():
            at = world.scheduler.at if alarm else None
            interp = Interpreter(1, invoke, record, alarm=at)
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
