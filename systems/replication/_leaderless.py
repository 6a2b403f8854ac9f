"""The leaderless system: quorum options, the claims they earn, the client, named entries.

Options (``system_options``): ``nodes`` (default 3), ``n``/``w``/``r`` (3/2/2),
``conflict`` (``vv``: dotted version vectors with siblings; ``lww``: last write wins by the
coordinator's clock), ``read_repair``, ``anti_entropy``, ``sloppy`` (sloppy quorums with
hinted handoff), ``link_loss``.

The client sends each op to its own node, which coordinates.  It keeps, per key, the
version vector of what it last read or wrote and sends it with its next write (the
*context*), so a write obsoletes exactly the siblings the client had seen.  A read's value
is the greatest sibling (the client's merge rule for this workload's increasing values);
all siblings are reported in the completion's ``siblings`` field, and the version vector
(``vclock``) or LWW timestamp (``version``) as evidence for the session checker.

Claims: ``convergence`` with anti-entropy, and nothing else.  A read quorum meets every
write quorum when ``w + r > n``, but the value a client is shown is one sibling (its
version vector is reported as the read's ``vclock``), so a concurrent write can hide the
client's own; and never linearizable: DDIA's quorum edge cases (partial writes,
concurrent writes, sloppy quorums, LWW with skewed clocks) are what the tests look for.
"""

from __future__ import annotations

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
from systems.replication._quorum import QuorumConfig, QuorumNode
from systems.sim import World, names

_LINK_HELP = {o.name: o.help for o in LINK_OPTIONS}


@dataclass(frozen=True)
class QuorumOptions:
    """The leaderless family's options (``None``: derived from the others, see below)."""

    nodes: int = 3
    n: int | None = option(None, help="replicas per key (default: min(3, nodes))")
    w: int | None = option(None, help="write quorum (default: n // 2 + 1)")
    r: int | None = option(None, help="read quorum (default: n // 2 + 1)")
    conflict: str = option("vv", choices=("vv", "lww"), help="siblings by version vector, or LWW")
    read_repair: bool = True
    anti_entropy: bool = True
    sloppy: bool = option(False, help="sloppy quorums with hinted handoff")
    link_loss: float = option(0.0, help=_LINK_HELP["link_loss"])
    link_latency_ms: float | None = option(None, help=_LINK_HELP["link_latency_ms"])


def config_of(options: Mapping[str, Any]) -> QuorumConfig:
    o = typed_options(QuorumOptions, options, "system leaderless")
    n = o.n if o.n is not None else min(3, o.nodes)
    majority = n // 2 + 1
    return QuorumConfig(
        tuple(names("n", o.nodes)),
        n,
        o.w if o.w is not None else majority,
        o.r if o.r is not None else majority,
        o.conflict,
        o.read_repair,
        o.anti_entropy,
        o.sloppy,
    )


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    cfg = config_of(options)
    claims = set()
    if cfg.anti_entropy:
        claims.add("convergence")
    return frozenset(claims)


class QuorumClient(ReplicaClient):
    def __init__(self, world: World, process: int, nodes: list[str]) -> None:
        super().__init__(world, process, nodes, ATTEMPT_TIMEOUT_NS)
        self.ctx: dict[Any, dict[str, int]] = {}

    async def run(self, op: dict[str, Any]) -> dict[str, Any]:
        key, value = op["value"]
        if op["f"] == "write":
            body = {"type": "put", "key": key, "value": value, "ctx": self.ctx.get(key)}
        elif op["f"] == "read":
            body = {"type": "get", "key": key}
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
        if op["f"] == "write":
            return {"type": "ok", "value": [key, value], **extra}
        siblings = reply.get("siblings") or []
        if len(siblings) > 1:
            extra["siblings"] = siblings
        return {"type": "ok", "value": [key, reply.get("value")], "node": self.home, **extra}


class LeaderlessSystem:
    name = "leaderless"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.settings = typed_options(QuorumOptions, options, "system leaderless")
        self.cfg = config_of(options)
        self.claims = claims_for(options)

    def node_names(self) -> list[str]:
        return list(self.cfg.nodes)

    def setup(self, world: World) -> None:
        cfg = self.cfg
        add_replicas(world, cfg.nodes, lambda: QuorumNode(cfg), self.settings)

    def client(self, world: World, process: int) -> QuorumClient:
        return QuorumClient(world, process, list(self.cfg.nodes))


def _entry(name: str, description: str, **options: Any) -> SystemEntry:
    opts: dict[str, Any] = {"nodes": 3, "n": 3, "w": 2, "r": 2, "conflict": "vv"}
    opts.update(read_repair=True, anti_entropy=True, sloppy=False)
    opts.update(options)
    return SystemEntry(
        name, description, LeaderlessSystem, opts, ("session",),
        settings=QuorumOptions,
    )  # fmt: skip


ENTRIES = [
    _entry(
        "leaderless",
        "Dynamo-style N=3 W=2 R=2, dotted version vectors, read repair, Merkle anti-entropy",
    ),
    _entry(
        "leaderless-no-repair",
        "strict quorums N=3 W=2 R=2 without read repair or anti-entropy",
        read_repair=False,
        anti_entropy=False,
    ),
    _entry(
        "leaderless-sloppy",
        "5 nodes, N=3 W=2 R=2 sloppy quorums with hinted handoff, anti-entropy",
        nodes=5,
        sloppy=True,
    ),
    _entry(
        "leaderless-lww",
        "N=3 W=2 R=2, last write wins by each coordinator's own (skewable) clock",
        conflict="lww",
    ).declaring(
        # LWW by a skewed clock: a causally later write gets an older timestamp and loses
        scenarios=(Scenario("clock", ("clock",), "session", hazard="writes-follow-reads"),),
        hazards=("writes-follow-reads",),
    ),
    _entry("leaderless-w1r1", "N=3 W=1 R=1: fast, no quorum overlap", w=1, r=1),
]
