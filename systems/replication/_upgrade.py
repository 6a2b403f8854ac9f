"""Rolling upgrades of a single-leader record store: options, claims, client, entries.

Options (``system_options``):

``nodes``         replica count (default 3; ``n1`` leads, and every node coordinates)
``versions``      the schema versions an upgrade walks through (default ``[1, 2]``)
``keep_unknown``  old code keeps the fields it does not know when it rewrites a record
                  (default true); false is DDIA's hazard: they are silently dropped
``encoding``      ``tagged`` (Protocol Buffers style) or ``avro`` (writer/reader resolution)
``force_upgrade`` upgrade even when the compatibility check finds problems (default false)

Every node starts at the first version.  The ``upgrade`` nemesis asks ``upgrade_problems``
first: an upgrade to a version that cannot read what older nodes wrote, or that older nodes
cannot read, is refused unless ``force_upgrade``; then it restarts the node on the new
version (``set_schema_version``).

Claims: ``field-preservation`` (no acknowledged field is lost, every record decodes) when
unknown fields are kept and upgrades are checked; nothing otherwise.
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
)
from systems.replication._leaderless import QuorumOptions
from systems.replication._leaderless import config_of as quorum_config
from systems.replication._recordquorum import RecordQuorumNode
from systems.replication._records import SCHEMAS, RecordConfig, RecordNode, problems
from systems.sim import World, names

ENCODINGS = ("tagged", "avro")


_LINK_HELP = {o.name: o.help for o in LINK_OPTIONS}


@dataclass(frozen=True)
class RecordOptions:
    """The record store's options (see the module docstring)."""

    nodes: int = 3
    versions: tuple[int, ...] = option((1, 2), help="schema versions an upgrade walks through")
    keep_unknown: bool = option(True, help="old code keeps fields it does not know")
    encoding: str = option("tagged", choices=ENCODINGS)
    force_upgrade: bool = option(False, help="upgrade past a failed compatibility check")
    link_loss: float = option(0.0, help=_LINK_HELP["link_loss"])
    link_latency_ms: float | None = option(None, help=_LINK_HELP["link_latency_ms"])


@dataclass(frozen=True)
class LeaderlessRecordOptions(RecordOptions):
    """The record options plus the quorum store's (``conflict`` is always ``vv``)."""

    n: int | None = option(None, help="replicas per key (default: min(3, nodes))")
    w: int | None = option(None, help="write quorum (default: n // 2 + 1)")
    r: int | None = option(None, help="read quorum (default: n // 2 + 1)")
    read_repair: bool = True
    anti_entropy: bool = True
    sloppy: bool = option(False, help="sloppy quorums with hinted handoff")


#: the options only the quorum store reads (a leaderless record system's, not the records')
_QUORUM_KEYS = frozenset(QuorumOptions.__dataclass_fields__) - set(
    RecordOptions.__dataclass_fields__
)


def record_options(options: Mapping[str, Any]) -> RecordOptions:
    """The record part of ``options`` (a leaderless system's quorum keys are its own)."""
    return typed_options(RecordOptions, options, "system records", _QUORUM_KEYS)


def config_of(options: Mapping[str, Any]) -> RecordConfig:
    o = record_options(options)
    return RecordConfig(tuple(names("n", o.nodes)), o.encoding, o.keep_unknown)


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    o = record_options(options)
    if o.keep_unknown and not o.force_upgrade:
        return frozenset({"field-preservation"})
    return frozenset()


class RecordClient(ReplicaClient):
    """Sends each op to a random node (a load balancer in front of the application
    servers), which coordinates it at that node's version."""

    async def run(self, op: dict[str, Any]) -> dict[str, Any]:
        key, value = op["value"]
        body = {"type": "request", "kind": op["f"], "key": key, "value": value}
        self.home = self.rng.choice(self.nodes)
        reply = await self.ask(self.home, body)
        if reply is None:
            return info(op, "timeout")
        extra: dict[str, Any] = {
            k: reply[k] for k in ("schema", "fields", "writer", "detail") if k in reply
        }
        extra["node"] = self.home
        if reply.get("type") != "ok":
            done = fail(op, str(reply.get("code"))) if reply.get("definite") else None
            return {**(done or info(op, str(reply.get("code")))), **extra}
        if op["f"] == "read":
            return {"type": "ok", "value": [key, reply.get("value")], **extra}
        return {"type": "ok", "value": op["value"], **extra}


