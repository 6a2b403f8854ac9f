"""The partitioned KV system: options, the routing client, claims, named entries.

Options (``system_options``): ``scheme`` (``hash`` | ``range``), ``partitions`` (12),
``routing`` (``client``: partition-aware, by the client's copy of the map, refreshed from
the metadata node when a node says ``wrong-node``; ``any-node``: a random node, which
forwards; ``tier``: the ``router`` node, which forwards), ``index`` (``local`` |
``global`` | ``term-async`` | ``term-sync`` | ``term-sync-nonatomic``), ``churn`` (random
moves besides balancing), ``nodes`` (4 storage nodes; the last joins at ``join_ms``).

The client speaks the register vocabulary (``read``/``write``/``cas`` of ``[key, v]``) and
the secondary-index workload's (``add`` a document with colour ``red``; ``read`` with value
``None``: every red document, by the index).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.partitioning._meta import MetaNode
from systems.partitioning._nodes import (
    POINTS,
    ROUTER,
    PartConfig,
    StorageNode,
    pid_for,
    point_of,
)
from systems.partitioning._termindex import TERM_MODES
from systems.sim import MS, RequestTimeout, World, names

ATTEMPT_NS = 200 * MS
TERM = "red"

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
class PartitionOptions:
    """The partitioned family's options (one declaration: types, defaults, choices)."""

    scheme: str = option("hash", choices=("hash", "range"))
    routing: str = option("client", choices=("client", "any-node", "tier"))
    index: str = option(
        "local", choices=("local", "global", *TERM_MODES), help="secondary index layout"
    )
    rebalance: str = option("fixed", choices=("fixed", "dynamic", "proportional"))
    churn: bool = option(True, help="nodes join and leave during the run")
    partitions: int = 12
    split_at: int = option(24, help="rebalance=dynamic: keys per partition before a split")
    tokens: int = option(4, help="rebalance=proportional: partitions per node")
    join_ms: float = 1500.0
    nodes: int = option(4, help="storage nodes (the last joins at join_ms)")


def partition_options(options: Mapping[str, Any]) -> PartitionOptions:
    """The options as ``PartitionOptions`` (``OptionError`` on an undeclared or bad one)."""
    return typed_options(PartitionOptions, options, "system partitioned")


def config_of(options: Mapping[str, Any]) -> PartConfig:
    o = partition_options(options)
    nodes = tuple(names("n", o.nodes))
    return PartConfig(
        nodes,
        nodes[:-1] if len(nodes) > 1 else nodes,
        scheme=o.scheme,
        partitions=o.partitions,
        index=o.index,
        churn=o.churn,
        join_ms=int(o.join_ms),
        rebalance=o.rebalance,
        split_at=o.split_at,
        tokens=o.tokens,
    )


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    index = partition_options(options).index
    if index == "term-sync":
        return frozenset({"index-consistency"})
    if index in ("term-async", "term-sync-nonatomic"):
        return frozenset()  # index reads lag or see writes half applied: the named hazard
    if index == "global":
        return frozenset({"durability"})  # index reads lag the documents
    return LINEARIZABLE


