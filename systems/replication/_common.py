"""Pieces every replication model shares: reply bodies, small durable files, the client base.

A replication client is one process's view of a replicated system.  Subclasses decide
where each op goes (``run``); the base handles the workload's per-replica final reads
(``f == "final-read"``, ``op["replica"]`` an index into the system's nodes), which every
node answers from its local state with a ``local-read`` request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ddialab.vocabulary import Option
from systems.sim import MS, Latency, RequestTimeout, World

#: each request attempt waits this long for a reply (an op may make several attempts)
ATTEMPT_TIMEOUT_NS = 300_000_000


def ok(value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "ok", "value": value, **extra}


def error(code: str, definite: bool, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite, **extra}


def key_of(k: Any) -> Any:
    """Keys stay hashable when a message or file turned a tuple key into a list."""
    return tuple(k) if isinstance(k, list) else k


def lossy_links(world: World, nodes: Sequence[str], loss: float, latency_ms: float = 0) -> None:
    """Options ``link_loss`` (fraction of replica-to-replica messages lost) and
    ``link_latency_ms`` (mean of an exponential delay on those links, e.g. between
    datacenters); client links keep the network's defaults."""
    if not (loss or latency_ms):
        return
    latency = Latency.exponential(int(latency_ms * MS)) if latency_ms else None
    for a in nodes:
        for b in nodes:
            if a != b:
                world.network.set_link(a, b, loss=loss or None, latency=latency)


#: options every replication system reads (see ``add_replicas``)
LINK_OPTIONS = (
    Option("link_loss", float, 0.0, help="probability a replica-to-replica message is lost"),
    Option("link_latency_ms", float, None, help="replica-to-replica latency"),
)


class ReplicaLinks(Protocol):
    """The replica-link options of a family's settings (every replication family's
    options dataclass declares both, see ``LINK_OPTIONS``)."""

    @property
    def link_loss(self) -> float: ...

    @property
    def link_latency_ms(self) -> float | None: ...


def add_replicas(
    world: World,
    nodes: Sequence[str],
    factory: Callable[[], Any],
    links: ReplicaLinks,
    default_latency_ms: float = 0.0,
) -> None:
    """Add one node per name, then apply the replica-link settings (see ``lossy_links``);
    ``link_latency_ms`` unset is the family's ``default_latency_ms``."""
    for n in nodes:
        world.add_node(n, factory)
    latency = links.link_latency_ms
    lossy_links(world, nodes, links.link_loss, default_latency_ms if latency is None else latency)


def info(op: dict[str, Any], why: str) -> dict[str, Any]:
    return {"type": "info", "value": op.get("value"), "error": why}


def fail(op: dict[str, Any], why: str) -> dict[str, Any]:
    return {"type": "fail", "value": op.get("value"), "error": why}


class ReplicaClient:
    """Request/reply plumbing plus per-replica final reads; ``run`` does the rest."""

    def __init__(self, world: World, process: int, nodes: list[str], timeout_ns: int) -> None:
        self.endpoint = world.client(f"c{process}")
        self.rng = world.rng_for(f"client/{process}")
        self.nodes = list(nodes)
        self.timeout_ns = timeout_ns
        self.home = self.nodes[0]

    async def open(self, node: str) -> None:
        self.home = node

    async def close(self) -> None:
        self.endpoint.close()

    async def ask(self, node: str, body: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return await self.endpoint.request(node, body, self.timeout_ns)
        except RequestTimeout:
            return None

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        if op["f"] == "final-read":
            return await self.final_read(op)
        return await self.run(op)

    async def run(self, op: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    async def final_read(self, op: dict[str, Any]) -> dict[str, Any]:
        key = op["value"][0]
        node = self.nodes[int(op.get("replica", 0)) % len(self.nodes)]
        reply = await self.ask(node, {"type": "local-read", "key": key})
        if reply is None:
            return info(op, "timeout")
        if reply.get("type") != "ok":
            code = str(reply.get("code", "error"))
            return fail(op, code) if reply.get("definite") else info(op, code)
        return {"type": "ok", "value": [key, reply.get("value")], "node": node}


def versions_extra(reply: dict[str, Any]) -> dict[str, Any]:
    """The version evidence a reply carries, as completion fields for the session checker."""
    out: dict[str, Any] = {}
    for name in ("version", "vclock", "lsn"):
        if reply.get(name) is not None:
            out[name] = reply[name]
    return out
