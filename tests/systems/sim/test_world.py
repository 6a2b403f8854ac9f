"""The simulated world: request/reply, partitions, crash/restart, pause/resume, determinism."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from systems.sim import (
    MS,
    Latency,
    Message,
    NetworkConfig,
    RequestTimeout,
    Runtime,
    World,
    run_simulated,
)


class Counter:
    """A tiny node: counts requests in memory, persists the count only on 'sync'."""

    def __init__(self) -> None:
        self.count = 0
        self.ticks = 0

    def on_start(self, rt: Runtime) -> None:
        if rt.disk.exists("count"):
            self.count = int(rt.disk.read("count") or b"0")
        rt.set_timer(10 * MS, "tick")

    def on_message(self, rt: Runtime, msg: Message) -> None:
        if msg.body["type"] == "incr":
            self.count += 1
            rt.disk.write("count", 0, str(self.count).encode())
        if msg.body["type"] == "sync":
            rt.disk.fsync("count")
        rt.reply(msg, {"type": "ok", "count": self.count, "ticks": self.ticks, "t": rt.now()})

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        self.ticks += 1
        rt.set_timer(10 * MS, "tick")


def _world(seed: int = 1, **net: Any) -> World:
    world = World(seed, NetworkConfig(latency=Latency.constant(1 * MS), **net))
    world.add_node("n1", Counter)
    world.start_all()
    return world


def test_request_reply_and_timer():
    async def main() -> dict[str, Any]:
        world = _world()
        async with world.running():
            c = world.client("c1")
            await trio.sleep(0.1)
            return await c.request("n1", {"type": "incr"}, 50 * MS)

    reply = run_simulated(main, seed=1)
    assert reply["count"] == 1
    assert reply["ticks"] == 10  # timers at 10, 20, ..., 100 ms have fired before 101 ms


def test_partition_times_out_and_heal_restores():
    async def main() -> list[str]:
        world = _world()
        out = []
        async with world.running():
            c = world.client("c1")
            world.network.partition({"n1": ["c1"]})
            try:
                await c.request("n1", {"type": "incr"}, 50 * MS)
            except RequestTimeout:
                out.append("timeout")
            world.network.heal()
            out.append(str((await c.request("n1", {"type": "incr"}, 50 * MS))["count"]))
        return out

    assert run_simulated(main, seed=1) == ["timeout", "1"]


def test_crash_loses_unsynced_state_and_restart_recovers_synced():
    async def main() -> list[int]:
        world = _world()
        async with world.running():
            c = world.client("c1")
            for _ in range(3):
                await c.request("n1", {"type": "incr"}, 50 * MS)
            await c.request("n1", {"type": "sync"}, 50 * MS)
            await c.request("n1", {"type": "incr"}, 50 * MS)  # 4, not synced
            world.host("n1").crash()
            world.host("n1").start()
            r = await c.request("n1", {"type": "incr"}, 50 * MS)
        return [r["count"]]

    assert run_simulated(main, seed=1) == [4]  # recovered 3, then one more


def test_pause_holds_messages_until_resume():
    async def main() -> tuple[bool, int]:
        world = _world()
        async with world.running():
            c = world.client("c1")
            world.host("n1").pause()
            timed_out = False
            try:
                await c.request("n1", {"type": "incr"}, 50 * MS)
            except RequestTimeout:
                timed_out = True
            world.host("n1").resume()
            r = await c.request("n1", {"type": "incr"}, 50 * MS)
        return timed_out, r["count"]

    # the held request is applied on resume, so the next one sees 2
    assert run_simulated(main, seed=1) == (True, 2)


def test_clock_offset_and_drift():
    async def main() -> list[int]:
        world = _world()
        async with world.running():
            clock = world.host("n1").clock
            clock.set_offset(5 * MS)
            await trio.sleep(1)
            a = clock.skew_ns()
            clock.set_drift(0.01)
            await trio.sleep(1)
            b = clock.skew_ns()
        return [a, b]

    assert run_simulated(main, seed=1) == [5 * MS, 15 * MS]


@pytest.mark.parametrize("loss", [0.0, 0.3])
def test_same_seed_same_run_different_seed_differs(loss: float):
    def once(seed: int) -> tuple[list[Any], dict[str, int]]:
        async def main() -> tuple[list[Any], dict[str, int]]:
            world = World(seed, NetworkConfig(latency=Latency.exponential(2 * MS), loss=loss))
            for n in ("n1", "n2", "n3"):
                world.add_node(n, Counter)
            world.start_all()
            seen = []

            async def client(i: int) -> None:
                c = world.client(f"c{i}")
                for j in range(20):
                    try:
                        r = await c.request(f"n{1 + (i + j) % 3}", {"type": "incr"}, 20 * MS)
                        seen.append((i, r["count"], r["t"]))
                    except RequestTimeout:
                        seen.append((i, "timeout", world.now()))

            async with world.running(), trio.open_nursery() as nursery:
                for i in range(4):
                    nursery.start_soon(client, i)
            return seen, world.network.stats.as_dict()

        return run_simulated(main, seed=seed)

    assert once(7) == once(7)
    assert once(7) != once(8)


def test_clock_strobe_flips_for_its_duration():
    async def main() -> list[int]:
        world = _world()
        out = []
        async with world.running():
            clock = world.host("n1").clock
            clock.strobe(7 * MS, 10 * MS, 40 * MS)
            for _ in range(6):
                out.append(clock.skew_ns())
                await trio.sleep(0.01)
        return out

    assert run_simulated(main, seed=1) == [7 * MS, 0, 7 * MS, 0, 0, 0]
