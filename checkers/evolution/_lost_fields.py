"""Lost fields and undecodable records under mixed schema versions.

Theory of operation
-------------------
The history is the ``records`` workload's (``workloads/records.py``): ``write [k,
record]`` replaces a record, ``update [k, changes]`` sets some fields, ``read [k,
None]`` returns ``[k, record]``.  Each completion says which schema version served it
(``schema``) and which fields that version knows (``fields``).

*Lost field.*  A field ``F`` of key ``k`` is lost at an ok read ``R`` when

1. ``R``'s reader knows ``F`` and ``R``'s record lacks it;
2. some ``write`` ``W`` with ``F`` set was acknowledged (ok) before ``R`` was invoked;
3. no op that may remove ``F`` -- a ``write`` of ``k`` without ``F``, or an update that
   sets ``F`` to null, acknowledged or indeterminate (``info``) -- could take effect
   between ``W`` and ``R``: none was invoked before ``R`` completed and completed after
   ``W`` was invoked.

Updates that leave ``F`` alone do not remove it: if ``F`` is gone after them, the code
that rewrote the record dropped it.  The witness names ``W``, ``R``, the versions that
served them, and the updates that could have taken effect in between with their versions
-- the suspects.  This assumes the store's reads and writes are atomic in real time
(single-leader storage): a stale read would look like a lost field.

*Undecodable record.*  An op that failed with ``error: "undecodable"``: the serving
version could not read what another version wrote (``writer``, ``schema``, ``detail``).

Fail closed: with no ok read by a version that knows a field some acknowledged write set,
and no undecodable op, nothing was checked and the result is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checkers import Pair
from ddialab.history import NEMESIS, History

Result = dict[str, Any]
INF = float("inf")


class Call(Pair):
    """A client op of the records vocabulary (a ``checkers.Pair``), with its key and where
    it ran (its completion's node and schema version)."""

    __slots__ = ()

    @property
    def key(self) -> Any:
        return _key(self.inv.value)

    def extra(self, name: str) -> Any:
        return self.comp.extra.get(name) if self.comp is not None else None

    @property
    def where(self) -> str:
        node = self.extra("node") or (self.comp.node if self.comp else None)
        return f"schema v{self.extra('schema')}" + (f" on {node}" if node else "")


def _key(value: Any) -> Any:
    k = value[0] if isinstance(value, list | tuple) and value else None
    return tuple(k) if isinstance(k, list) else k


def calls(history: History) -> Iterator[Call]:
    for inv, comp in history.completed_pairs():
        if inv.process != NEMESIS and inv.f in ("read", "write", "update"):
            yield Call(inv, comp)


def _sets(call: Call) -> dict[str, Any]:
    """The fields an op sets (``None`` for a field a write leaves out or an update nulls)."""
    changes = call.inv.value[1] if isinstance(call.inv.value, list | tuple) else None
    return dict(changes) if isinstance(changes, Mapping) else {}


def _removes(call: Call, name: str) -> bool:
    if call.outcome == "fail" or call.inv.f == "read":
        return False
    sets = _sets(call)
    if call.inv.f == "write":
        return sets.get(name) is None
    return name in sets and sets[name] is None


def _lost_at(read: Call, ops: list[Call]) -> Iterator[dict[str, Any]]:
    record = read.comp.value[1] if read.comp is not None else None
    record = record if isinstance(record, Mapping) else {}
    for name in read.extra("fields") or []:
        if record.get(name) is not None:
            continue
        for w in _acked_writes(ops, name, read):
            if not any(_between(x, w, read) and _removes(x, name) for x in ops):
                yield _witness(read, w, name, ops)
                break


def _acked_writes(ops: list[Call], name: str, read: Call) -> list[Call]:
    found = [w for w in ops if w.inv.f == "write" and w.outcome == "ok"
             and _sets(w).get(name) is not None and w.end < read.inv.index]  # fmt: skip
    return sorted(found, key=lambda w: -w.end)


def _between(x: Call, w: Call, read: Call) -> bool:
    return x is not w and x.inv.index < read.end and x.end > w.inv.index


def _witness(read: Call, w: Call, name: str, ops: list[Call]) -> dict[str, Any]:
    suspects = [x for x in ops if x.inv.f == "update" and x.outcome != "fail"
                and _between(x, w, read)]  # fmt: skip
    facts = {
        "key": read.key,
        "field": name,
        "value": _sets(w)[name],
        "write": w.comp.index if w.comp is not None else w.inv.index,
        "write_schema": w.extra("schema"),
        "read": read.end,
        "read_schema": read.extra("schema"),
        "updates": [_suspect(x) for x in suspects],
        "ops": sorted({w.inv.index, read.inv.index, *(x.inv.index for x in suspects)}),
    }
    return {**facts, "explanation": _explain_lost(facts, w, read)}


def _suspect(x: Call) -> dict[str, Any]:
    return {"op": int(x.end) if x.end != INF else x.inv.index, "schema": x.extra("schema")}


def _explain_lost(facts: Mapping[str, Any], w: Call, read: Call) -> str:
    versions = sorted({u["schema"] for u in facts["updates"] if u["schema"] is not None})
    text = (
        f"Write op {facts['write']} ({w.where}) set {facts['field']}={facts['value']!r} on "
        f"key {facts['key']!r} and was acknowledged; read op {facts['read']} ({read.where}), "
        f"which knows {facts['field']}, found it missing, and no write that removes it could "
        "have taken effect in between."
    )
    if facts["updates"]:
        ops = ", ".join(str(u["op"]) for u in facts["updates"])
        vs = ", ".join(f"v{v}" for v in versions)
        text += f" The record was rewritten in between by updates {ops} (schema {vs})."
    if facts["write_schema"] is not None and facts["field"] not in (w.extra("fields") or []):
        text += f" The write's own code (v{facts['write_schema']}) did not know the field."
    return text


def _undecodable(call: Call) -> dict[str, Any]:
    facts = {
        "op": int(call.end),
        "key": call.key,
        "reader_schema": call.extra("schema"),
        "writer_schema": call.extra("writer"),
        "detail": call.extra("detail"),
        "ops": [call.inv.index],
    }
    text = (
        f"Op {facts['op']} ({call.where}) could not decode key {facts['key']!r}, written "
        f"with schema v{facts['writer_schema']}: {facts['detail']}."
    )
    return {**facts, "explanation": text}


def check_lost_fields(history: History, options: Mapping[str, Any]) -> Result:
    ops = list(calls(history))
    by_key: dict[Any, list[Call]] = {}
    for c in ops:
        by_key.setdefault(c.key, []).append(c)
    lost: list[dict[str, Any]] = []
    checked = 0
    for key_ops in by_key.values():
        for read in key_ops:
            if read.inv.f == "read" and read.outcome == "ok" and read.extra("fields"):
                checked += 1
                lost.extend(_lost_at(read, key_ops))
    bad = [_undecodable(c) for c in ops if c.comp is not None and c.comp.error == "undecodable"]
    found = {k: v for k, v in (("lost-field", lost), ("undecodable-record", bad)) if v}
    if not found and not checked:
        reason = "no ok read that reports the fields its schema knows"
        return {"valid": "unknown", "anomaly_types": [], "anomalies": {}, "reason": reason}
    return {"valid": not found, "anomaly_types": sorted(found), "anomalies": found,
            "reads_checked": checked}  # fmt: skip
