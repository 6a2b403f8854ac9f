"""The simulated world: one seed, one scheduler, a network, nodes, clocks and disks.

Every source of randomness is a ``random.Random`` derived from the world's seed by name
(``world.rng_for("network")``), so adding a consumer does not shift the others' streams.
The world runs inside ``run_simulated`` (a trio run on a ``MockClock``); ``World.running``
starts its scheduler task and stops it when the body is done.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import trio

from systems.sim._inline import InlineOp, _current, park
from systems.sim._network import Network, NetworkConfig
from systems.sim._node import NodeHost, NodeProcess
from systems.sim._scheduler import Scheduler


class RequestTimeout(Exception):
    """No reply arrived within the client's timeout: the outcome is unknown."""


class World:
    def __init__(self, seed: int, network: NetworkConfig | None = None) -> None:
        self.seed = seed
        self.scheduler = Scheduler()
        self.network = Network(self.scheduler, self.rng_for("network"), network or NetworkConfig())
        self.nodes: dict[str, NodeHost] = {}

    def rng_for(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}/{purpose}")

    def now(self) -> int:
        return self.scheduler.now()

    # -- nodes ------------------------------------------------------------------------
    def add_node(self, name: str, factory: Callable[[], NodeProcess]) -> NodeHost:
        host = NodeHost(
            name,
            factory,
            self.scheduler,
            self.network,
            self.rng_for(f"node/{name}"),
            self.node_names,
        )
        self.nodes[name] = host
        return host

    def node_names(self) -> list[str]:
        return list(self.nodes)

    def start_all(self) -> None:
        for host in self.nodes.values():
            host.start()

    def host(self, name: str) -> NodeHost:
        return self.nodes[name]

    def client(self, name: str) -> ClientEndpoint:
        return ClientEndpoint(self, name)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[World]:
        """Run the scheduler for the duration of the ``async with`` body."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.scheduler.run)
            try:
                yield self
            finally:
                nursery.cancel_scope.cancel()


class ClientEndpoint:
    """A client's mailbox on the network: request/reply with a timeout.

    Clients are not nodes: they never crash or pause, and they see true time.
    """

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        #: msg_id -> (event, reply box) of a trio task, or the parked inline op
        self._waiting: dict[int, Any] = {}
        self._next_id = 0
        world.network.attach(name, self._receive)

    def _receive(self, msg: Any) -> None:
        body = msg.body
        slot = self._waiting.get(body.get("in_reply_to", -1))
        if slot is None:
            return
        if isinstance(slot, InlineOp):  # as _resume: the reply comes first, the slot goes
            del self._waiting[body["in_reply_to"]]
            slot.step(body)
        elif not slot[1]:
            slot[1].append(msg.body)
            slot[0].set()

    def _resume(self, msg_id: int, reply: dict[str, Any] | None) -> None:
        """The first of reply and timeout resumes the parked op; the other finds no slot."""
        op = self._waiting.pop(msg_id, None)
        if op is not None:
            op.step(reply)

    async def request(self, dst: str, body: dict[str, Any], timeout_ns: int) -> dict[str, Any]:
        """Send ``body`` to ``dst`` and wait for its reply, or raise ``RequestTimeout``.

        Inside an inline op (``_inline``) the wait is a park, resumed by the reply or by a
        timeout entry on the scheduler heap (right here: no coroutine of its own, the hot
        path); in a trio task it is an event and a scope (``_request_task``).
        """
        op = _current[0]  # current(), without the call
        self._next_id += 1
        msg_id = self._next_id
        if op is None:
            return await self._request_task(msg_id, dst, body, timeout_ns)
        self._waiting[msg_id] = op
        scheduler = self.world.scheduler
        self.world.network.send(self.name, dst, {**body, "msg_id": msg_id})
        expiry = scheduler.at(scheduler.now() + timeout_ns, self._resume, msg_id, None)
        try:
            reply: dict[str, Any] | None = await park()
        finally:
            self._waiting.pop(msg_id, None)
            scheduler.cancel(expiry)  # answered (or given up): the timeout is no event
        if reply is None:
            raise RequestTimeout(f"no reply from {dst} within {timeout_ns / 1e6:.0f} ms")
        return reply

    async def _request_task(
        self, msg_id: int, dst: str, body: dict[str, Any], timeout_ns: int
    ) -> dict[str, Any]:
        event, box = trio.Event(), list[dict[str, Any]]()
        self._waiting[msg_id] = (event, box)
        self.world.network.send(self.name, dst, {**body, "msg_id": msg_id})
        try:
            with trio.move_on_after(timeout_ns / 1e9):
                await event.wait()
        finally:
            del self._waiting[msg_id]
        if not box:
            raise RequestTimeout(f"no reply from {dst} within {timeout_ns / 1e6:.0f} ms")
        return box[0]

    def close(self) -> None:
        self.world.network.detach(self.name)


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, n + 1)]
