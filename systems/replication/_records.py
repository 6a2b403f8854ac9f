"""Records stored through a schema, each node running its own schema version (DDIA ch. 4).

Theory of operation
-------------------
The ``records`` workload's values are records ``{"id", "name", "visits", "email"?}``.  The
schemas (``SCHEMAS``) are the application's versions: v1 knows ``id``, ``name`` and
``visits``; v2 adds ``email`` (tag 4, optional); v3 adds ``tier`` as a *required* field
without a default -- an incompatible change (``problems`` reports it).

Each node runs the code of one schema version (``deployed[node]``, changed by the
``upgrade`` / ``downgrade`` nemesis, which restarts the node).  The leader ``n1`` stores
each record as bytes with the writer's version and a sequence number, and replicates the
bytes to the followers, who store them as they are.  Clients pick a node at random per op
(a load balancer), and every node *coordinates* the client requests it receives, as an
application server would, at its own version:

* ``read``   -- fetch the bytes from the leader, decode them with the node's schema;
* ``write``  -- encode the client's record with the node's schema and store it;
* ``update`` -- read-modify-write: fetch, decode, set the given fields, encode, and store
  if the sequence number is unchanged (else retry).

This is where a rolling upgrade bites: a v1 node that decodes a record written by a v2
node and writes it back loses ``email`` unless it keeps the fields it does not know
(``keep_unknown``, as Protocol Buffers does).  Writing a field its schema lacks, a keeping
node refuses (definitely) while a dropping one silently stores the record without it.

Encodings: ``tagged`` (``encoding.encode``: tags on the wire, unknown tags skipped or
kept) or ``avro`` (no tags: the reader needs the writer's schema, looked up by the stored
version -- a schema registry -- and resolves it against its own; keeping unknown fields
then means rewriting with the writer's schema when it is newer).  A record that cannot be
decoded (a v3 reader and v1 data: ``tier`` required but absent) fails definitely with
``error: "undecodable"`` and the versions involved.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from systems.replication._common import error, ok
from systems.sim import Message, Runtime, load_json, save_json
from systems.storage import CorruptionError, encoding

Field = encoding.Field

_BASE = (Field(1, "id", "uint"), Field(2, "name", "string"), Field(3, "visits", "uint"))
_EMAIL = Field(4, "email", "string")
SCHEMAS: dict[int, encoding.Schema] = {
    1: encoding.schema("record", *_BASE),
    2: encoding.schema("record", *_BASE, _EMAIL),
    3: encoding.schema("record", *_BASE, _EMAIL, Field(5, "tier", "string", required=True)),
}
#: what the application code of a version fills in when it writes (v3's required field)
FILLS: dict[int, dict[str, Any]] = {3: {"tier": "basic"}}
STATE = "records"
MAX_TRIES = 5


def problems(writer: int, reader: int, kind: str = "tagged") -> list[str]:
    """Why code at ``reader`` cannot read data written at ``writer`` (empty: it can)."""
    w, r = SCHEMAS[writer], SCHEMAS[reader]
    if kind == "avro":
        return encoding.avro_compatibility(w, r)
    return encoding.compatibility(w, r)


def field_names(version: int) -> list[str]:
    return [f.name for f in SCHEMAS[version].fields]


@dataclass(frozen=True)
class RecordConfig:
    nodes: tuple[str, ...]
    encoding: str = "tagged"
    keep_unknown: bool = True

    @property
    def leader(self) -> str:
        return self.nodes[0]


class Codec:
    """Bytes <-> records at one node's version; ``unknown`` carries what it cannot name."""

    def __init__(self, cfg: RecordConfig, version: int) -> None:
        self.cfg, self.version = cfg, version

    def decode(self, entry: list[Any]) -> tuple[dict[str, Any], Any]:
        """``(record, carry)``: carry is what a rewrite needs to keep unknown fields."""
        blob, writer = bytes.fromhex(entry[0]), int(entry[1])
        own = SCHEMAS[self.version]
        if self.cfg.encoding == "avro":
            if self.cfg.keep_unknown and writer > self.version:
                return encoding.decode_avro(SCHEMAS[writer], SCHEMAS[writer], blob), writer
            return encoding.decode_avro(SCHEMAS[writer], own, blob), self.version
        if self.cfg.keep_unknown:
            return encoding.decode_keeping_unknown(own, blob)
        return encoding.decode(own, blob), b""

    def encode(self, record: Mapping[str, Any], carry: Any) -> list[Any]:
        """``[hex, writer version]``, the stored form."""
        record = {**FILLS.get(self.version, {}), **record}
        if self.cfg.encoding == "avro":
            writer = int(carry) if carry else self.version
            return [encoding.encode_avro(SCHEMAS[writer], record).hex(), writer]
        own = SCHEMAS[self.version]
        return [encoding.encode_keeping_unknown(own, record, carry or b"").hex(), self.version]

    def view(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as this version's code shows it: its own fields, nulls left out."""
        names = field_names(self.version)
        return {k: v for k, v in record.items() if k in names and v is not None}


class RecordNode:
    """Leader storage (``n1``), follower copies, and request coordination at a version."""

    def __init__(self, cfg: RecordConfig, deployed: Mapping[str, int]) -> None:
        self.cfg, self.deployed = cfg, deployed
        self.store: dict[str, list[Any]] = {}  # key json -> [hex, writer, seq]
        self.pending: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.codec = Codec(cfg, 1)

    def on_start(self, rt: Runtime) -> None:
        self.store = load_json(rt.disk, STATE, {})
        self.codec = Codec(self.cfg, self.deployed[rt.name])

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        return None

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        handler = _HANDLERS.get(str(body.get("type")))
        if handler is not None:
            handler(self, rt, msg)

    # -- storage: the leader and its followers --------------------------------------------
    def _get(self, rt: Runtime, msg: Message) -> None:
        entry = self.store.get(msg.body["key"])
        rt.send(msg.src, {"type": "got", "pid": msg.body["pid"], "entry": entry})

    def _put(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        key, current = body["key"], self.store.get(body["key"])
        seq = current[2] if current else 0
        if body.get("expect") is not None and body["expect"] != seq:
            rt.send(msg.src, {"type": "put-done", "pid": body["pid"], "ok": False})
            return
        self.store[key] = [*body["entry"], seq + 1]
        save_json(rt.disk, STATE, self.store)
        for n in self.cfg.nodes[1:]:
            rt.send(n, {"type": "replicate", "key": key, "entry": self.store[key]})
        rt.send(msg.src, {"type": "put-done", "pid": body["pid"], "ok": True})

    def _replicate(self, rt: Runtime, msg: Message) -> None:
        key, entry = msg.body["key"], msg.body["entry"]
        mine = self.store.get(key)
        if mine is None or mine[2] < entry[2]:
            self.store[key] = entry
            save_json(rt.disk, STATE, self.store)

    def _local_read(self, rt: Runtime, msg: Message) -> None:
        entry = self.store.get(json.dumps(msg.body["key"]))
        rt.reply(msg, self._decoded_reply(entry, msg.body["key"]))

    # -- coordination at this node's version ----------------------------------------------
    def _request(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        pid = next(self.ids)
        self.pending[pid] = {"msg": msg, "tries": 0}
        key = json.dumps(body["key"])
        if body["kind"] == "write":
            self._write(rt, pid, key, body["value"])
        else:
            rt.send(self.cfg.leader, {"type": "get", "key": key, "pid": pid})

    def _write(self, rt: Runtime, pid: int, key: str, record: Mapping[str, Any]) -> None:
        names = field_names(self.codec.version)
        unknown = sorted(k for k in record if k not in names)
        if unknown and self.cfg.keep_unknown:
            self._finish(rt, pid, error("unknown-field", True))
            return
        entry = self.codec.encode(record, None)
        rt.send(self.cfg.leader, {"type": "put", "key": key, "entry": entry, "pid": pid})

    def _got(self, rt: Runtime, msg: Message) -> None:
        p = self.pending.get(msg.body["pid"])
        if p is None:
            return
        req, entry = p["msg"].body, msg.body["entry"]
        if req["kind"] == "read":
            self._finish(rt, msg.body["pid"], self._decoded_reply(entry, req["key"]))
            return
        try:
            record, carry = self.codec.decode(entry) if entry else ({}, None)
        except CorruptionError as e:
            self._finish(rt, msg.body["pid"], self._undecodable(entry, e))
            return
        new = self.codec.encode({**record, **req["value"]}, carry)
        put = {"type": "put", "key": json.dumps(req["key"]), "entry": new,
               "pid": msg.body["pid"], "expect": entry[2] if entry else 0}  # fmt: skip
        rt.send(self.cfg.leader, put)

    def _put_done(self, rt: Runtime, msg: Message) -> None:
        pid = msg.body["pid"]
        p = self.pending.get(pid)
        if p is None:
            return
        if msg.body["ok"]:
            self._finish(rt, pid, ok(None))
            return
        p["tries"] += 1
        if p["tries"] >= MAX_TRIES:
            self._finish(rt, pid, error("contention", True))
            return
        key = json.dumps(p["msg"].body["key"])
        rt.send(self.cfg.leader, {"type": "get", "key": key, "pid": pid})

    def _finish(self, rt: Runtime, pid: int, reply: dict[str, Any]) -> None:
        p = self.pending.pop(pid)
        rt.reply(p["msg"], {**reply, "schema": self.codec.version,
                            "fields": field_names(self.codec.version)})  # fmt: skip

    def _decoded_reply(self, entry: list[Any] | None, key: Any) -> dict[str, Any]:
        if entry is None:
            return ok(None, schema=self.codec.version)
        try:
            record, _ = self.codec.decode(entry)
        except CorruptionError as e:
            return self._undecodable(entry, e)
        return ok(self.codec.view(record), schema=self.codec.version, writer=entry[1])

    def _undecodable(self, entry: list[Any], e: Exception) -> dict[str, Any]:
        return error("undecodable", True, writer=entry[1], detail=str(e))


_HANDLERS = {
    "get": RecordNode._get,
    "put": RecordNode._put,
    "replicate": RecordNode._replicate,
    "local-read": RecordNode._local_read,
    "request": RecordNode._request,
    "got": RecordNode._got,
    "put-done": RecordNode._put_done,
}
