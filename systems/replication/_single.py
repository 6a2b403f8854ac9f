"""The single-leader system: options, the claims they earn, read routing, named entries.

Options (``system_options``):

``nodes``        replica count (default 3: ``n1`` is the first leader)
``replication``  ``sync`` | ``semi-sync`` (default, ``sync_acks`` followers) | ``async``
``failover``     ``none`` | ``safe`` (default: terms and votes) | ``careless`` (unsafe)
``link_loss``    fraction of replica-to-replica messages lost (default 0)
``reads``        where reads go:

* ``leader``    -- through the leader's log (linearizable when writes are durable);
* ``follower``  -- any replica, chosen at random per read (replication lag shows);
* ``ryw``       -- read-your-writes: a random replica that has applied the client's last
  write LSN, else the leader (DDIA: "remember the timestamp of its most recent write");
* ``ryw-recent`` -- the leader for ``ryw_window_ms`` (default 500) after the client's last
  write, a random replica otherwise (DDIA's other heuristic).  Sound only while replication
  lag stays under the window, which a partition breaks: not claimed;
* ``monotonic`` -- a sticky replica per session (the client's own node): monotonic reads,
  and, since every replica applies one log in order, consistent prefix.

Claims follow from the options (``claims_for``).  Writes are *durable* (no acknowledged
write is ever lost) when the leader never changes (``failover=none``: the leader fsyncs
before acking) or when elections are safe and every commit reaches a majority of nodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.replication._common import (
    ATTEMPT_TIMEOUT_NS,
    LINK_OPTIONS,
    ReplicaClient,
    add_replicas,
    fail,
    info,
    versions_extra,
)
from systems.replication._leader import LeaderConfig, LeaderNode
from systems.sim import World, names

SESSION = frozenset({"monotonic-writes", "writes-follow-reads", "convergence"})
READS = ("leader", "follower", "ryw", "ryw-recent", "monotonic")


_LINK_HELP = {o.name: o.help for o in LINK_OPTIONS}


@dataclass(frozen=True)
class LeaderOptions:
    """The single-leader family's options (one declaration: types, defaults, choices)."""

    nodes: int = 3
    replication: str = option("semi-sync", choices=("sync", "semi-sync", "async"))
    sync_acks: int = option(1, help="followers that must ack (semi-sync)")
    failover: str = option("safe", choices=("safe", "careless", "none"))
    reads: str = option("leader", choices=READS)
    ryw_window_ms: float = option(
        500.0, help="reads=ryw-recent: read from the leader this long after a write"
    )
    link_loss: float = option(0.0, help=_LINK_HELP["link_loss"])
    link_latency_ms: float | None = option(None, help=_LINK_HELP["link_latency_ms"])


def leader_options(options: Mapping[str, Any]) -> LeaderOptions:
    """The options as ``LeaderOptions`` (``OptionError`` on an undeclared or bad one)."""
    return typed_options(LeaderOptions, options, "system single-leader")


def config_of(options: Mapping[str, Any]) -> LeaderConfig:
    o = leader_options(options)
    return LeaderConfig(tuple(names("n", o.nodes)), o.replication, o.sync_acks, o.failover)


def durable(cfg: LeaderConfig) -> bool:
    if cfg.failover == "none":
        return True
    if cfg.failover != "safe" or cfg.replication == "async":
        return False
    acks = len(cfg.nodes) - 1 if cfg.replication == "sync" else cfg.sync_acks
    return (acks + 1) * 2 > len(cfg.nodes)


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    cfg = config_of(options)
    reads = leader_options(options).reads
    if cfg.failover == "careless":
        return frozenset()
    if not durable(cfg):
        return frozenset({"convergence"})
    if reads == "leader":
        return SESSION | {
            "linearizable",
            "read-your-writes",
            "monotonic-reads",
            "consistent-prefix",
        }
    if reads == "ryw":
        return SESSION | {"read-your-writes"}
    if reads == "monotonic":
        return SESSION | {"monotonic-reads", "consistent-prefix"}
    return SESSION


