"""The Raft key-value system: options, client, claims, named entries.

Options (``system_options``):

``nodes``          cluster size (default 3: ``n1``..``n3``, all voting members)
``reads``          ``read-index`` (default) | ``log`` | ``lease-unsafe`` (named unsafe)
``snapshot_every`` compact the log after this many applied entries (default 0: never)
``members``        initial voting members (default: all ``nodes``; the rest are spares)
``membership_churn_ms``  the leader adds a spare / removes a member this often (default 0)
``lease_ms``       the leader lease of ``lease-unsafe`` (default 300, the minimum election
                   timeout)

The client finds the leader by following ``not-leader`` hints (trying the next node when
there is none), so every op reaches the leader.  A write whose reply does not arrive is
``info``; a read that times out is retried on another node, since a read that was never
answered had no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.consensus._raft import READS, RaftConfig, RaftNode
from systems.sim import MS, RequestTimeout, World, names

ATTEMPT_TIMEOUT_NS = 300 * MS
#: completion fields copied from replies (evidence for session and durability checkers)
EXTRA = ("version", "index", "token", "durable")

LINEARIZABLE = frozenset(
    {
        "linearizable",
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
        "consistent-prefix",
        "convergence",
        "durability",
    }
)


@dataclass(frozen=True)
class RaftOptions:
    """The Raft KV's options (one declaration: types, defaults, choices, help)."""

    reads: str = option("read-index", choices=READS)
    lease_ms: float = option(300.0, help="reads=lease-unsafe: the leader lease")
    members: int | None = option(None, help="voting members (default: every node)")
    membership_churn_ms: float = option(0.0, help="period of membership changes (0: none)")
    nodes: int = option(3, help="cluster size")
    snapshot_every: int = option(0, help="compact the log after this many entries (0: never)")


def raft_options(options: Mapping[str, Any]) -> RaftOptions:
    """The options as ``RaftOptions`` (``OptionError``, a ``ValueError``, on a bad one)."""
    return typed_options(RaftOptions, options, "system raft")


def config_of(o: RaftOptions, lock_ttl_ms: float = 200.0) -> RaftConfig:
    return RaftConfig(
        tuple(names("n", o.nodes if o.members is None else o.members)),
        cluster=tuple(names("n", o.nodes)),
        churn_ns=int(o.membership_churn_ms * MS),
        reads=o.reads,
        snapshot_every=o.snapshot_every,
        lease_ns=int(o.lease_ms * MS),
        lock_ttl_ns=int(lock_ttl_ms * MS),
    )


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    return reads_claims(raft_options(options).reads)


def reads_claims(reads: str) -> frozenset[str]:
    if reads == "lease-unsafe":
        # writes still go through consensus; reads may be stale
        return frozenset({"durability", "monotonic-writes", "convergence"})
    return LINEARIZABLE


class RaftClient:
    """One process's view: every op goes to the leader (found by hints)."""

    def __init__(self, world: World, process: int, nodes: list[str]) -> None:
        self.endpoint = world.client(f"c{process}")
        self.nodes = nodes
        self.guess = nodes[0]

    async def open(self, node: str) -> None:
        self.guess = node

    async def close(self) -> None:
        self.endpoint.close()

    async def request(self, body: dict[str, Any], retry_timeouts: bool) -> dict[str, Any] | None:
        """Send to the leader; the reply, or ``None`` on a timeout that may have had effect."""
        for attempt in range(3 * len(self.nodes)):
            try:
                reply = await self.endpoint.request(self.guess, body, ATTEMPT_TIMEOUT_NS)
            except RequestTimeout:
                if not retry_timeouts:
                    return None
                self.guess = self._next(self.guess)
                continue
            if reply.get("code") != "not-leader":
                return reply
            hint = reply.get("leader")
            self.guess = hint if hint and hint != self.guess else self._next(self.guess)
            if not hint:
                await trio.sleep(0.05 * (1 + attempt % 3))
        return {"type": "error", "code": "no-leader", "definite": True}

    def _next(self, node: str) -> str:
        return self.nodes[(self.nodes.index(node) + 1) % len(self.nodes)]

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        f = op["f"]
        key, arg = op.get("value") or (None, None)
        if f not in ("read", "write", "cas"):
            return {"type": "fail", "value": op.get("value"), "error": "unsupported"}
        reply = await self.request({"type": f, "key": key, "value": arg}, f == "read")
        return completion(op, reply)


def completion(op: dict[str, Any], reply: dict[str, Any] | None) -> dict[str, Any]:
    if reply is None:
        return {"type": "info", "value": op.get("value"), "error": "timeout"}
    if reply.get("type") != "ok":
        kind = "fail" if reply.get("definite") else "info"
        return {"type": kind, "value": op.get("value"), "error": reply.get("code", "error")}
    key, arg = op["value"]
    extra = {k: reply[k] for k in EXTRA if reply.get(k) is not None}
    value = reply.get("value") if op["f"] == "read" else arg
    return {"type": "ok", "value": [key, value], **extra}


class RaftSystem:
    name = "raft"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = raft_options(options)
        self._configure(self.settings)

    def _configure(self, o: RaftOptions, lock_ttl_ms: float = 200.0) -> None:
        self.cfg = config_of(o, lock_ttl_ms)
        self.claims = reads_claims(o.reads)
        self.nodes = names("n", o.nodes)

    def node_names(self) -> list[str]:
        return list(self.nodes)

    def setup(self, world: World) -> None:
        cfg = self.cfg
        for n in self.nodes:
            world.add_node(n, lambda: RaftNode(cfg))

    def client(self, world: World, process: int) -> RaftClient:
        return RaftClient(world, process, self.node_names())

    def primaries(self, world: World) -> list[str]:
        out = []
        for n, host in world.nodes.items():
            proc = host.process
            if host.state == "up" and isinstance(proc, RaftNode) and proc.role == "leader":
                out.append(n)
        return out


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts: dict[str, Any] = {"nodes": 3, "reads": "read-index", "snapshot_every": 0}
    opts.update(options)
    return SystemEntry(name, description, RaftSystem, opts, ("register",), settings=RaftOptions)


ENTRIES = [
    _entry("raft", "Raft KV: elections, replication, fsync before ack, read-index reads"),
    _entry("raft-log-reads", "Raft KV, reads through the log", reads="log"),
    _entry(
        "raft-snapshots",
        "Raft KV, snapshots and log compaction every 16 entries (followers catch up by snapshot)",
        snapshot_every=16,
    ),
    _entry(
        "raft-membership",
        "Raft KV on 5 nodes, 3 voting at a time: the leader adds a spare or removes a member "
        "every 500 ms (single-server changes) while clients run",
        nodes=5,
        members=3,
        membership_churn_ms=500,
    ),
    _entry(
        "raft-lease-unsafe",
        "Raft KV, leader-lease reads that trust the clocks (named unsafe: stale reads under "
        "clock skew)",
        reads="lease-unsafe",
    ).declaring(
        scenarios=(
            Scenario(
                "clock-strobe-partition",
                ("clock-strobe", "partition-random-halves"),
                "register",
                # 30 s, not 10: a stale lease read needs the strobed node to lead and the
                # partition to cut it off; ~15% of 10 s seeds catch one (90 seeds, before
                # and after the psim2 schedule change), too few for the matrix's 4 seeds
                time_limit=30.0,
                rate=100.0,
                nemesis_interval=1.0,
                hazard="linearizable",
            ),
        ),
        hazards=("linearizable",),
    ),
]
