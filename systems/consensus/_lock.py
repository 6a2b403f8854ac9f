"""A lock service with fencing tokens on Raft, and the client that increments under a lock.

Theory of operation
-------------------
The ``lock`` workload's ``add`` is a read-modify-write of one counter, protected by a lock
(DDIA chapter 8, "the leader and the lock"): acquire the lock (a lease of ``lock_ttl_ms``,
granted by the Raft state machine, whose *fencing token* is the log index of the grant),
read the counter, sometimes stall (``pause_probability``: a GC pause or a swapped-out
process of ``pause_ms``, longer than the lease), write the counter plus one, release.

* ``locking="fenced"`` -- the read and the write carry the token; the storage refuses any
  access with a token smaller than one it has already seen for that key (``stale-token``,
  a definite failure).  A holder that stalled past its lease is refused, so no increment is
  lost.
* ``locking="unfenced"`` (named unsafe) -- plain read and write: the stalled holder wakes
  believing it still holds the lock and writes back a stale value, overwriting the
  increment of the holder that got the lock meanwhile -- a lost update, which the counter
  checker reports as a read below the acknowledged increments.

An ``add`` whose write was never sent failed definitely; one whose write went unanswered is
``info`` (it may have happened).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.consensus._system import LINEARIZABLE, RaftClient, RaftOptions, RaftSystem
from systems.sim import World

COUNTER, LOCK = "counter", "lock"


@dataclass(frozen=True)
class LockOptions(RaftOptions):
    """The lock service's options: Raft's, plus the lock's (one declaration)."""

    locking: str = option("fenced", choices=("fenced", "unfenced"))
    lock_ttl_ms: float = option(200.0, help="the lock's lease")
    pause_probability: float = option(0.2, help="a holder stalls after taking the lock")
    pause_ms: float = option(300.0, help="how long a holder stalls")


def lock_options(options: Mapping[str, Any]) -> LockOptions:
    return typed_options(LockOptions, options, "system raft-lock")


class LockClient(RaftClient):
    def __init__(self, world: World, process: int, nodes: list[str], opts: LockOptions):
        super().__init__(world, process, nodes)
        self.owner = f"c{process}"
        self.fenced = opts.locking == "fenced"
        self.pause_p = opts.pause_probability
        self.pause_s = opts.pause_ms / 1000
        self.rng = world.rng_for(f"client/{process}")

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        if op["f"] == "add":
            return await self._add(op)
        if op["f"] == "read" and op.get("value") is None:
            reply = await self.request({"type": "read", "key": COUNTER}, True)
            if reply is None or reply.get("type") != "ok":
                return {"type": "fail", "value": None, "error": "unavailable"}
            return {"type": "ok", "value": reply.get("value") or 0}
        return await super().invoke(op)

    async def _add(self, op: dict[str, Any]) -> dict[str, Any]:
        token = await self._acquire()
        if token is None:
            return {"type": "fail", "value": op["value"], "error": "no-lock"}
        read = {"type": "fenced-read", "key": COUNTER, "token": token} if self.fenced else {
            "type": "read", "key": COUNTER}  # fmt: skip
        reply = await self.request(read, not self.fenced)
        if reply is None or reply.get("type") != "ok":
            return {"type": "fail", "value": op["value"], "error": _code(reply)}
        if self.rng.random() < self.pause_p:
            await trio.sleep(self.pause_s)  # the process stalls, still "holding" the lock
        new = int(reply.get("value") or 0) + int(op["value"])
        write: dict[str, Any] = {"type": "write", "key": COUNTER, "value": new}
        if self.fenced:
            write = {"type": "fenced-write", "key": COUNTER, "value": new, "token": token}
        reply = await self.request(write, False)
        await self._release()
        if reply is None or (reply.get("type") != "ok" and not reply.get("definite")):
            return {"type": "info", "value": op["value"], "error": _code(reply)}
        if reply.get("type") != "ok":
            return {"type": "fail", "value": op["value"], "error": _code(reply)}
        return {"type": "ok", "value": op["value"], "token": token}

    async def _acquire(self) -> int | None:
        for _ in range(20):
            reply = await self.request({"type": "acquire", "key": LOCK, "value": self.owner}, False)
            if reply is None:
                return None
            if reply.get("type") == "ok":
                return int(reply["token"])
            if reply.get("code") != "lock-held":
                return None
            await trio.sleep(0.02 + 0.03 * self.rng.random())
        return None

    async def _release(self) -> None:
        with trio.move_on_after(0.2):
            await self.request({"type": "release", "key": LOCK, "value": self.owner}, False)


def _code(reply: dict[str, Any] | None) -> str:
    return "timeout" if reply is None else str(reply.get("code", "error"))


class LockSystem(RaftSystem):
    name = "raft-lock"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = self.lock = lock_options(options)
        self._configure(self.lock, self.lock.lock_ttl_ms)
        self.claims = LINEARIZABLE if self.lock.locking == "fenced" else frozenset()

    def client(self, world: World, process: int) -> LockClient:
        return LockClient(world, process, self.node_names(), self.lock)


def lock_claims(options: Mapping[str, Any]) -> frozenset[str]:
    return LockSystem(options).claims


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts: dict[str, Any] = {"nodes": 3, "reads": "read-index", "locking": "fenced"}
    opts.update(options)
    return SystemEntry(
        name, description, LockSystem, opts, ("lock", "register"),
        settings=LockOptions,
    )  # fmt: skip


LOCK_ENTRIES = [
    _entry(
        "raft-lock", "lock service on Raft with fencing tokens; increments under the lock"
    ).declaring(
        scenarios=(Scenario("stalled-holder", (), "lock", time_limit=6.0),),
        promises=frozenset({"no-lost-updates"}),
    ),
    _entry(
        "raft-lock-unfenced",
        "lock service on Raft, client without fencing tokens (named unsafe: a holder that "
        "stalls past its lease writes back a stale value: lost updates)",
        locking="unfenced",
    ).declaring(
        scenarios=(
            Scenario("stalled-holder", (), "lock", time_limit=6.0, hazard="no-lost-updates"),
        ),
        hazards=("no-lost-updates",),
    ),
]