class LeaderClient(ReplicaClient):
    """Sends writes (and leader reads) to the leader, following ``not-leader`` hints."""

    def __init__(
        self, world: World, process: int, nodes: list[str], reads: str, window_ms: float = 500
    ) -> None:
        super().__init__(world, process, nodes, ATTEMPT_TIMEOUT_NS)
        self.reads = reads
        self.window_s = window_ms / 1000
        self.wrote_at = -math.inf
        self.guess = ""
        self.last_lsn = 0

    async def open(self, node: str) -> None:
        self.home = self.guess = node

    async def run(self, op: dict[str, Any]) -> dict[str, Any]:
        f = op["f"]
        if f == "read" and self.reads != "leader":
            return await self._replica_read(op)
        return await self._to_leader(op, {"type": "request", "kind": f, "key": op["value"][0]})

    async def _to_leader(self, op: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        body["value"] = op["value"][1]
        for _ in range(len(self.nodes) + 2):
            reply = await self.ask(self.guess, body)
            if reply is None:
                return info(op, "timeout")
            if reply.get("type") == "ok":
                return self._completion(op, reply)
            if reply.get("code") != "not-leader":
                return _error_completion(op, reply)
            hint = reply.get("leader")
            self.guess = hint if hint and hint != self.guess else self._next_node(self.guess)
        return fail(op, "no-leader")

    def _next_node(self, node: str) -> str:
        return self.nodes[(self.nodes.index(node) + 1) % len(self.nodes)]

    async def _replica_read(self, op: dict[str, Any]) -> dict[str, Any]:
        key = op["value"][0]
        if self.reads == "ryw-recent" and trio.current_time() - self.wrote_at < self.window_s:
            return await self._to_leader(op, {"type": "request", "kind": "read", "key": key})
        node = self.home if self.reads == "monotonic" else self.rng.choice(self.nodes)
        body: dict[str, Any] = {"type": "local-read", "key": key}
        if self.reads == "ryw":
            body["min_lsn"] = self.last_lsn
        reply = await self.ask(node, body)
        if reply is None:
            return info(op, "timeout")
        if reply.get("code") == "behind":
            return await self._to_leader(op, {"type": "request", "kind": "read", "key": key})
        if reply.get("type") != "ok":
            return _error_completion(op, reply)
        return {"type": "ok", "value": [key, reply.get("value")], "node": node,
                **versions_extra(reply)}  # fmt: skip

    def _completion(self, op: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
        key, value = op["value"]
        extra = versions_extra(reply)
        if op["f"] == "read":
            return {"type": "ok", "value": [key, reply.get("value")], **extra}
        self.last_lsn = max(self.last_lsn, int(reply.get("lsn") or 0))
        self.wrote_at = trio.current_time()
        return {"type": "ok", "value": [key, value], **extra}


def _error_completion(op: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    code = str(reply.get("code", "error"))
    return fail(op, code) if reply.get("definite") else info(op, code)


class SingleLeaderSystem:
    name = "single-leader"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.settings = leader_options(options)
        self.cfg = config_of(options)
        self.reads = self.settings.reads
        self.claims = claims_for(options)

    def node_names(self) -> list[str]:
        return list(self.cfg.nodes)

    def setup(self, world: World) -> None:
        cfg = self.cfg
        add_replicas(world, cfg.nodes, lambda: LeaderNode(cfg), self.settings)

    def client(self, world: World, process: int) -> LeaderClient:
        window = self.settings.ryw_window_ms
        return LeaderClient(world, process, list(self.cfg.nodes), self.reads, window)

    def primaries(self, world: World) -> list[str]:
        out = []
        for n, host in world.nodes.items():
            proc = host.process
            if host.state == "up" and isinstance(proc, LeaderNode) and proc.role == "leader":
                out.append(n)
        return out


WORKLOADS = ("register", "session")


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts = {"nodes": 3, "replication": "semi-sync", "failover": "safe", "reads": "leader"}
    opts.update(options)
    return SystemEntry(
        name, description, SingleLeaderSystem, opts, WORKLOADS,
        settings=LeaderOptions,
    )  # fmt: skip


ENTRIES = [
    _entry(
        "leader-follower",
        "single leader, semi-synchronous follower (majority), safe failover, leader reads",
    ),
    _entry(
        "leader-follower-sync",
        "single leader, synchronous followers (all), safe failover, leader reads",
        replication="sync",
    ),
    _entry(
        "leader-follower-async-reads",
        "single leader, async followers, no failover, reads from any replica",
        replication="async",
        failover="none",
        reads="follower",
    ),
    _entry(
        "leader-follower-async-ryw",
        "single leader, async followers, no failover, read-your-writes routing by LSN",
        replication="async",
        failover="none",
        reads="ryw",
    ),
    _entry(
        "leader-follower-async-recent",
        "single leader, async followers, no failover, leader reads for 500 ms after a write",
        replication="async",
        failover="none",
        reads="ryw-recent",
    ),
    _entry(
        "leader-follower-async-sticky",
        "single leader, async followers, no failover, sticky replica per session",
        replication="async",
        failover="none",
        reads="monotonic",
    ),
    _entry(
        "leader-follower-async-failover",
        "single leader, async followers, safe elections: failover loses unreplicated writes",
        replication="async",
    ),
    _entry(
        "leader-follower-careless-failover",
        "single leader, semi-sync, careless failover (named unsafe: split brain, lost writes)",
        failover="careless",
    ).declaring(
        scenarios=(
            Scenario(
                "failover-append",
                ("partition", "kill"),
                "session",
                {"mode": "append"},
                time_limit=10.0,
                hazard="convergence",
            ),
        ),
        hazards=("convergence",),
    ),
]
