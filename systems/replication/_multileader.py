"""The multi-leader system: topologies and conflict handling as options, the client, entries.

Options (``system_options``): ``nodes`` (datacenters, default 3: ``dc1``...), ``topology``
(``all-to-all`` | ``circular`` | ``star``), ``conflict`` (``lww`` | ``lww-id`` | ``vv`` |
``custom`` | ``pn-counter`` | ``or-set`` | ``rga`` | ``arrival``, named unsafe), ``merge``
(for ``custom``: a callable, or ``"module:function"``, from the list of sibling values to
the value a read shows), ``link_loss``, ``link_latency_ms`` (default 20).

Each client process uses its own datacenter's leader for everything.  Register modes serve
the session workload (``write``/``read``); ``or-set`` serves it with ``mode="set"``
(``add``; reads return the sorted elements) and ``pn-counter`` with ``mode="counter"``
(``incr`` by an int; reads return the total); ``rga`` serves the ``text`` workload (editors
``insert`` a token after their cursor and ``delete`` tokens they have seen).  The client
keeps the version vector of what it last saw per key and sends it with its writes, so under
``vv`` a write merges the siblings it read.

Claims: ``convergence`` for every rule but ``arrival`` (each other rule is a CRDT over
delivered entries, and delivery retries until acknowledged).  With LWW the version order is
the timestamps, in which a client's own leader never goes backwards: ``read-your-writes``
and ``monotonic-reads``.  Not ``writes-follow-reads``, ``monotonic-writes`` or
``consistent-prefix``: a skewed clock gives a causally later write an older timestamp, in
any topology.  Never ``linearizable``: writes are acknowledged before any other leader has
them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
from systems.replication._multi import MultiConfig, MultiLeaderNode
from systems.sim import World, names

UPDATES = ("write", "add", "remove", "incr")


_LINK_HELP = {o.name: o.help for o in LINK_OPTIONS}
CONFLICTS = ("lww", "lww-id", "vv", "custom", "pn-counter", "or-set", "rga", "arrival")


@dataclass(frozen=True)
class MultiLeaderOptions:
    """The multi-leader family's options (one declaration: types, defaults, choices)."""

    nodes: int = 3
    topology: str = option("all-to-all", choices=("all-to-all", "circular", "star"))
    conflict: str = option("lww", choices=CONFLICTS)
    merge: str | None = option(
        None, help='conflict=custom: "module:function" merging sibling values'
    )
    link_loss: float = option(0.0, help=_LINK_HELP["link_loss"])
    link_latency_ms: float | None = option(None, help=_LINK_HELP["link_latency_ms"])


def _hook(spec: str | None) -> Any:
    if spec is None:
        return None
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def config_of(options: Mapping[str, Any]) -> MultiConfig:
    o = typed_options(MultiLeaderOptions, options, "system multi-leader")
    return MultiConfig(tuple(names("dc", o.nodes)), o.topology, o.conflict, _hook(o.merge))


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    cfg = config_of(options)
    if cfg.conflict == "arrival":
        return frozenset()
    claims = {"convergence"}
    if cfg.conflict in ("lww", "lww-id"):
        claims |= {"read-your-writes", "monotonic-reads"}
    return frozenset(claims)


class MultiLeaderClient(ReplicaClient):
    def __init__(self, world: World, process: int, nodes: list[str]) -> None:
        super().__init__(world, process, nodes, ATTEMPT_TIMEOUT_NS)
        self.ctx: dict[Any, Any] = {}
        self.text: dict[Any, list[Any]] = {}  # the last text read, per document
        self.last: dict[Any, Any] = {}  # this editor's last inserted token (its cursor)

    async def run(self, op: dict[str, Any]) -> dict[str, Any]:
        f = op["f"]
        key, value = op["value"]
        if f in ("insert", "delete"):
            return await self._edit(op, f, key, value)
        if f == "read":
            body: dict[str, Any] = {"type": "read", "key": key}
        elif f in UPDATES:
            body = {"type": "update", "f": f, "key": key, "value": value}
            body["ctx"] = self.ctx.get(key)
        else:
            return fail(op, "unsupported")
        reply = await self.ask(self.home, body)
        if reply is None:
            return info(op, "timeout")
        if reply.get("type") != "ok":
            code = str(reply.get("code", "error"))
            return fail(op, code) if reply.get("definite") else info(op, code)
        if reply.get("ctx") is not None:
            self.ctx[key] = reply["ctx"]
        extra = versions_extra(reply)
        if f != "read":
            return {"type": "ok", "value": [key, value], **extra}
        if isinstance(reply.get("value"), list):
            self.text[key] = list(reply["value"])
        if len(reply.get("siblings") or []) > 1:
            extra["siblings"] = reply["siblings"]
        return {"type": "ok", "value": [key, reply.get("value")], "node": self.home, **extra}

    async def _edit(self, op: dict[str, Any], f: str, doc: Any, tok: Any) -> dict[str, Any]:
        """Text editing: insert a token after this editor's last one (or a random visible
        one, ``op["after"] == "random"``), or delete a random token it has seen."""
        seen = self.text.get(doc, [])
        if f == "delete":
            if not seen:
                return fail(op, "nothing-to-delete")
            tok = self.rng.choice(seen)
            body: dict[str, Any] = {"type": "update", "f": f, "key": doc, "value": tok}
        else:
            anchor = self.last.get(doc)
            if op.get("after") == "random" or anchor is None:
                anchor = self.rng.choice([None, *seen])
            body = {"type": "update", "f": f, "key": doc, "value": {"tok": tok, "after": anchor}}
        reply = await self.ask(self.home, body)
        if reply is None or reply.get("type") != "ok":
            why = "timeout" if reply is None else str(reply.get("code"))
            kind = "fail" if reply is not None and reply.get("definite") else "info"
            return {"type": kind, "value": [doc, tok], "error": why}
        if f == "delete":
            self.text[doc] = [t for t in seen if t != tok]
            return {"type": "ok", "value": [doc, tok]}
        self.last[doc] = tok
        return {"type": "ok", "value": [doc, tok], "after": body["value"]["after"]}


