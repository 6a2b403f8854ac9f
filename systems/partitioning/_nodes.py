"""Partitioned storage (DDIA chapter 6): storage nodes and partition moves (``_meta``: the
metadata node).

Theory of operation
-------------------
Keys map to a *point*: ``hash(key)`` (a stable 32-bit hash, ``scheme="hash"``) or, for
``scheme="range"``, the key itself when it is an int (keys sort; sequential ids all land in
the last range -- DDIA's hot spot).  A fixed number of partitions (``partitions``) each own
a range of points.  ``meta`` is the metadata service (ZooKeeper's role): it holds the
authoritative assignment ``{pid: [lo, hi, owner, epoch]}``, persists it, and pushes it to
every node every ``4 * tick_ms`` (asynchronously, so for a while after each move nodes route
by a stale map: the former owner forwards).

*Rebalancing while clients run*, node ``n4`` joining the members at ``join_ms``:

* ``rebalance="fixed"`` -- a fixed number of partitions, moved whole: every
  ``rebalance_ms`` the meta node moves one partition from the most to the least loaded
  member, and with ``churn`` one random partition to a random other member;
* ``rebalance="dynamic"`` -- one partition at first; an owner reports partitions over
  ``split_at`` keys with their median, and meta splits there (the owner serves by range,
  so it keeps serving both halves until it has split its data); halves then balance;
* ``rebalance="proportional"`` -- consistent hashing: ``tokens`` points per node on the
  ring; a joining node's tokens split the arcs they land in and it takes the upper halves.

A move is a handoff with a new epoch:

1. meta -> source ``handoff(pid, to, epoch)`` (retried each tick until done);
2. the source *freezes* the partition (persisted; from now on it refuses it with a
   ``wrong-node`` hint) and sends its data to the destination (``move-in``);
3. the destination installs the data (fsync), owns the partition, and tells meta;
4. meta records the new owner and pushes the new map.

At every moment at most one node serves a partition, and the data moves with ownership, so
single-key operations stay linearizable through moves.

*Request routing.*  Any node accepts any request: if it does not own the key's partition it
forwards it (to the owner by its own map, or by a hint), up to ``MAX_HOPS``; a request that
cannot find its owner (a partition in flight) fails definitely and the client retries.
Clients either know the map (``routing="client"``, partition-aware), pick a random node
(``routing="any-node"``), or send everything to a routing tier (``routing="tier"``: the
``router`` node, a storage node that owns no partition, so it forwards every request by its
copy of the map -- which, like every node's, can be stale during a move).

*Secondary indexes* on a document's ``color``:

* ``index="local"`` (document-partitioned) -- each partition indexes its own documents; an
  index read scatters to every partition and gathers (``index-part`` per partition);
* ``index="global"`` (term-partitioned) -- the entry for term ``t`` is the key ``idx/t``,
  stored in whichever partition owns that key.  A document write updates it
  *asynchronously*: the owner of the document queues an ``index-add`` for the term's owner
  and retries it every tick until acknowledged, so an index read can miss documents whose
  writes were already acknowledged (stale index reads: a finding, not a failure).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from systems.partitioning import _termindex as tix
from systems.partitioning import _termtx as ttx
from systems.sim import MS, Message, Runtime, load_json, save_json

STATE, META_STATE = "state", "meta"
#: the routing tier (``routing="tier"``): a node that owns nothing and forwards everything
ROUTER = "router"
MAX_HOPS = 4
POINTS = 1 << 32
#: the recent (client, request id, reply) triples a partition remembers
SEEN_WINDOW = 64
#: a partition's two-phase-commit state (``_termtx``), which moves and splits with it
TX_FIELDS = ("locks", "tx", "txdone")


def ok(value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "ok", "value": value, **extra}


def error(code: str, definite: bool, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite, **extra}


@dataclass(frozen=True)
class PartConfig:
    nodes: tuple[str, ...]
    #: the storage nodes that own partitions from the start (the rest join at ``join_ms``)
    initial: tuple[str, ...]
    scheme: str = "hash"
    partitions: int = 12
    index: str = "local"
    rebalance_ms: int = 300
    churn: bool = True
    join_ms: int = 1500
    tick_ms: int = 50
    #: ``fixed``: ``partitions`` partitions for ever; ``dynamic``: start with one partition
    #: and split any that holds more than ``split_at`` keys (DDIA's dynamic partitioning)
    rebalance: str = "fixed"
    split_at: int = 24
    #: ``proportional``: each node places ``tokens`` random points on the hash ring and
    #: owns the arcs from its tokens (consistent hashing); a joining node's tokens split
    #: the arcs they land in and it takes the upper halves (Cassandra's scheme)
    tokens: int = 4


def point_of(cfg: PartConfig, key: Any) -> int:
    if cfg.scheme == "range" and isinstance(key, int):
        return max(0, min(POINTS - 1, key))
    return zlib.crc32(json.dumps(key).encode()) % POINTS


def initial_map(cfg: PartConfig) -> dict[str, list[Any]]:
    """``{pid: [lo, hi, owner, epoch]}``; range partitions split the point space evenly,
    except that ``range`` puts small int keys (ids) together in the first partitions."""
    if cfg.rebalance == "proportional":
        return ring_map(cfg)
    out: dict[str, list[Any]] = {}
    n = 1 if cfg.rebalance == "dynamic" else cfg.partitions
    for i in range(n):
        if cfg.scheme == "range":  # ids 0..n*64 spread over the first n-1; the rest last
            lo, hi = i * 64, (i + 1) * 64 if i < n - 1 else POINTS
        else:
            lo, hi = i * POINTS // n, (i + 1) * POINTS // n
        out[str(i)] = [lo, hi, cfg.initial[i % len(cfg.initial)], 1]
    return out


def token_of(node: str, i: int) -> int:
    return zlib.crc32(f"token/{node}/{i}".encode()) % POINTS


def ring_map(cfg: PartConfig) -> dict[str, list[Any]]:
    """Arcs ``[token, next token)`` owned by the token's node; ``[0, first)`` wraps around
    to the last token's node."""
    tokens = sorted((token_of(n, i), n) for n in cfg.initial for i in range(cfg.tokens))
    arcs: list[tuple[int, int, str]] = [(0, tokens[0][0], tokens[-1][1])]
    for (t, n), (nxt, _) in zip(tokens, [*tokens[1:], (POINTS, "")], strict=True):
        arcs.append((t, nxt, n))
    return {str(i): [lo, hi, n, 1] for i, (lo, hi, n) in enumerate(arcs) if lo < hi}


