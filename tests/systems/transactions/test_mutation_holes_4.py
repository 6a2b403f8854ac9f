"""Tests for the survivors of a fresh mutation sample of ``systems/transactions`` (seed
133, fourth session), each named in its docstring with the breakage it guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from systems import get_system
from systems.sim import MS, RequestTimeout, World, run_simulated

Script = Callable[[World, Any], Awaitable[Any]]


def _simulate(system: str, options: dict[str, Any], seed: int, script: Script) -> Any:
    """``script(world, endpoint)`` against ``system`` built with ``options``, simulated."""
    built = get_system(system).build(options)

    async def main() -> Any:
        world = World(seed)
        built.setup(world)
        world.start_all()
        async with world.running():
            return await script(world, world.client("tester"))

    return run_simulated(main, seed=seed)


def _run(system: str, options: dict[str, Any], node: str, txns: list[tuple[float, Any]]) -> Any:
    """Send each txn (after its delay, in seconds) to ``node`` at once; their replies."""

    async def script(world: World, endpoint: Any) -> list[Any]:
        replies: list[Any] = [None] * len(txns)

        async def send(i: int, delay: float, ops: Any) -> None:
            await trio.sleep(delay)
            try:
                replies[i] = await endpoint.request(node, {"type": "txn", "ops": ops}, 500 * MS)
            except RequestTimeout:
                replies[i] = None

        async with trio.open_nursery() as nursery:
            for i, (delay, ops) in enumerate(txns):
                nursery.start_soon(send, i, delay, ops)
        return replies

    return _simulate(system, options, 5, script)


def test_the_serial_node_runs_every_queued_txn_in_turn():
    """Kills ``SerialNode.on_timer`` 45 (``busy = bool(queue)`` -> ``busy = None``): after
    a stored procedure runs, the node must go on with the next one queued, or a burst of
    txns leaves all but the first waiting for the next arrival (here: forever)."""
    txns = [(0.0, [["append", 0, i]]) for i in (1, 2, 3)]
    replies = _run("txn-serial", {"exec_ns": 1 * MS}, "n1", txns)
    assert [r and r["type"] for r in replies] == ["ok", "ok", "ok"]


def test_2pc_readers_of_one_key_share_its_lock():
    """Kills ``Participant._op`` 59 (a read taking an EXCLUSIVE lock): two txns that only
    read key 0 overlap (the first holds its lock through the decision window) and must
    both commit, since no-wait locking aborts a txn at its first conflict."""
    reader = [["r", 0, None]]
    replies = _run(
        "txn-2pc", {"decision_delay_ns": 50 * MS}, "coord", [(0.0, reader), (0.01, reader)]
    )
    assert [r and r["type"] for r in replies] == ["ok", "ok"]
    writer = [["append", 0, 1]]
    clash = _run(
        "txn-2pc", {"decision_delay_ns": 50 * MS}, "coord", [(0.0, reader), (0.01, writer)]
    )
    assert (clash[1]["type"], clash[1]["code"]) == ("error", "lock-conflict")  # the control


def test_the_coordinator_resends_a_lost_commit():
    """Kills ``Coordinator._send_decision`` 25 (the ``resend`` timer misnamed, so never
    acted on): a commit lost on the way to a participant is sent again every 100 ms until
    acked, so the participant does not sit in doubt, holding its locks, until its own
    status query (here 10 s away) asks for the decision."""
    options = {"commit_delay_ns": 50 * MS, "status_interval_ns": 10_000 * MS}

    async def script(world: World, endpoint: Any) -> list[Any]:
        async def in_doubt(node: str) -> Any:
            reply = await endpoint.request(node, {"type": "inspect"}, 300 * MS)
            return reply["value"]["in_doubt"]

        async def client() -> None:
            ops = [["append", 0, 1], ["append", 1, 1]]  # key 0 on p1, key 1 on p2
            await endpoint.request("coord", {"type": "txn", "ops": ops}, 500 * MS)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(client)
            while not (await in_doubt("p1") and await in_doubt("p2")):
                await trio.sleep(0.001)
            world.network.isolate(["p1"])  # the first commit to p1 is lost
            await trio.sleep(0.08)
            world.network.heal()
        await trio.sleep(0.4)
        return [await in_doubt("p1"), await in_doubt("p2")]

    assert _simulate("txn-2pc", options, 7, script) == [[], []]
