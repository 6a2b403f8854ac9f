"""The transactional node over messages: parked lock waits, txn timeouts, recovery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from systems import get_system
from systems.sim import MS, RequestTimeout, World, run_simulated

Call = Callable[..., Awaitable[Any]]


def scenario(system: str, options: dict[str, Any], script: Callable[..., Awaitable[Any]]) -> Any:
    built = get_system(system).build(options)

    async def main() -> Any:
        world = World(3)
        built.setup(world)
        world.start_all()
        async with world.running():
            endpoint = world.client("tester")

            async def call(body: dict[str, Any], timeout_ms: int = 2000) -> Any:
                try:
                    return await endpoint.request("n1", body, timeout_ms * MS)
                except RequestTimeout:
                    return None

            return await script(world, call)

    return run_simulated(main, seed=3)


def test_a_vanished_client_loses_its_locks_to_the_txn_timeout() -> None:
    async def script(world: World, call: Call) -> list[Any]:
        a = (await call({"type": "begin"}))["txn"]
        await call({"type": "op", "txn": a, "op": ["append", 0, 1]})  # then a goes quiet
        b = (await call({"type": "begin"}))["txn"]
        t0 = trio.current_time()
        waited = await call({"type": "op", "txn": b, "op": ["append", 0, 2]})
        elapsed = trio.current_time() - t0
        commit_a = await call({"type": "commit", "txn": a})
        commit_b = await call({"type": "commit", "txn": b})
        read = await call({"type": "txn", "ops": []}, 50)  # unsupported on this node
        return [waited["value"], elapsed >= 0.09, commit_a, commit_b["type"], read["code"]]

    out = scenario("txn-2pl", {"txn_timeout_ns": 100 * MS}, script)
    assert out[0] == ["append", 0, 2]
    assert out[1]  # b was parked until a's txn timed out
    assert (out[2]["code"], out[2]["definite"]) == ("unknown-txn", True)  # a was aborted
    assert out[3:] == ["ok", "unsupported"]


def test_commits_survive_a_crash_and_active_txns_do_not() -> None:
    async def script(world: World, call: Call) -> list[Any]:
        for value in (1, 2):
            t = (await call({"type": "begin"}))["txn"]
            await call({"type": "op", "txn": t, "op": ["append", 0, value]})
            if value == 1:
                await call({"type": "commit", "txn": t})
        world.host("n1").crash()
        world.host("n1").start()
        lost = await call({"type": "commit", "txn": t})
        r = (await call({"type": "begin"}))["txn"]
        read = await call({"type": "op", "txn": r, "op": ["r", 0, None]})
        return [lost["code"], read["value"]]

    for system in ("txn-snapshot-isolation", "txn-ssi", "txn-read-committed", "txn-2pl"):
        assert scenario(system, {}, script) == ["unknown-txn", ["r", 0, [1]]], system