class PartitionClient:
    def __init__(self, world: World, process: int, cfg: PartConfig, routing: str) -> None:
        self.endpoint = world.client(f"c{process}")
        self.rng = world.rng_for(f"client/{process}")
        self.cfg = cfg
        self.routing = routing
        self.map: dict[str, list[Any]] | None = None
        #: requests that were forwarded or refused with a hint (routing by a stale map)
        self.redirects = 0

    async def open(self, node: str) -> None:
        if self.routing == "client":
            await self._refresh()

    async def close(self) -> None:
        self.endpoint.close()

    async def _refresh(self) -> None:
        try:
            reply = await self.endpoint.request("meta", {"type": "map"}, ATTEMPT_NS)
        except RequestTimeout:
            return
        if reply.get("type") == "ok":
            self.map = reply["value"]

    async def _term_op(self, op: dict[str, Any]) -> dict[str, Any]:
        """The term-index vocabulary: ``put [doc, colour]``, ``delete [doc, None]``,
        ``query [term, None]`` (ok value ``[term, docs]``)."""
        f, (key, arg) = op["f"], op["value"]
        if f == "query":
            if self.cfg.index in TERM_MODES:
                body = {"type": "tidx-read", "key": f"tidx/{key}"}
                reply = await self.request(body, True)
                return _completion(op, reply, [key, reply.get("value") if reply else None])
            docs = await self._index_read({"f": "read", "value": None}, key)
            return {**docs, "value": [key, docs.get("value")]}
        value = {"color": arg} if f == "put" else None
        reply = await self.request({"type": "write", "key": key, "value": value}, False)
        return _completion(op, reply, op["value"])

    def _target(self, body: dict[str, Any]) -> str:
        if self.routing == "client" and self.map is not None:
            pid = str(body["pid"]) if "pid" in body else None
            pid = pid or pid_for(self.map, point_of(self.cfg, body.get("key")))
            return str(self.map[pid][2])
        if self.routing == "tier":
            return ROUTER
        return self.rng.choice(list(self.cfg.nodes))

    async def request(self, body: dict[str, Any], retry_timeouts: bool) -> dict[str, Any] | None:
        refused = {"type": "error", "code": "no-owner", "definite": True}
        for _ in range(10):
            try:
                reply = await self.endpoint.request(self._target(body), body, ATTEMPT_NS)
            except RequestTimeout:
                if retry_timeouts:
                    continue
                return None
            if reply.get("code") == "locked" and retry_timeouts:  # a prepared term entry
                refused = reply
                await trio.sleep(0.02)
                continue
            if reply.get("code") != "wrong-node":
                if reply.get("hops"):
                    self.redirects += 1
                return reply
            self.redirects += 1
            await trio.sleep(0.02)
            if self.routing == "client":
                await self._refresh()
        return refused

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        f, value = op["f"], op.get("value")
        if f in ("put", "delete", "query"):
            return await self._term_op(op)
        if f == "add":
            doc = {"type": "write", "key": value, "value": {"color": TERM}}
            return _completion(op, await self.request(doc, False), value)
        if f == "read" and value is None:
            return await self._index_read(op)
        key, arg = value or (None, None)
        reply = await self.request({"type": f, "key": key, "value": arg}, f == "read")
        result = reply.get("value") if reply else None
        return _completion(op, reply, [key, result if f == "read" else arg])

    async def _index_read(self, op: dict[str, Any], term: str = TERM) -> dict[str, Any]:
        if self.cfg.index == "global":
            reply = await self.request({"type": "index-read", "key": f"idx/{TERM}"}, True)
            return _completion(op, reply, reply.get("value") if reply else None)
        for _ in range(5):
            docs = await self._scatter_gather(term)
            if docs is not None:
                return {"type": "ok", "value": docs}
            await trio.sleep(0.05)
        return {"type": "fail", "value": None, "error": "incomplete-scatter"}

    async def _scatter_gather(self, term: str = TERM) -> list[Any] | None:
        """Ask every partition of a fresh map for its red documents; ``None`` unless the
        ranges the owners answered for cover every point (splits may be under way)."""
        await self._refresh()
        if self.map is None:
            return None
        docs: set[Any] = set()
        covered: list[tuple[int, int]] = []
        for pid, (lo, hi, _, _) in sorted(self.map.items(), key=lambda kv: kv[1][0]):
            if _covers(covered, lo, hi):
                continue
            body = {"type": "index-part", "pid": pid, "term": term}
            reply = await self.request(body, True)
            if reply is None or reply.get("type") != "ok":
                return None
            docs.update(reply["value"])
            covered.append((reply["range"][0], reply["range"][1]))
        return sorted(docs) if _covers(covered, 0, POINTS) else None


def _covers(ranges: list[tuple[int, int]], lo: int, hi: int) -> bool:
    at = lo
    for a, b in sorted(ranges):
        if a <= at < b:
            at = b
    return at >= hi


def _completion(op: dict[str, Any], reply: dict[str, Any] | None, value: Any) -> dict[str, Any]:
    if reply is None:
        return {"type": "info", "value": op.get("value"), "error": "timeout"}
    if reply.get("type") != "ok":
        kind = "fail" if reply.get("definite") else "info"
        return {"type": kind, "value": op.get("value"), "error": reply.get("code", "error")}
    durable = {"durable": True} if reply.get("durable") is True else {}
    return {"type": "ok", "value": value, "hops": reply.get("hops", 0), **durable}


