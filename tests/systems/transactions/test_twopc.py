"""Two-phase commit: coordinator crashes leave participants in doubt, recovery resolves them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio

from checkers import get_checker
from ddialab.runner import TestSpec, simulate
from systems import get_system
from systems.sim import MS, RequestTimeout, World, run_simulated

Call = Callable[..., Awaitable[Any]]
TXN = [["append", 0, 1], ["append", 1, 1]]  # key 0 lives on p1, key 1 on p2


def scenario(options: dict[str, Any], script: Callable[[World, Call], Awaitable[Any]]) -> Any:
    system = get_system("txn-2pc").build(options)

    async def main() -> Any:
        world = World(7)
        system.setup(world)
        world.start_all()
        async with world.running():
            endpoint = world.client("tester")

            async def call(node: str, body: dict[str, Any], timeout_ms: int = 300) -> Any:
                try:
                    return await endpoint.request(node, body, timeout_ms * MS)
                except RequestTimeout:
                    return None

            return await script(world, call)

    return run_simulated(main, seed=7)


async def inspect(call: Call, node: str) -> dict[str, Any]:
    reply = await call(node, {"type": "inspect"})
    assert reply is not None
    return dict(reply["value"])


async def wait_prepared(call: Call) -> None:
    for _ in range(100):
        states = [await inspect(call, p) for p in ("p1", "p2")]
        if all(s["in_doubt"] for s in states):
            return
        await trio.sleep(0.001)
    raise AssertionError("participants never prepared")


def test_crash_before_the_commit_point_blocks_then_aborts() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with trio.open_nursery() as nursery:

            async def client() -> None:
                out["client"] = await call("coord", {"type": "txn", "ops": TXN}, 500)

            nursery.start_soon(client)
            await wait_prepared(call)
            world.host("coord").crash()  # votes are in, the decision is not logged
        await trio.sleep(0.5)  # five status intervals: nobody may decide alone
        out["blocked"] = [await inspect(call, p) for p in ("p1", "p2")]
        other = {"type": "op", "txn": "other", "op": ["r", 0, None], "first": True}
        out["conflict"] = await call("p1", other)
        world.host("coord").start()
        await trio.sleep(0.3)
        out["after"] = [await inspect(call, p) for p in ("p1", "p2")]
        return out

    out = scenario({"decision_delay_ns": 50 * MS}, script)
    assert out["client"] is None  # the outcome was unknown to the client
    for state, key in zip(out["blocked"], (0, 1), strict=True):
        assert state["in_doubt"] == ["1.1"]
        assert state["locks"] == {key: {"1.1": "X"}}
    assert out["conflict"]["type"] == "op-failed"  # the in-doubt txn's lock blocks others
    for state in out["after"]:
        assert state == {"in_doubt": [], "locks": {}, "data": {}}  # presumed abort


def test_crash_after_the_commit_point_commits_on_recovery() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {"client": await call("coord", {"type": "txn", "ops": TXN})}
        world.host("coord").crash()  # decision logged, commit messages not yet sent
        await trio.sleep(0.5)
        out["blocked"] = [await inspect(call, p) for p in ("p1", "p2")]
        world.host("coord").start()
        await trio.sleep(0.3)
        out["after"] = [await inspect(call, p) for p in ("p1", "p2")]
        return out

    out = scenario({"commit_delay_ns": 200 * MS}, script)
    assert out["client"] == {"type": "ok", "value": TXN, "in_reply_to": 1}
    assert [s["in_doubt"] for s in out["blocked"]] == [["1.1"], ["1.1"]]
    assert out["after"] == [
        {"in_doubt": [], "locks": {}, "data": {0: [1]}},
        {"in_doubt": [], "locks": {}, "data": {1: [1]}},
    ]


def test_a_participant_recovers_its_prepared_txn_and_locks() -> None:
    async def script(world: World, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with trio.open_nursery() as nursery:

            async def client() -> None:
                out["client"] = await call("coord", {"type": "txn", "ops": TXN}, 500)

            nursery.start_soon(client)
            await wait_prepared(call)
            world.host("p1").crash()
            world.host("p1").start()
            out["recovered"] = await inspect(call, "p1")
        await trio.sleep(0.3)
        out["after"] = await inspect(call, "p1")
        return out

    out = scenario({"decision_delay_ns": 50 * MS}, script)
    assert out["recovered"] == {"in_doubt": ["1.1"], "locks": {0: {"1.1": "X"}}, "data": {}}
    assert out["client"]["type"] == "ok"
    assert out["after"] == {"in_doubt": [], "locks": {}, "data": {0: [1]}}


@pytest.mark.parametrize("workload", ["list-append", "rw-register"])
def test_2pc_is_strict_serializable_under_crashes(workload: str) -> None:
    spec = TestSpec(
        system="txn-2pc",
        workload=workload,
        seed=1,
        nemesis=["kill"],
        nemesis_interval=0.5,
        time_limit=3.0,
        rate=100.0,
        workload_options={"key_count": 3},
    )
    history = simulate(spec).history
    oks = sum(1 for op in history if op.type == "ok" and op.f == "txn")
    result = get_checker("elle")(
        history, {"model": workload, "consistency_model": "strict-serializable"}
    )
    assert oks > 50
    assert result["valid"] is True, result["anomaly_types"]


def test_a_participant_that_lost_a_branch_refuses_to_continue_it() -> None:
    """A crash before prepare loses the branch's writes: later ops and the vote say no."""

    async def script(world: World, call: Call) -> list[Any]:
        first = {"type": "op", "txn": "t", "seq": 0, "op": ["append", 0, 1], "first": True}
        out = [(await call("p1", first))["type"]]
        world.host("p1").crash()
        world.host("p1").start()
        later = {"type": "op", "txn": "t", "seq": 1, "op": ["append", 3, 1], "first": False}
        out.append((await call("p1", later))["code"])
        out.append((await call("p1", {"type": "prepare", "txn": "t"}))["yes"])
        return out

    assert scenario({}, script) == ["op-done", "unknown-txn", False]


def test_an_abandoned_active_branch_times_out_and_releases_its_locks() -> None:
    """Guards ``Participant.on_timer``'s ``active-timeout``: a branch that executed but was
    never prepared (its coordinator vanished before 2PC began) is dropped after
    ``active_timeout_ns``, so its locks do not block other txns forever.  (Only prepared
    branches must wait for the coordinator.)"""

    async def script(world: World, call: Call) -> list[Any]:
        orphan = {"type": "op", "txn": "orphan", "op": ["append", 0, 5], "first": True}
        assert (await call("p1", orphan))["type"] == "op-done"
        held = (await inspect(call, "p1"))["locks"]
        await trio.sleep(1.2)  # past the 1 s active timeout
        after = await inspect(call, "p1")
        other = {"type": "op", "txn": "other", "op": ["r", 0, None], "first": True}
        return [held, after, (await call("p1", other))["type"]]

    held, after, other = scenario({}, script)
    assert held == {0: {"orphan": "X"}}
    assert after == {"in_doubt": [], "locks": {}, "data": {}}  # dropped, nothing applied
    assert other == "op-done"
