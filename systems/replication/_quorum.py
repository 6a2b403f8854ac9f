"""Leaderless (Dynamo-style) replication: quorums, read repair, anti-entropy, hinted handoff.

Theory of operation
-------------------
Every node is both a replica and a *coordinator*.  A key's preference list is the ring of
nodes starting at a hash of the key; its first ``n`` nodes are the key's *home* replicas.
A client sends ``put``/``get`` to any node, which coordinates:

* ``put`` -- the coordinator makes a new sibling (a dot from its own persistent counter and
  the client's context; or its own clock's timestamp under LWW, see ``_versions``) and sends
  ``store`` to the home replicas; it answers ``ok`` after ``w`` acknowledgements, or an
  indefinite error when ``give_up_ns`` passes first;
* ``get`` -- ``fetch`` from the home replicas; after ``r`` answers the coordinator merges
  them and replies with the merged state (every sibling, the resolved value, the version
  vector or timestamp).  With ``read_repair`` it then sends the merged state to each replica
  that answered with something older (answers arriving later are repaired too).

With ``sloppy`` quorums, a coordinator that lacks acknowledgements after ``sloppy_after_ns``
sends the write to the next nodes of the ring instead, each with a *hint* naming the home
replica it stands in for; reads likewise ask fallback nodes.  A node holding hinted data
hands it to the home replica every tick (*hinted handoff*) and drops its copy once it is
acknowledged.  Even with ``w + r > n`` a read served by home replicas can then miss an
acknowledged write that lives only on fallbacks (DDIA's sloppy-quorum caveat).

With ``anti_entropy`` each node, every few ticks, compares a two-level Merkle tree (a root
over ``BUCKETS`` bucket digests, each over the digests of the keys hashed into it) with a
random peer, restricted to the keys both are home replicas for, and the two exchange the
keys of the buckets that differ.

Replica state (``store``: one JSON line per change), the dot counter and the hints are
fsynced before a node acknowledges anything, so a crash loses nothing acknowledged.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from systems.replication._common import error, key_of, ok
from systems.replication._versions import digest, merge, resolve, values, version_extra
from systems.sim import MS, Message, Runtime, load_json, save_json

STORE, COUNTER, HINTS = "store", "counter", "hints"
TICK_NS = 50 * MS
BUCKETS = 16


@dataclass(frozen=True)
class QuorumConfig:
    nodes: tuple[str, ...]
    n: int = 3
    w: int = 2
    r: int = 2
    conflict: str = "vv"
    read_repair: bool = True
    anti_entropy: bool = True
    sloppy: bool = False
    sloppy_after_ns: int = 40 * MS
    give_up_ns: int = 250 * MS
    ae_ticks: int = 4

    def ring(self, key: Any) -> list[str]:
        start = zlib.crc32(json.dumps(key).encode()) % len(self.nodes)
        return [*self.nodes[start:], *self.nodes[:start]]

    def home(self, key: Any) -> list[str]:
        return self.ring(key)[: self.n]


@dataclass
class Request:
    msg: Message
    kind: str
    key: Any
    home: list[str]
    sibling: dict[str, Any] | None = None
    asked: set[str] = field(default_factory=set)
    acks: set[str] = field(default_factory=set)
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    merged: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


class QuorumNode:
    def __init__(self, cfg: QuorumConfig) -> None:
        self.cfg = cfg
        self.data: dict[Any, list[dict[str, Any]]] = {}
        self.counter = 0
        self.hints: set[tuple[str, Any]] = set()
        self.requests: dict[int, Request] = {}
        self.next_rid = 0
        self.ticks = 0

    # -- lifecycle ----------------------------------------------------------------------
    def on_start(self, rt: Runtime) -> None:
        if rt.disk.exists(STORE):
            for line in rt.disk.read(STORE).decode().splitlines():
                key, state = json.loads(line)
                self.data[key_of(key)] = state
        self.counter = load_json(rt.disk, COUNTER, 0)
        self.hints = {(h, key_of(k)) for h, k in load_json(rt.disk, HINTS, [])}
        rt.set_timer(TICK_NS, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        if name == "tick":
            rt.set_timer(TICK_NS, "tick")
            self._tick(rt)
            return
        req = self.requests.get(payload)
        if req is None:
            return
        if name == "give-up":
            del self.requests[payload]  # late read replies are no longer repaired
            if not req.done:
                got = len(req.acks or req.replies)
                rt.reply(req.msg, error("quorum", req.kind == "get", got=got))
        elif name == "sloppy" and self.cfg.sloppy and not req.done:
            self._go_sloppy(rt, payload, req)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        handler = getattr(self, "_on_" + str(msg.body.get("type")).replace("-", "_"), None)
        if handler is None:
            rt.reply(msg, error("unsupported", True))
        else:
            handler(rt, msg, msg.body)

    # -- coordinating -------------------------------------------------------------------
    def _begin(self, rt: Runtime, req: Request) -> None:
        self.next_rid += 1
        rid = self.next_rid
        self.requests[rid] = req
        for node in req.home:
            self._ask(rt, rid, req, node, None)
        rt.set_timer(self.cfg.sloppy_after_ns, "sloppy", rid)
        rt.set_timer(self.cfg.give_up_ns, "give-up", rid)

    def _ask(self, rt: Runtime, rid: int, req: Request, node: str, hint: str | None) -> None:
        req.asked.add(node)
        if req.kind == "put":
            body = {"type": "store", "rid": rid, "key": req.key, "state": [req.sibling]}
            rt.send(node, {**body, "hint": hint})
        else:
            rt.send(node, {"type": "fetch", "rid": rid, "key": req.key})

    def _on_put(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        key, me = key_of(body["key"]), rt.name
        if self.cfg.conflict == "lww":
            sibling = {"v": body["value"], "ts": [rt.now(), me]}
        else:
            self.counter += 1
            save_json(rt.disk, COUNTER, self.counter)
            sibling = {"v": body["value"], "dot": [me, self.counter], "ctx": body.get("ctx") or {}}
        self._begin(rt, Request(msg, "put", key, self.cfg.home(key), sibling))

    def _on_get(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        key = key_of(body["key"])
        self._begin(rt, Request(msg, "get", key, self.cfg.home(key)))

    def _go_sloppy(self, rt: Runtime, rid: int, req: Request) -> None:
        answered = req.acks | set(req.replies)
        missing = [h for h in req.home if h not in answered]
        spare = [n for n in self.cfg.ring(req.key) if n not in req.asked]
        for home, fallback in zip(missing, spare, strict=False):
            self._ask(rt, rid, req, fallback, home)

    def _on_stored(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        if body.get("handoff"):
            self._handed_off(rt, msg.src, key_of(body["key"]))
            return
        req = self.requests.get(body.get("rid", -1))
        if req is None or req.done or req.kind != "put":
            return
        req.acks.add(msg.src)
        if len(req.acks) >= self.cfg.w:
            req.done = True
            self._answer_put(rt, req)

    def _answer_put(self, rt: Runtime, req: Request) -> None:
        rt.reply(req.msg, ok(None, **self._version(req.merged or [req.sibling or {}])))

    def _on_fetched(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        req = self.requests.get(body["rid"])
        if req is None or req.kind != "get":
            return
        req.replies[msg.src] = body["state"]
        if req.done:
            self._repair(rt, req, {msg.src: body["state"]})
            return
        if len(req.replies) >= self.cfg.r:
            req.done = True
            req.merged = merge(self.cfg.conflict, *req.replies.values())
            self._answer_get(rt, req)
            self._repair(rt, req, req.replies)

    def _answer_get(self, rt: Runtime, req: Request) -> None:
        state = req.merged
        rt.reply(req.msg, ok(resolve(state), siblings=values(state), **self._version(state)))

    def _repair(self, rt: Runtime, req: Request, replies: dict[str, list[Any]]) -> None:
        if not self.cfg.read_repair:
            return
        want, sent = digest(req.merged), self._outgoing(req.merged)
        for node, state in replies.items():
            if digest(merge(self.cfg.conflict, state)) != want:
                rt.send(node, {"type": "store", "key": req.key, "state": sent})

    def _outgoing(self, state: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A state as this node sends it in a repair (a subclass may re-encode it)."""
        return state

    def _version(self, state: list[dict[str, Any]]) -> dict[str, Any]:
        return version_extra(self.cfg.conflict, [x for x in state if x])

    # -- replica ------------------------------------------------------------------------
    def _on_store(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        key = key_of(body["key"])
        self._merge_in(rt, key, body["state"])
        hint = body.get("hint")
        if hint and hint != rt.name and (hint, key) not in self.hints:
            self.hints.add((hint, key))
            save_json(rt.disk, HINTS, sorted(self.hints, key=repr))
        if body.get("handoff") or "rid" in body:
            reply = {"type": "stored", "rid": body.get("rid"), "key": body["key"]}
            rt.send(msg.src, {**reply, "handoff": bool(body.get("handoff"))})

    def _merge_in(self, rt: Runtime, key: Any, state: list[dict[str, Any]]) -> None:
        old = self.data.get(key, [])
        new = merge(self.cfg.conflict, old, self._incoming(state))
        if digest(new) != digest(old):
            self.data[key] = new
            rt.disk.append(STORE, (json.dumps([key, new]) + "\n").encode())
            rt.disk.fsync(STORE)

    def _incoming(self, state: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A state as this replica stores it (a subclass may re-encode it)."""
        return state

    def _on_fetch(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        state = self.data.get(key_of(body["key"]), [])
        rt.send(msg.src, {"type": "fetched", "rid": body["rid"], "state": state})

    def _on_local_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        key = key_of(body["key"])
        if rt.name not in self.cfg.home(key):
            rt.reply(msg, error("not-a-replica", True))
            return
        state = self.data.get(key, [])
        rt.reply(msg, ok(resolve(state), siblings=values(state), **self._version(state)))

    # -- hinted handoff and anti-entropy ------------------------------------------------
    def _tick(self, rt: Runtime) -> None:
        self.ticks += 1
        for home, key in sorted(self.hints, key=repr):
            body = {"type": "store", "key": key, "state": self.data.get(key, [])}
            rt.send(home, {**body, "handoff": True})
        if self.cfg.anti_entropy and self.ticks % self.cfg.ae_ticks == 0 and rt.peers:
            peer = rt.rng.choice(sorted(rt.peers))
            rt.send(peer, {"type": "ae-tree", "tree": self._tree(rt.name, peer)})

    def _handed_off(self, rt: Runtime, home: str, key: Any) -> None:
        if (home, key) not in self.hints:
            return
        self.hints.discard((home, key))
        save_json(rt.disk, HINTS, sorted(self.hints, key=repr))
        if rt.name not in self.cfg.home(key) and not any(k == key for _, k in self.hints):
            self.data.pop(key, None)
            rt.disk.append(STORE, (json.dumps([key, []]) + "\n").encode())
            rt.disk.fsync(STORE)

    def _shared(self, me: str, peer: str) -> list[Any]:
        return [k for k in self.data if me in self.cfg.home(k) and peer in self.cfg.home(k)]

    def _tree(self, me: str, peer: str) -> dict[str, Any]:
        buckets: dict[int, list[tuple[str, int]]] = {}
        for key in self._shared(me, peer):
            b = zlib.crc32(json.dumps(key).encode()) % BUCKETS
            buckets.setdefault(b, []).append((json.dumps(key), digest(self.data[key])))
        leaves = {b: zlib.crc32(json.dumps(sorted(kv)).encode()) for b, kv in buckets.items()}
        root = zlib.crc32(json.dumps(sorted(leaves.items())).encode())
        return {"root": root, "leaves": leaves}

    def _on_ae_tree(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        theirs, mine = body["tree"], self._tree(rt.name, msg.src)
        if theirs["root"] == mine["root"]:
            return
        differ = {
            b
            for b in set(theirs["leaves"]) | set(mine["leaves"])
            if theirs["leaves"].get(b) != mine["leaves"].get(b)
        }
        pairs = self._bucket_pairs(rt.name, msg.src, differ)
        rt.send(msg.src, {"type": "ae-keys", "buckets": sorted(differ), "pairs": pairs})

    def _bucket_pairs(self, me: str, peer: str, buckets: set[int]) -> list[list[Any]]:
        return [
            [k, self.data[k]]
            for k in self._shared(me, peer)
            if zlib.crc32(json.dumps(k).encode()) % BUCKETS in buckets
        ]

    def _on_ae_keys(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        for key, state in body["pairs"]:
            if rt.name in self.cfg.home(key_of(key)):
                self._merge_in(rt, key_of(key), state)
        if not body.get("reply"):
            pairs = self._bucket_pairs(rt.name, msg.src, set(body["buckets"]))
            rt.send(msg.src, {"type": "ae-keys", "buckets": [], "pairs": pairs, "reply": True})
