"""The long-fork checker: two reads must not see two writes in opposite orders.

Theory of operation
-------------------
Jepsen's long-fork workload writes each key exactly once (``[["w", k, v]]`` txns) and
reads groups of keys in one txn (``[["r", k1, v1], ["r", k2, v2], ...]``); any ``f`` is
accepted, txns are recognised by their micro-ops.  A read *sees* a key when it returns a
non-nil value.  Under snapshot isolation (indeed under prefix consistency) all reads
observe the writes in one order, so for any two reads of the same keys, the set of keys
one sees must contain the other's.  A *long fork* is a pair of reads where each sees a
write the other does not: a G-nonadjacent cycle (w1 -wr-> r1 -rw-> w2 -wr-> r2 -rw-> w1).

Reads over the same key set are sorted by how many keys they see; if the seen-sets do not
form a chain, some adjacent pair is a long fork (if |A| <= |B| and A is not a subset of
B, each sees a key the other misses).  Reads over different but overlapping key sets are
compared on their common keys the same way.  A key written more than once breaks the
workload's assumption: the result is then ``"unknown"``; so is a history with no ok read
of two or more keys (nothing to compare), while an empty history is valid.  Micro-ops
are validated as for rw-register (``_mops``): a malformed one is bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations, pairwise
from typing import Any

from checkers import unknown_result
from checkers.elle._mops import Source, txn_mops
from checkers.elle._tables import boundary
from ddialab.history import NEMESIS

Read = tuple[int, dict[Any, bool]]  # (op index, key -> seen)


def check_long_fork(history: Any, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    src = Source(getattr(history, "source", None), "long-fork")
    writes: dict[Any, int] = {}
    groups: dict[frozenset[Any], list[Read]] = {}
    client = 0
    for op in history:
        if op.process == NEMESIS:
            continue
        client += 1
        if op.type == "invoke" or not _is_txn(op.value):
            continue
        mops = txn_mops(op, src)
        if op.type != "fail":
            for f, k, _ in mops:
                if f == "w":
                    writes[k] = writes.get(k, 0) + 1
        if op.type == "ok" and mops and all(m[0] == "r" for m in mops):
            seen = {k: v is not None for _, k, v in mops}
            groups.setdefault(frozenset(seen), []).append((op.index, seen))
    twice = sorted((k for k, n in writes.items() if n > 1), key=repr)
    if twice:
        return unknown_result(f"keys written more than once: {twice[:10]!r}")
    if client and not any(len(keys) > 1 for keys in groups):
        n = sum(len(g) for g in groups.values())
        return unknown_result(
            f"no ok read txn of two or more keys ({n} smaller read(s) among {client} client "
            "op(s)): there is no pair of reads to compare",
            reads=n,
        )
    forks = _forks(groups)
    not_, also_not = boundary(["G-nonadjacent"]) if forks else ([], [])
    return {
        "valid": not forks,
        "anomaly_types": ["long-fork"] if forks else [],
        "anomalies": {"long-fork": forks} if forks else {},
        "not": not_,
        "also_not": also_not,
        "reads": sum(len(g) for g in groups.values()),
    }


def _is_txn(value: Any) -> bool:
    """A value that is a non-empty list of lists: micro-ops (validated by ``txn_mops``)."""
    return isinstance(value, list) and bool(value) and all(type(m) is list for m in value)


def _forks(groups: dict[frozenset[Any], list[Read]]) -> list[dict[str, Any]]:
    out = []
    for keys, reads in groups.items():
        if len(keys) > 1:
            out.extend(_chain_violations(reads, keys))
    for (k1, r1), (k2, r2) in combinations(groups.items(), 2):
        common = k1 & k2
        if len(common) > 1 and (common != k1 or common != k2):
            out.extend(_chain_violations(r1 + r2, common))
    return out


def _chain_violations(reads: list[Read], keys: frozenset[Any]) -> list[dict[str, Any]]:
    proj = [(i, frozenset(k for k in keys if seen[k])) for i, seen in reads]
    proj.sort(key=lambda r: (len(r[1]), r[0]))
    out = []
    for (i, a), (j, b) in pairwise(proj):
        if not a <= b:
            x, y = min(a - b, key=repr), min(b - a, key=repr)
            out.append(
                {
                    "ops": [i, j],
                    "first_saw": x,
                    "second_saw": y,
                    "explanation": f"op {i} saw the write of key {x} but not of key {y}; "
                    f"op {j} saw the write of key {y} but not of key {x}",
                }
            )
    return out
