"""Simulated network throughput: delivered messages per second of wall time.

    .venv/bin/python bench/bench_network.py            # both modes, default size
    .venv/bin/python bench/bench_network.py --messages 500000

A ring of nodes forwards tokens as fast as the simulated latency allows; every delivery
is a heap entry run by the world's one scheduler task.  "continuous" draws exponential
latencies (every delivery at a distinct instant: one trio clock jump each); "ticked"
rounds delivery times up to 1 ms ticks, so many deliveries share one wake-up.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import trio

from systems.sim import MS, Latency, Message, NetworkConfig, Runtime, World, run_simulated


class Forwarder:
    def __init__(self, ring: list[str], budget: list[int]) -> None:
        self.ring = ring
        self.budget = budget

    def on_start(self, rt: Runtime) -> None:
        for i in range(8):  # tokens in flight per node
            rt.send(self._next(rt.name), {"type": "token", "n": i})

    def on_message(self, rt: Runtime, msg: Message) -> None:
        if self.budget[0] > 0:
            self.budget[0] -= 1
            rt.send(self._next(rt.name), msg.body)

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass

    def _next(self, name: str) -> str:
        return self.ring[(self.ring.index(name) + 1) % len(self.ring)]


def measure(messages: int, tick_ns: int, nodes: int = 5) -> tuple[float, int]:
    ring = [f"n{i}" for i in range(nodes)]
    budget = [messages]

    async def main() -> int:
        cfg = NetworkConfig(latency=Latency.exponential(1 * MS), tick_ns=tick_ns)
        world = World(1, cfg)
        for n in ring:
            world.add_node(n, lambda: Forwarder(ring, budget))
        world.start_all()
        async with world.running():
            while budget[0] > 0:
                await trio.sleep(0.1)
        return world.network.stats.delivered

    t0 = time.perf_counter()
    delivered = run_simulated(main, seed=1)
    return time.perf_counter() - t0, delivered


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--messages", type=int, default=200_000)
    args = p.parse_args()
    print(f"{'mode':<12} {'delivered':>10} {'seconds':>8} {'msgs/s':>10}")
    for mode, tick in (("continuous", 0), ("ticked-1ms", 1 * MS)):
        seconds, delivered = measure(args.messages, tick)
        print(f"{mode:<12} {delivered:>10} {seconds:>8.2f} {delivered / seconds:>10.0f}")


if __name__ == "__main__":
    main()
