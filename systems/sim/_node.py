"""Nodes: a state machine hosted on the simulated world, and the runtime it acts through.

A node's logic is a ``NodeProcess``: plain synchronous callbacks (``on_start``,
``on_message``, ``on_timer``) that act only through their ``Runtime`` -- send a message,
set a timer, read the node's clock, use its disk, draw from its RNG.  The ``NodeHost``
owns the lifecycle the nemesis drives:

* crash  -- the process object is discarded (volatile state lost), its timers die with its
  incarnation, unsynced disk writes are lost; messages to it are dropped while it is down;
* start  -- a fresh process object from the factory, which recovers from its disk;
* pause  -- deliveries and timers are held, in order, and replayed on resume, as a stopped
  (SIGSTOP) process would find them in its socket buffers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol

from systems.sim._clock import NodeClock
from systems.sim._disk import SimDisk
from systems.sim._network import Message, Network
from systems.sim._scheduler import Scheduler


class NodeProcess(Protocol):
    def on_start(self, rt: Runtime) -> None: ...
    def on_message(self, rt: Runtime, msg: Message) -> None: ...
    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None: ...


class Runtime:
    """What a node process may touch.  One per incarnation: stale timers are ignored."""

    __slots__ = ("_host", "incarnation", "name")

    def __init__(self, host: NodeHost, incarnation: int) -> None:
        self._host = host
        self.name = host.name
        self.incarnation = incarnation

    @property
    def alive(self) -> bool:
        return self._host.incarnation == self.incarnation and self._host.state != "down"

    def now(self) -> int:
        """This node's clock (skewed); use ``true_now`` only for measurements."""
        return self._host.clock.now()

    @property
    def disk(self) -> SimDisk:
        return self._host.disk

    @property
    def rng(self) -> random.Random:
        return self._host.rng

    @property
    def peers(self) -> list[str]:
        return [n for n in self._host.cluster() if n != self.name]

    def send(self, dst: str, body: dict[str, Any]) -> None:
        host = self._host  # self.alive, inline
        if host.incarnation == self.incarnation and host.state != "down":
            host.network.send(self.name, dst, body)

    def reply(self, request: Message, body: dict[str, Any]) -> None:
        body = dict(body)
        if "msg_id" in request.body:
            body["in_reply_to"] = request.body["msg_id"]
        self.send(request.src, body)

    def set_timer(self, delay_ns: int, name: str, payload: Any = None) -> None:
        host, inc = self._host, self.incarnation
        host.scheduler.after(delay_ns, host.fire_timer, inc, name, payload)


class NodeHost:
    def __init__(
        self,
        name: str,
        factory: Callable[[], NodeProcess],
        scheduler: Scheduler,
        network: Network,
        rng: random.Random,
        cluster: Callable[[], list[str]],
    ) -> None:
        self.name = name
        self.factory = factory
        self.scheduler = scheduler
        self.network = network
        self.rng = rng
        self.cluster = cluster
        self.clock = NodeClock(scheduler.now)
        self.disk = SimDisk(random.Random(rng.random()))
        self.state = "down"
        self.incarnation = 0
        self.process: NodeProcess | None = None
        self.runtime: Runtime | None = None
        self._held: list[tuple[str, tuple[Any, ...]]] = []
        network.attach(name, self.receive)

    def start(self) -> None:
        self.incarnation += 1
        self.state = "up"
        self.process = self.factory()
        self.runtime = Runtime(self, self.incarnation)
        self.process.on_start(self.runtime)

    def crash(self, torn: bool = False) -> None:
        self.state = "down"
        self.process = None
        self.runtime = None
        self._held.clear()
        self.incarnation += 1
        self.disk.crash(torn=torn)

    def pause(self) -> None:
        if self.state == "up":
            self.state = "paused"

    def resume(self) -> None:
        if self.state != "paused":
            return
        self.state = "up"
        held, self._held = self._held, []
        for kind, args in held:
            if kind == "msg":
                self.receive(*args)
            else:
                self.fire_timer(*args)

    def receive(self, msg: Message) -> None:
        if self.state == "up" and self.process is not None and self.runtime is not None:
            self.process.on_message(self.runtime, msg)
        elif self.state == "paused":
            self._held.append(("msg", (msg,)))

    def fire_timer(self, incarnation: int, name: str, payload: Any) -> None:
        if incarnation != self.incarnation:
            return
        if self.state == "paused":
            self._held.append(("timer", (incarnation, name, payload)))
        elif self.state == "up" and self.process is not None and self.runtime is not None:
            self.process.on_timer(self.runtime, name, payload)