class PartitionedSystem:
    name = "partitioned"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.cfg = config_of(options)
        self.routing = partition_options(options).routing
        self.claims = claims_for(options)

    def node_names(self) -> list[str]:
        return list(self.cfg.nodes)

    def setup(self, world: World) -> None:
        cfg = self.cfg
        for n in cfg.nodes:
            world.add_node(n, lambda: StorageNode(cfg))
        world.add_node("meta", lambda: MetaNode(cfg))
        if self.routing == "tier":
            world.add_node(ROUTER, lambda: StorageNode(cfg))

    def client(self, world: World, process: int) -> PartitionClient:
        return PartitionClient(world, process, self.cfg, self.routing)


WORKLOADS = ("register", "secondary-index")


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts: dict[str, Any] = {"nodes": 4, "scheme": "hash", "routing": "client", "index": "local"}
    opts.update(options)
    workloads = ("term-index",) if opts["index"] in TERM_MODES else WORKLOADS
    return SystemEntry(
        name, description, PartitionedSystem, opts, workloads, settings=PartitionOptions
    )


#: one storage node hears no other (clients and meta still reach it), re-drawn every half
#: second: index changes for the terms it owns wait while queries of them are answered
TERM_OWNER_DEAF = Scenario(
    "term-owner-deaf",
    ("partition-one-way",),
    "term-index",
    nemesis_interval=0.5,
    hazard="index-consistency",
)

ENTRIES = [
    _entry(
        "partitioned-hash",
        "12 hash partitions over 4 nodes, moved while clients run; partition-aware client; "
        "local (scatter/gather) secondary index",
    ),
    _entry(
        "partitioned-hash-any-node",
        "hash partitions; clients ask any node, which forwards (by a possibly stale map)",
        routing="any-node",
    ),
    _entry(
        "partitioned-hash-routing-tier",
        "hash partitions; clients ask a routing tier that forwards by its (possibly stale) map",
        routing="tier",
    ),
    _entry(
        "partitioned-range",
        "key-range partitions (sequential ids: a hot last range); any-node forwarding",
        scheme="range",
        routing="any-node",
    ),
    _entry(
        "partitioned-range-dynamic",
        "key ranges split dynamically (one partition at first, split at the median key once "
        "over 24 keys), halves moved to balance; partition-aware client",
        scheme="range",
        rebalance="dynamic",
        churn=False,
    ),
    _entry(
        "partitioned-consistent-hash",
        "consistent hashing: 4 tokens per node on a hash ring; the joining node's tokens "
        "split arcs and it takes them over (partitions proportional to nodes)",
        rebalance="proportional",
    ),
    _entry(
        "partitioned-global-index",
        "hash partitions with a term-partitioned global secondary index updated "
        "asynchronously (index reads can be stale)",
        index="global",
    ).declaring(
        scenarios=(
            Scenario(
                "index-lag", (), "secondary-index", time_limit=8.0, hazard="index-consistency"
            ),
        ),
        hazards=("index-consistency",),
    ),
    _entry(
        "partitioned-term-index-async",
        "hash partitions with a term-partitioned index over many terms, maintained "
        "asynchronously through updates and deletes (named: index reads lag the data)",
        index="term-async",
    ).declaring(scenarios=(TERM_OWNER_DEAF,), hazards=("index-consistency",)),
    _entry(
        "partitioned-term-index-sync",
        "as partitioned-term-index-async, but a write and its index changes commit "
        "atomically (two-phase commit across the document's and the terms' partitions)",
        index="term-sync",
    ),
    _entry(
        "partitioned-term-index-sync-nonatomic",
        "as partitioned-term-index-sync without the atomic commit (named unsafe: the reply "
        "waits for every term owner, but a concurrent query can see a write half applied)",
        index="term-sync-nonatomic",
    ).declaring(scenarios=(TERM_OWNER_DEAF,), hazards=("index-consistency",)),
]