class MultiLeaderSystem:
    name = "multi-leader"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.settings = typed_options(MultiLeaderOptions, options, "system multi-leader")
        self.cfg = config_of(options)
        self.claims = claims_for(options)

    def node_names(self) -> list[str]:
        return list(self.cfg.nodes)

    def setup(self, world: World) -> None:
        cfg = self.cfg
        add_replicas(world, cfg.nodes, lambda: MultiLeaderNode(cfg), self.settings, 20.0)

    def client(self, world: World, process: int) -> MultiLeaderClient:
        return MultiLeaderClient(world, process, list(self.cfg.nodes))

    def primaries(self, world: World) -> list[str]:
        return [n for n in self.cfg.nodes if world.nodes[n].state == "up"]


#: the session workload's mode that exercises each CRDT (others use plain writes)
CRDT_MODES = {"or-set": "set", "pn-counter": "counter"}


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts: dict[str, Any] = {"nodes": 3, "topology": "all-to-all", "conflict": "lww"}
    opts.update(options)
    mode = CRDT_MODES.get(opts["conflict"])
    workload_options = {"session": {"mode": mode}} if mode else {}
    return SystemEntry(
        name, description, MultiLeaderSystem, opts, ("session",),
        workload_options, settings=MultiLeaderOptions,
    )  # fmt: skip


ENTRIES = [
    _entry("multi-leader", "a leader per datacenter, all-to-all async replication, LWW by clock"),
    _entry(
        "multi-leader-circular",
        "a leader per datacenter, circular topology, LWW by clock",
        topology="circular",
    ),
    _entry(
        "multi-leader-star",
        "a leader per datacenter, star topology (dc1 the hub), LWW by clock",
        topology="star",
    ),
    _entry(
        "multi-leader-no-resolution",
        "all-to-all, no conflict resolution: the last write to arrive stays (named unsafe)",
        conflict="arrival",
    ).declaring(
        # concurrent writes at full rate, no faults: each leader keeps a different last one
        scenarios=(
            Scenario(
                "concurrent-writes", (), "session", time_limit=8.0, rate=100.0, hazard="convergence"
            ),
        ),
        hazards=("convergence",),
    ),
    _entry("multi-leader-lww-id", "all-to-all, the highest-ranked replica wins", conflict="lww-id"),
    _entry(
        "multi-leader-vv",
        "all-to-all, version vectors: concurrent writes kept as siblings, merged on write",
        conflict="vv",
    ),
    _entry(
        "multi-leader-devices",
        "offline-capable clients: 5 devices, each its own leader, syncing all-to-all with "
        "version vectors (a partition is a device offline)",
        nodes=5,
        conflict="vv",
    ),
    _entry("multi-leader-or-set", "all-to-all, observed-remove set CRDT", conflict="or-set"),
    _entry("multi-leader-pn-counter", "all-to-all, PN-counter CRDT", conflict="pn-counter"),
    SystemEntry(
        "multi-leader-text",
        "collaborative editing: each editor's leader, all-to-all, RGA sequence CRDT",
        MultiLeaderSystem,
        {"nodes": 3, "topology": "all-to-all", "conflict": "rga"},
        ("text",),
        settings=MultiLeaderOptions,
    ),
]
