"""Records through schemas on a leaderless (Dynamo-style) store, a schema version per node.

Theory of operation
-------------------
``RecordQuorumNode`` is a ``QuorumNode`` (quorums, read repair, anti-entropy, hinted
handoff: ``_quorum``) whose sibling values are stored records ``[hex, writer version]``
(``_records.Codec``) and whose code runs at the node's own schema version
(``deployed[node]``, moved by the ``upgrade`` nemesis):

* as a *replica*, a node stores every incoming state through its own code: each sibling is
  decoded at its version and encoded back (``_incoming``).  Keeping unknown fields, the
  bytes come out unchanged and the sibling is stored as it came; dropping them, an old
  replica stores the record without the fields it does not know.  Replication, read
  repair, hinted handoff and anti-entropy all store through this one path;
* as a *coordinator* of a read repair, it sends the merged state re-encoded by its own
  code (``_outgoing``): an old coordinator that drops unknown fields repairs them away;
* as the *application server* a client's request reached (``request`` messages, as
  ``RecordNode`` takes them): ``read`` fetches a read quorum and decodes it; ``write`` and
  ``update`` fetch a read quorum first (for its version vector, the write's *context*),
  then store a new sibling -- the client's record, or the decoded record with the changed
  fields (read-modify-write) -- that obsoletes every sibling read.

Siblings (concurrent writes, ``_versions``) are merged when decoded: in dot order, each
sibling's non-null fields over the earlier ones', and the unknown-field carries joined
(tagged bytes concatenated, so the last sibling's wins on decode; Avro's newest writer
version).  So concurrent writers do not hide each other's fields, and a field is gone only
when a write without it or code that drops it replaced the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from systems.replication._common import error, key_of, ok
from systems.replication._quorum import COUNTER, QuorumConfig, QuorumNode, Request
from systems.replication._records import Codec, RecordConfig, field_names
from systems.replication._versions import clock_of
from systems.sim import Message, Runtime, save_json
from systems.storage import CorruptionError

Sibling = dict[str, Any]


@dataclass
class RecordRequest(Request):
    """A quorum request on behalf of a client's ``read``, ``write`` or ``update``."""

    op: str = "read"
    change: Mapping[str, Any] | None = None


def join_carry(a: Any, b: Any) -> Any:
    if isinstance(a, int) or isinstance(b, int):
        return max(int(a or 0), int(b or 0)) or None
    return (a or b"") + (b or b"")


class RecordQuorumNode(QuorumNode):
    def __init__(self, cfg: QuorumConfig, rcfg: RecordConfig, deployed: Mapping[str, int]):
        super().__init__(cfg)
        self.rcfg, self.deployed = rcfg, deployed
        self.codec = Codec(rcfg, 1)

    def on_start(self, rt: Runtime) -> None:
        self.codec = Codec(self.rcfg, self.deployed[rt.name])
        super().on_start(rt)

    # -- storing through this node's code -----------------------------------------------
    def _incoming(self, state: list[Sibling]) -> list[Sibling]:
        return [self._transcode(s) for s in state]

    def _outgoing(self, state: list[Sibling]) -> list[Sibling]:
        return self._incoming(state)

    def _transcode(self, sibling: Sibling) -> Sibling:
        try:
            record, carry = self.codec.decode(sibling["v"])
        except CorruptionError:
            return sibling  # this code cannot read it: store it as it came
        entry = self.codec.encode(record, carry)
        return sibling if entry[0] == sibling["v"][0] else {**sibling, "v": entry}

    def decode_state(self, state: list[Sibling]) -> tuple[dict[str, Any], Any]:
        """The merged record of a state's siblings and their joined carry."""
        record: dict[str, Any] = {}
        carry: Any = None
        for s in state:
            fields, more = self.codec.decode(s["v"])
            record.update({k: v for k, v in fields.items() if v is not None})
            carry = join_carry(carry, more)
        return record, carry

    # -- application requests -----------------------------------------------------------
    def _on_request(self, rt: Runtime, msg: Message, body: dict[str, Any]) -> None:
        kind, value = str(body["kind"]), body.get("value") or {}
        if kind == "write" and self.rcfg.keep_unknown:
            unknown = sorted(k for k in value if k not in field_names(self.codec.version))
            if unknown:
                rt.reply(msg, self._stamp(error("unknown-field", True)))
                return
        key = key_of(body["key"])
        self._begin(rt, RecordRequest(msg, "get", key, self.cfg.home(key), op=kind, change=value))

    def _answer_get(self, rt: Runtime, req: Request) -> None:
        if not isinstance(req, RecordRequest):
            super()._answer_get(rt, req)
            return
        try:
            record, carry = self.decode_state(req.merged)
        except CorruptionError as e:
            writer = max(int(s["v"][1]) for s in req.merged)
            rt.reply(req.msg, self._stamp(error("undecodable", True, writer=writer, detail=str(e))))
            return
        if req.op == "read":
            rt.reply(req.msg, self._stamp(self._read_reply(record, req.merged)))
        else:
            self._store(rt, req, {**record, **(req.change or {})} if req.op == "update" else
                        dict(req.change or {}), carry if req.op == "update" else None)  # fmt: skip

    def _read_reply(self, record: dict[str, Any], state: list[Sibling]) -> dict[str, Any]:
        if not state:
            return ok(None)
        return ok(self.codec.view(record), writer=max(int(s["v"][1]) for s in state))

    def _store(self, rt: Runtime, req: RecordRequest, record: dict[str, Any], carry: Any) -> None:
        self.counter += 1
        save_json(rt.disk, COUNTER, self.counter)
        entry = self.codec.encode(record, carry)
        sibling = {"v": entry, "dot": [rt.name, self.counter], "ctx": clock_of(req.merged)}
        self._begin(rt, Request(req.msg, "put", req.key, req.home, sibling))

    def _answer_put(self, rt: Runtime, req: Request) -> None:
        rt.reply(req.msg, self._stamp(ok(None)))

    def _stamp(self, reply: dict[str, Any]) -> dict[str, Any]:
        version = self.codec.version
        return {**reply, "schema": version, "fields": field_names(version)}
