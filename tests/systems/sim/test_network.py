"""Network semantics: loss, duplication, one-way partitions, ticks, statistics."""

from __future__ import annotations

import random
from typing import Any

import trio

from systems.sim import MS, Latency, Message, NetworkConfig, Runtime, World, run_simulated


class Echo:
    def on_start(self, rt: Runtime) -> None:
        pass

    def on_message(self, rt: Runtime, msg: Message) -> None:
        rt.reply(msg, {"type": "ok", "n": msg.body.get("n")})

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass


class Sink:
    """Records what it receives, with the time."""

    def __init__(self, log: list[tuple[int, Any]]) -> None:
        self.log = log

    def on_start(self, rt: Runtime) -> None:
        pass

    def on_message(self, rt: Runtime, msg: Message) -> None:
        self.log.append((rt.now(), msg.body["n"]))

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass


def _blast(config: NetworkConfig, n: int = 1000, seed: int = 1) -> tuple[list[Any], Any]:
    received: list[tuple[int, Any]] = []

    async def main() -> Any:
        world = World(seed, config)
        world.add_node("a", Echo)
        world.add_node("b", lambda: Sink(received))
        world.start_all()
        async with world.running():
            for i in range(n):
                world.network.send("a", "b", {"type": "x", "n": i})
            await trio.sleep(1)
        return world.network.stats

    stats = run_simulated(main, seed=seed)
    return received, stats


def test_loss_drops_about_the_configured_fraction() -> None:
    received, stats = _blast(NetworkConfig(loss=0.25))
    assert 650 < len(received) < 850
    assert stats.sent == 1000
    assert stats.delivered == len(received)
    assert stats.dropped == 1000 - len(received)


def test_duplication_delivers_some_messages_twice() -> None:
    received, stats = _blast(NetworkConfig(duplicate=0.2))
    ns = [n for _, n in received]
    assert len(ns) == 1000 + stats.duplicated
    assert 100 < stats.duplicated < 300
    assert set(ns) == set(range(1000))


def test_constant_latency_without_reorder_keeps_order() -> None:
    received, _ = _blast(NetworkConfig(latency=Latency.constant(2 * MS)))
    assert [n for _, n in received] == list(range(1000))
    assert all(t == 2 * MS for t, _ in received)


def test_reordering_reorders() -> None:
    cfg = NetworkConfig(latency=Latency.constant(2 * MS), reorder=0.3)
    received, _ = _blast(cfg)
    ns = [n for _, n in received]
    assert sorted(ns) == list(range(1000))
    assert ns != sorted(ns)


def test_ticks_round_delivery_times_up() -> None:
    cfg = NetworkConfig(latency=Latency.uniform(1, 9 * MS), tick_ns=5 * MS)
    received, _ = _blast(cfg)
    assert {t for t, _ in received} <= {5 * MS, 10 * MS}


def test_one_way_partition_drops_one_direction_only() -> None:
    got: dict[str, list[Any]] = {"a": [], "b": []}

    async def main() -> None:
        world = World(1, NetworkConfig(latency=Latency.constant(1 * MS)))
        world.add_node("a", lambda: Sink(got["a"]))
        world.add_node("b", lambda: Sink(got["b"]))
        world.start_all()
        async with world.running():
            world.network.partition({"b": ["a"]})  # b drops messages from a
            world.network.send("a", "b", {"n": 1})
            world.network.send("b", "a", {"n": 2})
            await trio.sleep(0.01)

    run_simulated(main, seed=1)
    assert got == {"a": [(1 * MS, 2)], "b": []}


def test_partition_drops_messages_already_in_flight() -> None:
    got: list[Any] = []

    async def main() -> None:
        world = World(1, NetworkConfig(latency=Latency.constant(10 * MS)))
        world.add_node("a", Echo)
        world.add_node("b", lambda: Sink(got))
        world.start_all()
        async with world.running():
            world.network.send("a", "b", {"n": 1})
            await trio.sleep(0.005)
            world.network.partition({"b": ["a"]})
            await trio.sleep(0.01)

    run_simulated(main, seed=1)
    assert got == []


def test_latency_distributions_sample_in_range() -> None:
    rng = random.Random(1)
    assert Latency.constant(5).sample(rng) == 5
    assert all(3 <= Latency.uniform(3, 7).sample(rng) <= 7 for _ in range(100))
    mean = sum(Latency.exponential(1000).sample(rng) for _ in range(5000)) / 5000
    assert 900 < mean < 1100


def test_message_log_records_outcomes() -> None:
    async def main() -> list[dict[str, Any]]:
        world = World(1, NetworkConfig(latency=Latency.constant(1 * MS), record=True))
        world.add_node("a", Echo)
        world.start_all()
        async with world.running():
            world.network.send("c", "a", {"type": "hello"})
            world.network.send("c", "nobody", {"type": "lost"})
            await trio.sleep(0.01)
        return world.network.log

    log = run_simulated(main, seed=1)
    outcomes = {(e["src"], e["dst"], e["outcome"]) for e in log}
    assert ("c", "a", "delivered") in outcomes
    assert ("c", "nobody", "no-receiver") in outcomes
    assert ("a", "c", "no-receiver") in outcomes  # the echo's reply: c is not attached
