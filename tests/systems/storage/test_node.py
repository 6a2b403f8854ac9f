"""The storage node over messages: the KV vocabulary, group commit, corruption refused."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from systems import SYSTEMS
from systems.sim import MS, World, run_simulated


def _session(system: str, steps: Any, seed: int = 1) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        world = World(seed)
        SYSTEMS[system].build().setup(world)
        world.start_all()
        out: list[dict[str, Any]] = []
        async with world.running():
            c = world.client("c1")
            for step in steps:
                if callable(step):
                    step(world)
                    await trio.sleep(0.05)
                elif isinstance(step, list):  # concurrent requests from distinct clients
                    out.extend(await _concurrently(world, step))
                else:
                    out.append(await c.request("n1", step, 500 * MS))
        return out

    return run_simulated(main, seed=seed)


async def _concurrently(world: World, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = [{}] * len(bodies)

    async def one(i: int) -> None:
        replies[i] = await world.client(f"p{i}").request("n1", bodies[i], 500 * MS)

    async with trio.open_nursery() as nursery:
        for i in range(len(bodies)):
            nursery.start_soon(one, i)
    return replies


def test_kv_vocabulary_on_every_engine() -> None:
    for system in ("bitcask", "lsm", "btree"):
        replies = _session(system, [
            {"type": "write", "key": 1, "value": "a"},
            {"type": "cas", "key": 1, "value": ["a", 7]},
            {"type": "cas", "key": 1, "value": ["a", 8]},
            {"type": "read", "key": 1},
            {"type": "delete", "key": 1},
            {"type": "read", "key": 1},
            {"type": "write", "key": "k", "value": {"nested": [1, 2]}},
            {"type": "read", "key": "k"},
            {"type": "frobnicate"},
        ])  # fmt: skip
        types = [r["type"] for r in replies]
        assert types == ["ok", "ok", "error", "ok", "ok", "ok", "ok", "ok", "error"], system
        assert replies[0]["durable"] is True and replies[2]["code"] == "cas-mismatch"
        assert replies[3]["value"] == 7 and replies[5]["value"] is None
        assert replies[7]["value"] == {"nested": [1, 2]}


def test_group_commit_holds_replies_until_one_fsync() -> None:
    def fsyncs(world: World) -> None:
        seen.append(world.host("n1").disk.fsyncs)

    seen: list[int] = []
    steps: list[Any] = [fsyncs]
    steps.append([{"type": "write", "key": i, "value": i} for i in range(10)])
    steps += [fsyncs, {"type": "read", "key": 3}]
    replies = _session("lsm-group-commit", steps)
    assert all(r["type"] == "ok" and r["durable"] for r in replies[:10])
    assert replies[10]["value"] == 3
    assert 1 <= seen[1] - seen[0] <= 3  # ten concurrent writes, a few fsyncs


def test_a_node_that_finds_corruption_refuses_to_serve() -> None:
    def corrupt_and_restart(world: World) -> None:
        host = world.host("n1")
        host.crash()
        name = next(n for n in host.disk.list() if n.startswith("seg-"))
        host.disk.flip_bit(name, 20)
        host.start()

    steps: list[Any] = [{"type": "write", "key": 1, "value": 1}, corrupt_and_restart]
    steps.append({"type": "read", "key": 1})
    replies = _session("bitcask", steps)
    assert replies[1]["type"] == "error" and replies[1]["code"] == "unavailable"
    assert "corruption" in replies[1]["text"]


def _busy(engine: Any) -> bool:
    """Is a merge, flush or compaction half done?"""
    return bool(
        getattr(engine, "merge", None)
        or getattr(engine, "compaction", None)
        or getattr(engine, "flushed", None)
    )


@pytest.mark.parametrize("system", ["bitcask", "lsm"])
def test_kills_in_the_middle_of_background_work_lose_nothing(system: str) -> None:
    """Write through the node; whenever a merge / flush / compaction is half done, kill the
    node, restart it, and read back every key acknowledged so far."""
    options = {"segment_bytes": 300, "merge_batch": 2, "memtable_bytes": 200, "batch": 2}

    async def main() -> tuple[int, list[tuple[Any, Any]]]:
        world = World(3)
        SYSTEMS[system].build(options).setup(world)
        world.start_all()
        model: dict[int, int] = {}
        kills, wrong = 0, []
        async with world.running():
            c = world.client("c1")
            for i in range(400):
                if kills >= 6:
                    break
                key = i % 13
                reply = await c.request("n1", {"type": "write", "key": key, "value": i}, 500 * MS)
                assert reply["type"] == "ok"
                model[key] = i
                host = world.host("n1")
                if _busy(host.process.engine):  # type: ignore[union-attr]
                    host.crash()
                    host.start()
                    kills += 1
                    for k, v in model.items():
                        got = await c.request("n1", {"type": "read", "key": k}, 500 * MS)
                        if got["value"] != v:
                            wrong.append((k, got["value"]))
        return kills, wrong

    kills, wrong = run_simulated(main, seed=3)
    assert kills >= 5 and wrong == []