class RecordSystem:
    name = "records"
    #: the options this system accepts (its entries' ``settings``)
    settings_type: type[RecordOptions] = RecordOptions

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.settings = settings = typed_options(self.settings_type, options, f"system {self.name}")
        self.cfg = config_of(options)
        self.versions = tuple(int(v) for v in settings.versions)
        if not self.versions or any(v not in SCHEMAS for v in self.versions):
            raise ValueError(f"versions must be a non-empty list of {sorted(SCHEMAS)}")
        self.force = settings.force_upgrade
        self.claims = claims_for(options)
        self.deployed = dict.fromkeys(self.cfg.nodes, self.versions[0])

    def node_names(self) -> list[str]:
        return list(self.cfg.nodes)

    def setup(self, world: World) -> None:
        cfg, deployed = self.cfg, self.deployed
        add_replicas(world, cfg.nodes, lambda: RecordNode(cfg, deployed), self.settings)

    def client(self, world: World, process: int) -> RecordClient:
        return RecordClient(world, process, list(self.cfg.nodes), ATTEMPT_TIMEOUT_NS)

    # -- the Upgradable protocol ----------------------------------------------------------
    def schema_versions(self) -> dict[str, int]:
        return dict(self.deployed)

    def upgrade_problems(self, node: str, version: int) -> list[str]:
        """What the compatibility check finds against every version still running, in
        both directions; empty when forced (the check was overridden)."""
        if self.force:
            return []
        found: list[str] = []
        for other in sorted({v for n, v in self.deployed.items() if n != node} | {version}):
            for w, r in ((other, version), (version, other)):
                found += [f"v{w} -> v{r}: {p}" for p in problems(w, r, self.cfg.encoding)]
        return sorted(set(found))

    def set_schema_version(self, world: World, node: str, version: int) -> None:
        """Restart ``node`` on ``version`` (a node that is down comes up on it later)."""
        self.deployed[node] = version
        host = world.host(node)
        if host.state != "down":
            host.crash()
            host.start()


class LeaderlessRecordSystem(RecordSystem):
    """The same records, versions and upgrades on a leaderless store (``_recordquorum``):
    Dynamo-style quorums (options ``n``/``w``/``r``, ``read_repair``, ``anti_entropy``,
    ``sloppy``) with version-vector siblings, every node storing through its own schema."""

    name = "leaderless-records"
    settings_type = LeaderlessRecordOptions

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        # the quorum store's own options (this system's others are not its business)
        quorum = {f: options[f] for f in QuorumOptions.__dataclass_fields__ if f in options}
        self.quorum = quorum_config({**quorum, "conflict": "vv"})

    def setup(self, world: World) -> None:
        qcfg, cfg, deployed = self.quorum, self.cfg, self.deployed
        factory = lambda: RecordQuorumNode(qcfg, cfg, deployed)  # noqa: E731
        add_replicas(world, cfg.nodes, factory, self.settings)


WORKLOADS = ("records",)


def _entry(
    name: str,
    description: str,
    hazards: tuple[str, ...] = (),
    system: type[RecordSystem] = RecordSystem,
    **options: Any,
) -> SystemEntry:
    """An upgrade entry: the matrix runs it only under the rolling upgrade (its one scenario;
    the common partition/kill/pause mix does not exercise schema versions)."""
    opts: dict[str, Any] = {"nodes": 3, "versions": [1, 2], "keep_unknown": True}
    opts.update(options)
    hazard = hazards[0] if hazards else None
    upgrade = Scenario("rolling-upgrade", ("upgrade",), "records", hazard=hazard)
    return SystemEntry(name, description, system, opts, WORKLOADS,
                       scenarios=(upgrade,), common_mix=False, hazards=hazards,
                       settings=system.settings_type)  # fmt: skip


def _leaderless_entry(
    name: str, description: str, hazards: tuple[str, ...] = (), **options: Any
) -> SystemEntry:
    quorum = {"n": 3, "w": 2, "r": 2, "read_repair": True, "anti_entropy": True}
    return _entry(name, description, hazards, LeaderlessRecordSystem,
                  **{**quorum, "sloppy": False, **options})  # fmt: skip


ENTRIES = [
    _entry(
        "leader-follower-rolling-upgrade",
        "single leader, rolling upgrade v1 -> v2 (adds email): old code keeps unknown fields",
    ),
    _entry(
        "leader-follower-rolling-upgrade-avro",
        "as leader-follower-rolling-upgrade with Avro writer/reader schema resolution",
        encoding="avro",
    ),
    _entry(
        "leader-follower-upgrade-drops-unknown",
        "single leader, rolling upgrade v1 -> v2 (named unsafe: old code drops the email "
        "field it does not know when it rewrites a record)",
        hazards=("field-preservation",),
        keep_unknown=False,
    ),
    _entry(
        "leader-follower-upgrade-forced-incompatible",
        "single leader, upgrade v2 -> v3 adding a required field without default, forced "
        "past the compatibility check (named unsafe: v3 cannot decode old records)",
        hazards=("field-preservation",),
        versions=[2, 3],
        force_upgrade=True,
    ),
    _leaderless_entry(
        "leaderless-rolling-upgrade",
        "Dynamo-style N=3 W=2 R=2, rolling upgrade v1 -> v2 (adds email): every replica "
        "stores, repairs and hands off records through its own schema and keeps unknown fields",
    ),
    _leaderless_entry(
        "leaderless-upgrade-drops-unknown",
        "as leaderless-rolling-upgrade (named unsafe: old code -- replicas storing, "
        "coordinators repairing and rewriting -- drops the email field it does not know)",
        hazards=("field-preservation",),
        keep_unknown=False,
    ),
]