def pid_for(pmap: dict[str, list[Any]], point: int) -> str:
    for pid, (lo, hi, _, _) in pmap.items():
        if lo <= point < hi:
            return pid
    raise KeyError(point)


class StorageNode:
    """Owns some partitions (data, persisted), forwards the rest, feeds the global index."""

    def __init__(self, cfg: PartConfig) -> None:
        self.cfg = cfg
        self.map: dict[str, list[Any]] = initial_map(cfg)
        self.version = 0
        self.parts: dict[str, dict[str, Any]] = {}  # pid -> {"epoch", "data", "frozen_to"}
        self.outbox: list[list[Any]] = []  # global index updates not yet acknowledged
        self.relays: dict[int, Message] = {}
        self.next_relay = 0
        self.toutbox: list[list[Any]] = []  # term-index changes not yet acknowledged
        self.waiting: list[list[Any]] = []  # term-sync: [origin, reply, changes still due]
        self.txns: dict[str, Any] = {}  # term-sync: the transactions this node coordinates
        self.txseq = 0

    def on_start(self, rt: Runtime) -> None:
        state = load_json(rt.disk, STATE, None)
        if state is None:
            for pid, (lo, hi, owner, epoch) in self.map.items():
                if owner == rt.name:
                    self.parts[pid] = {"epoch": epoch, "data": [], "frozen_to": None,
                                       "range": [lo, hi]}  # fmt: skip
        else:
            self.parts, self.outbox = state["parts"], state["outbox"]
            self.map, self.version = state["map"], state["version"]
            self.toutbox = state.get("toutbox", [])
            self.txns, self.txseq = state.get("txns", {}), state.get("txseq", 0)
        rt.set_timer(self.cfg.tick_ms * MS, "tick")

    def _persist(self, rt: Runtime) -> None:
        state = {"parts": self.parts, "outbox": self.outbox, "map": self.map,
                 "version": self.version}  # fmt: skip
        if self.cfg.index in tix.TERM_MODES:
            state.update(toutbox=self.toutbox, txns=self.txns, txseq=self.txseq)
        save_json(rt.disk, STATE, state)

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(self.cfg.tick_ms * MS, "tick")
        if self.cfg.rebalance == "dynamic":
            self._report_sizes(rt)
        for term, key in self.outbox:
            req = {"type": "index-add", "key": f"idx/{term}", "doc": key, "from": rt.name}
            self._route(rt, req, None, 0)
        for change in self.toutbox:
            self._route(rt, tix.request(change, rt.name), None, 0)
        if self.txns:
            self._tx_tick(rt)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        kind = body.get("type")
        if kind == "map":
            self._learn_map(rt, body["map"], body["version"])
            if msg.src != "meta":
                rt.reply(msg, ok(self.map, version=self.version))
        elif kind == "handoff":
            self._on_handoff(rt, body)
        elif kind == "move-in":
            self._on_move_in(rt, body)
        elif kind == "fwd":
            self._route(rt, body["req"], (msg.src, body["rid"]), body["hops"])
        elif kind == "fwd-reply":
            waiting = self.relays.pop(body["rid"], None)
            if waiting is not None:
                self._answer(rt, waiting, body["body"])
        elif kind == "split":
            self._on_split(rt, body)
        elif kind == "index-added":
            self._on_index_added(rt, body)
        elif kind == "tidx-done":
            self._on_term_done(rt, body["change"])
        elif kind in ("tx-vote", "tx-acked"):
            self._on_tx_reply(rt, body)
        else:
            self._route(rt, body, msg, 0)

    def _learn_map(self, rt: Runtime, pmap: dict[str, list[Any]], version: int) -> None:
        if version <= self.version:
            return
        self.map, self.version = pmap, version
        gone = [p for p, part in self.parts.items()
                if part["frozen_to"] is not None and pmap[p][3] > part["epoch"]]  # fmt: skip
        for p in gone:  # the move finished: forward by the map from now on
            del self.parts[p]
        self._persist(rt)

    # -- routing ------------------------------------------------------------------------
    def _answer(self, rt: Runtime, origin: Any, reply: dict[str, Any]) -> None:
        if origin is None:
            return
        if isinstance(origin, Message):
            rt.reply(origin, reply)
        else:
            node, rid = origin
            rt.send(node, {"type": "fwd-reply", "rid": rid, "body": reply})

    def _route(self, rt: Runtime, req: dict[str, Any], origin: Any, hops: int) -> None:
        if isinstance(origin, Message) and "msg_id" in req:  # who asked, for deduplication
            req = {**req, "client": origin.src}
        if req.get("type") == "index-part":
            pid = str(req["pid"])
            if pid not in self.map and pid not in self.parts:
                self._answer(rt, origin, error("wrong-node", True, owner=None, pid=pid))
                return
        else:
            pid = pid_for(self.map, point_of(self.cfg, _key(req.get("key"))))
        part = self._owned(pid, req)
        if part is not None and part["frozen_to"] is None:
            self._hold(rt, origin, {**self._serve_once(rt, pid, part, req), "hops": hops})
            return
        hint = part["frozen_to"] if part is not None else self.map.get(pid, [0, 0, None])[2]
        if hops >= MAX_HOPS or hint in (rt.name, None):
            self._answer(rt, origin, error("wrong-node", True, owner=hint, pid=pid))
            return
        self.next_relay += 1
        rid = self.next_relay
        if origin is not None:
            self.relays[rid] = origin
        rt.send(hint, {"type": "fwd", "rid": rid, "req": req, "hops": hops + 1})

    def _hold(self, rt: Runtime, origin: Any, reply: dict[str, Any]) -> None:
        """Answer now, or park the reply until what it waits for is done: its index changes
        (``term-sync-nonatomic``) or its transaction's decision (``term-sync``)."""
        park = reply.pop("park", [])
        txn = self.txns.get(park[0]) if self.cfg.index == "term-sync" and park else None
        if park and self.cfg.index == "term-sync" and (txn is None or txn["decision"]):
            self._answer(rt, origin, _tx_reply(txn, reply))  # a duplicate, or decided
            return
        due = [c for c in park if c in self.toutbox or c in self.txns]
        if due and origin is not None:
            self.waiting.append([origin, reply, due])
        else:
            self._answer(rt, origin, reply)

    def _owned(self, pid: str, req: dict[str, Any]) -> dict[str, Any] | None:
        """The partition holding the request's key, if this node has it."""
        if req.get("type") == "index-part":
            return self.parts.get(pid)
        point = point_of(self.cfg, _key(req.get("key")))
        for part in self.parts.values():
            lo, hi = part["range"]
            if lo <= point < hi:
                return part
        return None

    # -- serving ------------------------------------------------------------------------
    def _serve_once(
        self, rt: Runtime, pid: str, part: dict[str, Any], req: dict[str, Any]
    ) -> dict[str, Any]:
        """Serve; a write or cas the network duplicated gets the original's reply."""
        if req.get("type") not in ("write", "cas") or "client" not in req:
            reply: dict[str, Any] = self._serve(rt, pid, part, req)
            return reply
        tag = [req["client"], req["msg_id"]]
        seen = part.setdefault("seen", [])
        for entry in seen:
            if entry[:2] == tag:
                return dict(entry[2])
        reply = self._serve(rt, pid, part, req)
        seen.append([*tag, reply])
        del seen[:-SEEN_WINDOW]
        self._persist(rt)
        return reply

    def _serve(self, rt: Runtime, pid: str, part: dict[str, Any], req: dict[str, Any]) -> Any:
        data = dict((json.dumps(k), v) for k, v in part["data"])
        kind, key = req.get("type"), req.get("key")
        jk = json.dumps(key)
        if kind == "read":
            return ok(data.get(jk), node=rt.name, pid=pid)
        if kind == "index-part":
            term = req["term"]
            docs = [json.loads(k) for k, v in data.items() if _color(v) == term]
            return ok(sorted(docs), node=rt.name, pid=pid, range=part["range"])
        if kind == "index-read":
            return ok(sorted(data.get(jk) or []), node=rt.name, pid=pid)
        if kind == "tidx-read":
            if ttx.locked_read(part, key):
                return error("locked", True)
            return ok(tix.members(data.get(jk)), node=rt.name, pid=pid)
        if kind == "cas" and data.get(jk) != req["value"][0]:
            return error("cas-mismatch", True)
        if kind == "index-add":
            data[jk] = sorted({*(data.get(jk) or []), req["doc"]})
            done = {"type": "index-added", "term": str(key)[len("idx/") :], "doc": req["doc"]}
            rt.send(req["from"], done)
        elif kind == "tidx":
            data[jk] = tix.apply(data.get(jk), req["change"])
            rt.send(req["from"], {"type": "tidx-done", "change": req["change"]})
        elif kind in ("tx-prepare", "tx-commit", "tx-abort"):
            rt.send(req["from"], ttx.serve(part, data, req))
        elif kind in ("write", "cas"):
            new = req["value"][1] if kind == "cas" else req["value"]
            if self.cfg.index in tix.TERM_MODES:
                return self._term_write(rt, pid, part, data, req)
            self._index_update(data.get(jk), new, key)
            data[jk] = new
        else:
            return error("unsupported", True)
        part["data"] = [[json.loads(k), v] for k, v in data.items()]
        self._persist(rt)  # fsynced before the reply: the acknowledgement promises durability
        return ok(None, node=rt.name, pid=pid, durable=True)

    def _term_write(
        self, rt: Runtime, pid: str, part: dict[str, Any], data: dict[str, Any], req: Any
    ) -> dict[str, Any]:
        """Store a versioned document, queue its index changes and send them at once."""
        jk = json.dumps(req["key"])
        new = tix.versioned(data.get(jk), req["value"])
        todo = tix.changes(data.get(jk), new, req["key"])
        if self.cfg.index == "term-sync" and jk in part.setdefault("locks", {}):
            return error("locked", True)  # a transaction on this document is in flight
        if self.cfg.index == "term-sync" and todo:
            return self._tx_write(rt, pid, part, req, (new, todo))
        data[jk] = new
        self.toutbox.extend(todo)
        part["data"] = [[json.loads(k), v] for k, v in data.items()]
        self._persist(rt)
        for change in todo:
            self._route(rt, tix.request(change, rt.name), None, 0)
        park = todo if self.cfg.index == "term-sync-nonatomic" else []
        return ok(None, node=rt.name, pid=pid, park=park, durable=True)  # persisted above

    # -- term-sync: two-phase commit (_termtx) -------------------------------------------
    def _tx_write(
        self, rt: Runtime, pid: str, part: dict[str, Any], req: Any, planned: Any
    ) -> dict[str, Any]:
        """Lock the document with its new value and send the prepares; the reply waits.
        (A write with no index change needs no transaction: ``_term_write`` stores it.)"""
        jk, (new, todo) = json.dumps(req["key"]), planned
        self.txseq += 1
        txid = f"{rt.name}/{self.txseq}"
        part["locks"][jk] = [txid, new]
        ttx.begin(self.txns, txid, req["key"], todo)
        self._persist(rt)
        for body in ttx.prepares(txid, self.txns[txid], rt.name):
            self._route(rt, body, None, 0)
        return ok(None, node=rt.name, pid=pid, park=[txid], durable=True)

    def _on_tx_reply(self, rt: Runtime, body: dict[str, Any]) -> None:
        txid = body["txid"]
        txn = self.txns.get(txid)
        if txn is None:
            return
        if body["type"] == "tx-vote":
            decision = ttx.on_vote(txn, body)
            if decision is not None:
                self._tx_decide(rt, txid, decision)
            return
        if body["key"] not in txn["acked"]:
            txn["acked"].append(body["key"])
        if len(txn["acked"]) > len(txn["keys"]):  # the document and every term
            del self.txns[txid]
            self._persist(rt)

    def _tx_decide(self, rt: Runtime, txid: str, decision: str) -> None:
        self.txns[txid]["decision"] = decision
        self._persist(rt)  # the decision is durable before anyone hears of it
        for body in ttx.decisions(txid, self.txns[txid], rt.name):
            self._route(rt, body, None, 0)
        still = []
        for origin, reply, due in self.waiting:
            if txid not in due:
                still.append([origin, reply, due])
            else:
                self._answer(rt, origin, reply if decision == "commit" else
                             error("aborted", True))  # fmt: skip
        self.waiting = still

    def _tx_tick(self, rt: Runtime) -> None:
        aborts, out = ttx.tick(self.txns, rt)
        for txid in aborts:
            self._tx_decide(rt, txid, "abort")
        for body in out:
            self._route(rt, body, None, 0)

    def _on_term_done(self, rt: Runtime, change: list[Any]) -> None:
        if change in self.toutbox:
            self.toutbox.remove(change)
            self._persist(rt)
        still = []
        for origin, reply, due in self.waiting:
            due = [c for c in due if c != change]
            if due:
                still.append([origin, reply, due])
            else:
                self._answer(rt, origin, reply)
        self.waiting = still

    def _index_update(self, old: Any, new: Any, key: Any) -> None:
        term = _color(new)
        if self.cfg.index == "global" and term is not None and term != _color(old):
            self.outbox.append([term, key])

    def _on_index_added(self, rt: Runtime, body: dict[str, Any]) -> None:
        done = [body["term"], body["doc"]]
        if done in self.outbox:
            self.outbox.remove(done)
            self._persist(rt)

    # -- dynamic splitting --------------------------------------------------------------
    def _report_sizes(self, rt: Runtime) -> None:
        sizes = {}
        for pid, part in self.parts.items():
            if part["frozen_to"] is None and len(part["data"]) > self.cfg.split_at:
                points = sorted(point_of(self.cfg, _key(k)) for k, _ in part["data"])
                sizes[pid] = [part["epoch"], points[len(points) // 2]]
        if sizes:
            rt.send("meta", {"type": "sizes", "sizes": sizes})

    def _on_split(self, rt: Runtime, body: dict[str, Any]) -> None:
        pid, new, mid, epoch = str(body["pid"]), str(body["new"]), body["mid"], body["epoch"]
        part = self.parts.get(pid)
        if part is not None and part["epoch"] < epoch and part["frozen_to"] is None:
            lo, hi = part["range"]
            low = [kv for kv in part["data"] if point_of(self.cfg, _key(kv[0])) < mid]
            high = [kv for kv in part["data"] if point_of(self.cfg, _key(kv[0])) >= mid]
            seen = part.get("seen", [])
            self.parts[pid] = {"epoch": epoch, "data": low, "frozen_to": None, "range": [lo, mid],
                               "seen": seen}  # fmt: skip
            self.parts[new] = {"epoch": epoch, "data": high, "frozen_to": None,
                               "range": [mid, hi], "seen": list(seen)}  # fmt: skip
            for half in (self.parts[pid], self.parts[new]):
                half.update(self._tx_share(part, half["range"]))
            self._persist(rt)
        if pid in self.parts and self.parts[pid]["epoch"] >= epoch:
            rt.send("meta", {"type": "split-done", "pid": pid, "epoch": epoch})

    def _tx_share(self, part: dict[str, Any], rng: list[int]) -> dict[str, Any]:
        """The locks and prepared changes of keys in ``rng`` (a split half), and every
        decided id (a late prepare must vote no in either half)."""
        points = {jk: point_of(self.cfg, _key(json.loads(jk))) for jk in part.get("locks", {})}
        locks = {jk: v for jk, v in part.get("locks", {}).items() if rng[0] <= points[jk] < rng[1]}
        tx = {t: v for t, v in part.get("tx", {}).items()
              if rng[0] <= point_of(self.cfg, _key(v[0])) < rng[1]}  # fmt: skip
        return {"locks": locks, "tx": tx, "txdone": list(part.get("txdone", []))}

    # -- moves --------------------------------------------------------------------------
    def _on_handoff(self, rt: Runtime, body: dict[str, Any]) -> None:
        pid, dest, epoch = str(body["pid"]), body["to"], body["epoch"]
        part = self.parts.get(pid)
        if part is None or part["epoch"] >= epoch:
            return
        if part["frozen_to"] != dest:
            part["frozen_to"] = dest
            self._persist(rt)
        rt.send(dest, {"type": "move-in", "pid": pid, "epoch": epoch, "range": part["range"],
                       "data": part["data"], "seen": part.get("seen", []),
                       **{k: part[k] for k in TX_FIELDS if k in part}})  # fmt: skip

    def _on_move_in(self, rt: Runtime, body: dict[str, Any]) -> None:
        pid, epoch = str(body["pid"]), body["epoch"]
        part = self.parts.get(pid)
        if part is None or part["epoch"] < epoch:
            self.parts[pid] = {"epoch": epoch, "data": body["data"], "frozen_to": None,
                               "range": body["range"], "seen": body.get("seen", []),
                               **{k: body[k] for k in TX_FIELDS if k in body}}  # fmt: skip
            self._persist(rt)
        rt.send("meta", {"type": "installed", "pid": pid, "epoch": epoch})


def _tx_reply(txn: dict[str, Any] | None, reply: dict[str, Any]) -> dict[str, Any]:
    """A write's reply by its transaction's fate; one this node no longer (or never)
    coordinated -- a duplicated request's remembered reply -- has an unknown outcome."""
    if txn is None:
        return error("outcome-unknown", False)
    return error("aborted", True) if txn["decision"] == "abort" else reply


def _key(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def _color(doc: Any) -> Any:
    return doc.get("color") if isinstance(doc, dict) else None
