"""Multi-leader replication: a leader per datacenter, asynchronous replication, topologies.

Theory of operation
-------------------
Each node is the leader of its own datacenter (or an offline-capable device: the same thing
with longer partitions).  A client writes to and reads from its own leader, which applies
the write at once, appends it to its log, fsyncs and acknowledges; other leaders learn it
later.  A log *entry* is ``{"id": [origin, seq], "path": [...], "key", "data"}``: ``data``
is what the origin made of the op (a sibling, a timestamped value, a counter total, an
OR-set tag; see ``_crdt``), and ``path`` lists every node the entry passed through, so it
is never sent back where it has been (DDIA's loop prevention).

Every tick a leader ships, to each neighbour of the topology, the entries of its log after
the last position that neighbour acknowledged, in log order; the receiver skips ids it has,
applies and logs the others, and acknowledges the position.  Which entries travel where:

* ``all-to-all`` -- each leader sends its own writes to every other leader.  Links are
  independent, so a write can overtake the write it depended on (DDIA figure 5-9);
* ``circular``   -- each leader forwards everything to its successor in the ring;
* ``star``       -- leaves send their own writes to the root, which forwards everything.

In the circular and star topologies each write reaches each node by one path, so the
order is causal, but one failed node stops the flow through it until it recovers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from systems.replication import _crdt
from systems.replication._common import error, key_of, ok
from systems.replication._versions import version_extra
from systems.sim import MS, Message, Runtime

LOG = "log"
TICK_NS = 50 * MS


@dataclass(frozen=True)
class MultiConfig:
    nodes: tuple[str, ...]
    topology: str = "all-to-all"
    conflict: str = "lww"
    merge_hook: Any = None
    batch: int = 64

    def out_neighbours(self, me: str) -> list[str]:
        others = [n for n in self.nodes if n != me]
        if self.topology == "circular":
            return [self.nodes[(self.nodes.index(me) + 1) % len(self.nodes)]]
        if self.topology == "star" and me != self.nodes[0]:
            return [self.nodes[0]]
        return others

    def forwards(self, me: str, peer: str, entry: dict[str, Any]) -> bool:
        if peer in entry["path"]:
            return False
        if self.topology == "circular" or (self.topology == "star" and me == self.nodes[0]):
            return True
        return bool(entry["id"][0] == me)


class MultiLeaderNode:
    def __init__(self, cfg: MultiConfig) -> None:
        self.cfg = cfg
        self.log: list[dict[str, Any]] = []
        self.seen: set[tuple[str, int]] = set()
        self.state: dict[Any, Any] = {}
        self.seq = 0
        self.acked: dict[str, int] = {}

    def on_start(self, rt: Runtime) -> None:
        if rt.disk.exists(LOG):
            for line in rt.disk.read(LOG).decode().splitlines():
                self._apply(json.loads(line))
        self.seq = max((e["id"][1] for e in self.log if e["id"][0] == rt.name), default=0)
        rt.set_timer(TICK_NS, "tick")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(TICK_NS, "tick")
        for peer in self.cfg.out_neighbours(rt.name):
            self._ship(rt, peer)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        handler = getattr(self, "_on_" + str(msg.body.get("type")).replace("-", "_"), None)
        if handler is None:
            rt.reply(msg, error("unsupported", True))
        else:
            handler(rt, msg, msg.body)

    # -- local state --------------------------------------------------------------------
    def _apply(self, entry: dict[str, Any]) -> None:
        key = key_of(entry["key"])
        self.log.append(entry)
        self.seen.add((entry["id"][0], entry["id"][1]))
        old = self.state.get(key, _crdt.initial(self.cfg.conflict))
        self.state[key] = _crdt.apply(self.cfg.conflict, old, entry)

    def _persist(self, rt: Runtime, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            rt.disk.append(LOG, (json.dumps(e) + "\n").encode())
        rt.disk.fsync(LOG)

    def _state(self, key: Any) -> Any:
        return self.state.get(key, _crdt.initial(self.cfg.conflict))

    def _read_reply(self, key: Any, **extra: Any) -> dict[str, Any]:
        state = self._state(key)
        value = _crdt.show(self.cfg.conflict, state, self.cfg.merge_hook)
        if self.cfg.conflict in _crdt.REGISTERS:
            extra.update(version_extra(self.cfg.conflict, state))
            extra["siblings"] = [s["v"] for s in state]
        return ok(value, **extra)

    # -- client requests ----------------------------------------------------------------
    def _on_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        rt.reply(msg, self._read_reply(key_of(body["key"])))

    def _on_local_read(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        rt.reply(msg, self._read_reply(key_of(body["key"])))

    def _on_update(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        key = key_of(body["key"])
        data = self._data(rt, body["f"], key, body.get("value"), body.get("ctx"))
        if data is None:
            rt.reply(msg, error("rejected", True, text=f"{body['f']} under {self.cfg.conflict}"))
            return
        entry = {"id": [rt.name, self.seq], "path": [rt.name], "key": key, "data": data}
        self._apply(entry)
        self._persist(rt, [entry])
        extra: dict[str, Any] = {}
        if self.cfg.conflict in _crdt.REGISTERS:
            extra = version_extra(self.cfg.conflict, [data])
            extra["ctx"] = version_extra(self.cfg.conflict, self._state(key)).get("ctx")
        rt.reply(msg, ok(None, **extra))

    def _data(self, rt: Runtime, f: str, key: Any, value: Any, ctx: Any) -> Any:
        conflict, me = self.cfg.conflict, rt.name
        self.seq += 1
        if conflict in _crdt.REGISTERS and f == "write":
            if conflict == "lww":
                return {"v": value, "ts": [rt.now(), me]}
            if conflict == "arrival":
                return {"v": value}
            if conflict == "lww-id":
                rank = self.cfg.nodes.index(me) + 1
                return {"v": value, "ts": [rank * _crdt.RANK_SPAN + self.seq, me]}
            return {"v": value, "dot": [me, self.seq], "ctx": ctx or {}}
        state = self._state(key)
        if conflict == "pn-counter" and f == "incr":
            p, n = state["p"].get(me, 0), state["n"].get(me, 0)
            return {"p": p + max(value, 0), "n": n + max(-value, 0)}
        if conflict == "rga" and f in ("insert", "delete"):
            return self._rga_data(me, state, f, value)
        if conflict == "or-set" and f in ("add", "remove"):
            if f == "add":
                return {"add": value, "tag": [me, self.seq]}
            return {"remove": _crdt.observed_tags(state, value)}
        self.seq -= 1
        return None

    def _rga_data(self, me: str, state: Any, f: str, value: Any) -> Any:
        if f == "delete":
            target = _crdt.rga_id_of(state, value)
            return None if target is None else {"del": target}
        after = value.get("after")
        anchor = None if after is None else _crdt.rga_id_of(state, after)
        if after is not None and anchor is None:
            return None
        return {"ins": {"id": [state["clock"] + 1, me], "after": anchor, "tok": value["tok"]}}

    # -- replication --------------------------------------------------------------------
    def _ship(self, rt: Runtime, peer: str) -> None:
        start = self.acked.get(peer, 0)
        batch: list[dict[str, Any]] = []
        upto = start
        for e in self.log[start:]:
            if len(batch) >= self.cfg.batch:
                break
            upto += 1
            if self.cfg.forwards(rt.name, peer, e):
                batch.append(e)
        if upto > start:
            rt.send(peer, {"type": "replicate", "entries": batch, "upto": upto})

    def _on_replicate(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        fresh = []
        for e in body["entries"]:
            if (e["id"][0], e["id"][1]) in self.seen:
                continue
            entry = {**e, "path": [*e["path"], rt.name]}
            self._apply(entry)
            fresh.append(entry)
        if fresh:
            self._persist(rt, fresh)
        rt.send(msg.src, {"type": "replicated", "upto": body["upto"]})

    def _on_replicated(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        self.acked[msg.src] = max(self.acked.get(msg.src, 0), body["upto"])
