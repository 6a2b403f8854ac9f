"""Checkers for the data-model workloads: one fact kept in several places must agree.

Theory of operation
-------------------
Each checker looks at every *committed* (``ok``) txn of the history on its own, and at
what its reads returned: a transaction that committed under an isolation level at least
as strong as snapshot isolation reads one consistent state, in which the invariant holds
(every writer keeps it).  Under read committed (read skew) or without transactions the
reads can straddle a writer and see the invariant broken.

* ``documents``  -- ``inconsistent-copies``: the org document and its members' nested
  copies of the org name disagree within one read (``None``: not written yet, also a value);
* ``graph``      -- ``half-written-edge``: ``v`` appears in ``adj:u`` a different number of
  times than ``u`` in ``adj:v``; ``dangling-edge``: ``adj:u`` names ``v`` while
  ``vertex:v`` read in the same txn does not exist;
* ``relational`` -- ``dangling-reference``: a user row's ``org_id`` is X and the same txn
  read ``orgs/X`` and found no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from ddialab.history import (
    ANY,
    NULL,
    OBJECT,
    SCALAR,
    STRING,
    History,
    Op,
    ShapeTable,
    bad_op,
    fields,
    list_of,
    one_of,
    tuple_of,
)

#: Every txn is an array of ``[f, key, value]`` micro-ops (anything else: exit 3).
SHAPES: ShapeTable = {("txn", "*"): one_of(NULL, list_of(tuple_of(STRING, SCALAR, ANY)))}
#: What a read of a key with this prefix returns, per workload.
READS = {
    "adj:": one_of(NULL, list_of(SCALAR)),
    "user:": one_of(NULL, fields(org=one_of(NULL, OBJECT))),
    "users/": one_of(NULL, OBJECT),
}
NOTHING = "no ok txn with reads: no committed state to check"


def _committed_reads(history: History, checker: str) -> list[tuple[Op, dict[str, Any]]]:
    """Each ok txn with the values its reads returned (the first read of each key)."""
    admit(history, checker, SHAPES)
    out = []
    for op in history:
        if op.type == "ok" and op.f == "txn" and op.is_client and op.value:
            reads: dict[str, Any] = {}
            for f, k, v in op.value:
                if f == "r":
                    reads.setdefault(str(k), _read(history, op, str(k), v))
            if reads:
                out.append((op, reads))
    return out


def _read(history: History, op: Op, key: str, value: Any) -> Any:
    for prefix, shape in READS.items():
        if key.startswith(prefix) and not shape(value):
            raise bad_op(
                history, op, f"a read of {key} must return {shape.text}; got {value!r:.60}"
            )
    return value


def check_documents(history: History, options: Mapping[str, Any]) -> Result:
    out = []
    committed = _committed_reads(history, "documents")
    if not committed:
        return nothing_to_check(history, NOTHING)
    for op, reads in committed:
        for key, doc in reads.items():
            if key.startswith("org:"):
                org = key[4:]
                copies = {key: _name(doc)} | _member_copies(reads, org)
                if len({repr(v) for v in copies.values()}) > 1:
                    out.append(_copies_witness(op, org, copies))
    return anomalies_result({"inconsistent-copies": out})


def _name(doc: Any) -> Any:
    return doc.get("name") if isinstance(doc, dict) else None


def _member_copies(reads: dict[str, Any], org: str) -> dict[str, Any]:
    copies = {}
    for key, doc in reads.items():
        if key.startswith("user:"):
            nested = doc.get("org") if isinstance(doc, dict) else None
            if nested is None or str(nested.get("id")) == org:
                copies[key] = _name(nested)
    return copies


def _copies_witness(op: Op, org: str, copies: dict[str, Any]) -> dict[str, Any]:
    return {
        "op": op.index,
        "ops": [op.index],
        "process": op.process,
        "org": org,
        "copies": copies,
        "explanation": f"committed txn op {op.index} read org {org}'s name as "
        + ", ".join(f"{v!r} in {k}" for k, v in copies.items())
        + ": the denormalized copies disagree",
    }


def check_graph(history: History, options: Mapping[str, Any]) -> Result:
    half, dangling = [], []
    committed = _committed_reads(history, "graph")
    if not committed:
        return nothing_to_check(history, NOTHING)
    for op, reads in committed:
        adj = {k[4:]: [str(x) for x in (v or [])] for k, v in reads.items() if k.startswith("adj:")}
        for u, nbrs in adj.items():
            for v in sorted(set(nbrs)):
                mismatch = v in adj and nbrs.count(v) != adj[v].count(u)
                if mismatch and (u < v or u not in adj[v]):  # each pair reported once
                    half.append(_half_witness(op, u, v, nbrs.count(v), adj[v].count(u)))
                if reads.get(f"vertex:{v}", True) is None:
                    dangling.append(_dangling_witness(op, u, v))
    return anomalies_result({"half-written-edge": half, "dangling-edge": dangling})


def _half_witness(op: Op, u: str, v: str, uv: int, vu: int) -> dict[str, Any]:
    return {
        "op": op.index,
        "ops": [op.index],
        "edge": [u, v],
        "counts": {f"adj:{u}": uv, f"adj:{v}": vu},
        "explanation": f"committed txn op {op.index} read {v} {uv} time(s) in adj:{u} but "
        f"{u} {vu} time(s) in adj:{v}: an edge half written",
    }


def _dangling_witness(op: Op, u: str, v: str) -> dict[str, Any]:
    return {
        "op": op.index,
        "ops": [op.index],
        "edge": [u, v],
        "explanation": f"committed txn op {op.index} read {v} in adj:{u} but no vertex:{v}: "
        "an edge to a vertex that does not exist",
    }


def check_relational(history: History, options: Mapping[str, Any]) -> Result:
    out, judged = [], 0
    committed = _committed_reads(history, "relational")
    if not committed:
        return nothing_to_check(history, NOTHING)
    for op, reads in committed:
        for key, row in reads.items():
            if not key.startswith("users/") or not isinstance(row, dict):
                continue
            target = f"orgs/{row.get('org_id')}"
            if target not in reads:
                continue
            judged += 1
            if reads[target] is None:
                out.append(
                    {
                        "op": op.index,
                        "ops": [op.index],
                        "user": key,
                        "org_id": row.get("org_id"),
                        "explanation": f"committed txn op {op.index} read {key} with org_id "
                        f"{row.get('org_id')!r} and found no row {target}: a dangling "
                        "foreign key",
                    }
                )
    return anomalies_result({"dangling-reference": out}, judged=judged)
