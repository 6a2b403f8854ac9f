"""A source of record, a derived view, and the two ways to keep the view up to date.

Theory of operation
-------------------
``SourceNode`` (``db``) is the system of record: a KV store whose write-ahead log is also
its *change log* -- every write gets the next log sequence number (LSN), is fsynced, then
acknowledged, and ``changes`` serves the log from any LSN (the replication-log tap that
change data capture reads).

``ViewNode`` (``view``) holds derived data: a *cache* (key -> value), a *secondary index*
(value -> keys) and a *materialized aggregate* (key -> number of writes applied).  It is
fed one of two ways:

* **dual writes** (``derived-dual-writes``): the application writes the source, then the
  view (``put``).  Two clients writing one key race: A writes the source, B writes the
  source, B writes the view, A writes the view (the application works ``think_ns`` between
  its two writes, widening the window) -- the source says B, the view says A,
  and nothing ever repairs it.  A client that dies between its two writes leaves the view
  behind for good too.
* **change data capture** (``derived-cdc``): the application writes only the source.
  ``ConnectorNode`` (``cdc``) tails the source's change log and produces each change
  ``[lsn, key, value]`` into the broker (``broker``, partitioned by key, so each key's
  changes stay in log order), checkpointing the LSN it has produced up to (durable, after
  the broker acknowledged).  The view consumes the partitions, applies each change, logs
  what it applied (fsync) and commits its offsets to the broker only now and then.  A crash
  of the connector or of the view therefore *replays* changes (at-least-once); the view
  applies a change only if its LSN is newer than the key's last applied LSN (idempotent),
  so replays do no harm.  ``idempotent=False`` (named unsafe) applies every delivery, so a
  replay counts a write twice.  ``durable_view=False`` keeps the view in memory only and
  rebuilds it on restart by replaying the whole log from offset 0 (event sourcing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, option_defaults, typed_options
from systems import Scenario, SystemEntry, known_claims
from systems.derived._log import BrokerNode, read_records
from systems.sim import MS, Message, RequestTimeout, Runtime, now_ns

WAL = "wal"
VIEW_WAL = "view-wal"
CHECKPOINT = "checkpoint"
VIEW_GROUP = "view"
#: how often the connector and the view poll, and the view commits its offsets
TICK_NS = 10 * MS
COMMIT_EVERY_NS = 200 * MS
#: a request without a reply after this long is abandoned and retried
RETRY_NS = 150 * MS


def _ok(**fields: Any) -> dict[str, Any]:
    return {"type": "ok", **fields}


def partition_of(key: Any, partitions: int) -> int:
    return sum(json.dumps(key).encode()) % partitions


class SourceNode:
    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.versions: dict[Any, int] = {}
        self.log: list[list[Any]] = []  # [lsn, key, value]; lsn = index + 1

    def on_start(self, rt: Runtime) -> None:
        for entry in read_records(rt, WAL):
            self._apply(entry)

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass

    def _apply(self, entry: list[Any]) -> None:
        _, k, v = entry
        self.log.append(entry)
        self.data[k] = v
        self.versions[k] = self.versions.get(k, 0) + 1

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        t = body.get("type")
        if t == "write":
            entry = [len(self.log) + 1, body["key"], body["value"]]
            rt.disk.append(WAL, (json.dumps(entry) + "\n").encode())
            rt.disk.fsync(WAL)
            self._apply(entry)
            rt.reply(msg, _ok(lsn=entry[0]))
        elif t == "read":
            rt.reply(msg, _ok(value=self.data.get(body["key"])))
        elif t == "read-all":
            rows = [[k, self.data[k], self.versions[k]] for k in sorted(self.data, key=repr)]
            rt.reply(msg, _ok(value=rows, lsn=len(self.log)))
        elif t == "changes":
            start = int(body["from"])
            rt.reply(msg, _ok(changes=self.log[start : start + int(body.get("max", 100))]))
        else:
            rt.reply(msg, {"type": "error", "code": "unsupported", "definite": True})


class _Requests:
    """Outstanding node-to-node requests, correlated by ``msg_id``, retried when stale."""

    def __init__(self) -> None:
        self.next_id = 0
        self.pending: dict[int, tuple[str, int]] = {}  # msg_id -> (purpose, sent at)

    def send(self, rt: Runtime, dst: str, purpose: str, body: dict[str, Any]) -> None:
        self.next_id += 1
        self.pending[self.next_id] = (purpose, rt.now())
        rt.send(dst, {**body, "msg_id": self.next_id})

    def take(self, msg: Message) -> str | None:
        entry = self.pending.pop(msg.body.get("in_reply_to", -1), None)
        return entry[0] if entry else None

    def busy(self, rt: Runtime, purpose: str) -> bool:
        """Is a request for ``purpose`` in flight?  Stale ones are dropped (retried)."""
        for mid, (p, sent) in list(self.pending.items()):
            if p == purpose:
                if rt.now() - sent < RETRY_NS:
                    return True
                del self.pending[mid]
        return False


class ConnectorNode:
    """CDC: source change log -> broker partitions, checkpointed after the broker's acks."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.checkpoint = 0  # LSNs up to here are in the broker
        self.req = _Requests()
        self.batch: list[list[Any]] = []
        self.acks_missing: set[int] = set()

    def on_start(self, rt: Runtime) -> None:
        checkpoints = read_records(rt, CHECKPOINT)
        self.checkpoint = int(checkpoints[-1]) if checkpoints else 0
        rt.set_timer(TICK_NS, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(TICK_NS, "tick")
        if self.batch:
            if not self.req.busy(rt, "produce"):
                self._produce(rt)  # some acks never came: produce the batch again
        elif not self.req.busy(rt, "changes"):
            self.req.send(rt, "db", "changes", {"type": "changes", "from": self.checkpoint})

    def on_message(self, rt: Runtime, msg: Message) -> None:
        purpose = self.req.take(msg)
        if purpose == "changes" and not self.batch and msg.body.get("type") == "ok":
            self.batch = msg.body["changes"]
            if self.batch:
                self._produce(rt)
        elif purpose == "produce" and msg.body.get("type") == "ok":
            self.acks_missing.discard(msg.body["in_reply_to"])
            if not self.acks_missing and self.batch:
                self.checkpoint = self.batch[-1][0]
                rt.disk.append(CHECKPOINT, f"{self.checkpoint}\n".encode())
                rt.disk.fsync(CHECKPOINT)
                self.batch = []

    def _produce(self, rt: Runtime) -> None:
        by_partition: dict[int, list[list[Any]]] = {}
        for change in self.batch:
            by_partition.setdefault(partition_of(change[1], self.partitions), []).append(change)
        self.acks_missing = set()
        for p, values in sorted(by_partition.items()):
            body = {"type": "produce_batch", "partition": p, "values": values}
            self.req.send(rt, "broker", "produce", body)
            self.acks_missing.add(self.req.next_id)


class ViewState:
    """Cache, secondary index by value, and applied-write counts; applied LSN per key."""

    def __init__(self, idempotent: bool = True) -> None:
        self.idempotent = idempotent
        self.cache: dict[Any, Any] = {}
        self.versions: dict[Any, int] = {}
        self.lsn: dict[Any, int] = {}

    def apply(self, lsn: int | None, k: Any, v: Any) -> bool:
        """Apply one change; False if it was already applied (a replayed delivery)."""
        if self.idempotent and lsn is not None and lsn <= self.lsn.get(k, 0):
            return False
        self.cache[k] = v
        self.versions[k] = self.versions.get(k, 0) + 1
        if lsn is not None:
            self.lsn[k] = max(lsn, self.lsn.get(k, 0))
        return True

    def dump(self) -> dict[str, Any]:
        index: dict[str, tuple[Any, list[Any]]] = {}
        for k in sorted(self.cache, key=repr):
            v = self.cache[k]
            index.setdefault(json.dumps(v), (v, []))[1].append(k)
        return {
            "cache": [[k, self.cache[k]] for k in sorted(self.cache, key=repr)],
            "index": [[v, ks] for _, (v, ks) in sorted(index.items())],
            "versions": [[k, self.versions[k]] for k in sorted(self.versions, key=repr)],
        }


class ViewNode:
    """The derived view; with ``partitions`` it consumes the CDC topic, else takes ``put``."""

    def __init__(
        self, partitions: int = 0, idempotent: bool = True, durable_view: bool = True
    ) -> None:
        self.partitions = partitions
        self.durable_view = durable_view
        self.state = ViewState(idempotent)
        self.positions: dict[int, int] = {}
        self.req = _Requests()
        self.last_commit = 0

    def on_start(self, rt: Runtime) -> None:
        if self.durable_view:
            for change in read_records(rt, VIEW_WAL):
                self.state.apply(*change)
        if self.partitions:
            if not self.durable_view:
                self.positions = dict.fromkeys(range(self.partitions), 0)  # rebuild
            rt.set_timer(TICK_NS, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(TICK_NS, "tick")
        for p in range(self.partitions):
            if p not in self.positions:
                if not self.req.busy(rt, f"committed/{p}"):
                    body = {"type": "committed", "group": VIEW_GROUP, "partition": p}
                    self.req.send(rt, "broker", f"committed/{p}", body)
            elif not self.req.busy(rt, f"fetch/{p}"):
                body = {"type": "fetch", "partition": p, "offset": self.positions[p], "max": 50}
                self.req.send(rt, "broker", f"fetch/{p}", body)
        if self.durable_view and rt.now() - self.last_commit >= COMMIT_EVERY_NS:
            self.last_commit = rt.now()
            for p, pos in sorted(self.positions.items()):
                rt.send("broker", {"type": "commit", "group": VIEW_GROUP, "partition": p,
                                   "offset": pos})  # fmt: skip

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        if body.get("type") in ("ok", "error"):  # a reply (commits' replies go unclaimed)
            self._on_reply(rt, self.req.take(msg), body)
        elif body.get("type") == "put":
            self._apply_logged(rt, [[None, body["key"], body["value"]]])
            rt.reply(msg, _ok())
        elif body.get("type") == "get":
            rt.reply(msg, _ok(value=self.state.cache.get(body["key"])))
        elif body.get("type") == "read-all":
            rt.reply(msg, _ok(value=self.state.dump()))
        else:
            rt.reply(msg, {"type": "error", "code": "unsupported", "definite": True})

    def _on_reply(self, rt: Runtime, purpose: str | None, body: dict[str, Any]) -> None:
        if purpose is None or body.get("type") != "ok":
            return
        kind, _, p = purpose.partition("/")
        if kind == "committed":
            self.positions[int(p)] = body["offset"] or 0
        elif kind == "fetch" and body["records"]:
            self._apply_logged(rt, [value for _, value in body["records"]])
            self.positions[int(p)] = body["records"][-1][0] + 1

    def _apply_logged(self, rt: Runtime, changes: list[list[Any]]) -> None:
        applied = [c for c in changes if self.state.apply(*c)]
        if applied and self.durable_view:
            rt.disk.append(VIEW_WAL, b"".join((json.dumps(c) + "\n").encode() for c in applied))
            rt.disk.fsync(VIEW_WAL)


class DerivedClient:
    """The application: writes the source (and, with ``dual_writes``, then the view)."""

    def __init__(
        self, world: Any, name: str, dual_writes: bool, think_ns: int, timeout_ns: int = 500 * MS
    ) -> None:
        self.endpoint = world.client(name)
        self.rng = world.rng_for(f"client/{name}")
        self.dual_writes = dual_writes
        self.think_ns = think_ns
        self.timeout_ns = timeout_ns

    async def open(self, node: str) -> None:
        pass

    async def close(self) -> None:
        self.endpoint.close()

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._invoke(op["f"], op.get("value"))
        except RequestTimeout:
            return {"type": "info", "value": op.get("value"), "error": "timeout"}

    async def _request(self, node: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.endpoint.request(node, body, self.timeout_ns)

    async def _invoke(self, f: str, value: Any) -> dict[str, Any]:
        if f == "write":
            k, v = value
            reply = await self._request("db", {"type": "write", "key": k, "value": v})
            steps = {"source": now_ns()}
            if self.dual_writes:
                await trio.sleep(self.rng.randrange(self.think_ns + 1) / 1e9)
                await self._request("view", {"type": "put", "key": k, "value": v})
                steps["view"] = now_ns()
            return {"type": "ok", "value": value, "lsn": reply["lsn"], "steps": steps}
        if f in ("read", "read-view"):
            node, t = ("db", "read") if f == "read" else ("view", "get")
            reply = await self._request(node, {"type": t, "key": value[0]})
            return {"type": "ok", "value": [value[0], reply["value"]]}
        if f == "read-all":
            source = await self._request("db", {"type": "read-all"})
            view = await self._request("view", {"type": "read-all"})
            return {"type": "ok", "value": {"source": source["value"], "view": view["value"]}}
        return {"type": "fail", "value": value, "error": f"unknown op {f!r}"}


@dataclass(frozen=True)
class DerivedOptions:
    """The derived-data pipeline's options (one declaration: types, defaults, help)."""

    feed: str = option("cdc", choices=("cdc", "dual-writes"))
    claims: tuple[str, ...] = option((), help="the guarantees this configuration claims")
    partitions: int = 2
    idempotent: bool = option(True, help="the view applies a change only if its LSN is newer")
    durable_view: bool = option(True, help="the view is logged (else rebuilt from the log)")
    think_ns: int = option(20 * MS, help="the application's work between its two writes")

    def __post_init__(self) -> None:
        known_claims(self.claims, "system derived")


class DerivedSystem:
    """``db`` + ``view`` (dual writes), or ``db`` + ``cdc`` + ``broker`` + ``view`` (CDC)."""

    name = "derived"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = typed_options(DerivedOptions, options, "system derived")
        self.claims = frozenset(self.settings.claims)
        self.dual = self.settings.feed == "dual-writes"

    def node_names(self) -> list[str]:
        return ["db", "view"] if self.dual else ["db", "cdc", "broker", "view"]

    def setup(self, world: Any) -> None:
        world.add_node("db", SourceNode)
        if self.dual:
            world.add_node("view", ViewNode)
            return
        p = self.settings.partitions
        idem, durable = self.settings.idempotent, self.settings.durable_view
        world.add_node("cdc", lambda: ConnectorNode(p))
        world.add_node("broker", lambda: BrokerNode(partitions=p))
        world.add_node("view", lambda: ViewNode(p, idem, durable))

    def client(self, world: Any, process: int) -> DerivedClient:
        think = self.settings.think_ns
        return DerivedClient(world, f"c{process}", self.dual, think)


#: the values every entry lists besides its claims (the dataclass's defaults)
DEFAULTS: dict[str, Any] = {
    k: v for k, v in option_defaults(DerivedOptions).items() if k != "claims"
}


def _entry(name: str, description: str, claims: frozenset[str], **opts: Any) -> SystemEntry:
    defaults = {**DEFAULTS, **opts, "claims": sorted(claims)}
    return SystemEntry(
        name, description, DerivedSystem, defaults, ("derived-view",), settings=DerivedOptions
    )


ENTRIES = [
    _entry(
        "derived-cdc",
        "source DB -> change data capture -> log broker -> derived view (cache, index, "
        "counts); at-least-once, idempotent apply by LSN: converges",
        frozenset({"convergence"}),
    ),
    _entry(
        "derived-cdc-rebuild",
        "CDC as derived-cdc, but the view lives in memory and is rebuilt by replaying the "
        "whole log on restart (event sourcing)",
        frozenset({"convergence"}),
        durable_view=False,
    ),
    _entry(
        "derived-cdc-non-idempotent",
        "CDC whose view applies every delivery (named unsafe: replays after a crash count "
        "writes twice)",
        frozenset(),
        idempotent=False,
    ).declaring(
        scenarios=(Scenario("kill", ("kill",), "derived-view", hazard="convergence"),),
        hazards=("convergence",),
    ),
    _entry(
        "derived-dual-writes",
        "the application writes the source DB, then the view (named unsafe: racing dual "
        "writes leave the view permanently inconsistent)",
        frozenset(),
        feed="dual-writes",
    ).declaring(
        scenarios=(Scenario("racing-writes", (), "derived-view", hazard="convergence"),),
        hazards=("convergence",),
    ),
]
