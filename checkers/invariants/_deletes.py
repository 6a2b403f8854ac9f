"""Deletes stay deleted: no read returns a value its key lost to an acknowledged delete.

Theory of operation
-------------------
Vocabulary (the ``kv-delete`` workload's).  Values are ``[key, v]``.  A *delete* is an ok
``write`` of ``[key, null]``; a *write of v* is a ``write`` of ``[key, v]`` or a ``cas``
of ``[key, [old, v]]``.  Written values are unique per key (the workload's contract), so
a read of ``v`` can only see the one write of ``v``.

The check, per key: a read invoked after an acknowledged delete completed must not return
a value whose (only) write was acknowledged before that delete was even invoked -- that
write was certainly overwritten by the delete, so seeing it again means the delete was
undone (a tombstone dropped by a merge, lost in a crash, ...): a ``resurrected-delete``.
A write that was not acknowledged, or that was concurrent with every later delete, may
legitimately take effect after the delete, and a value written twice is ambiguous: both
are skipped, never guessed.

Per key, deletes are sorted by invocation with the suffix minimum of their completions,
so "the earliest completion of a delete invoked after ``t``" is one bisection: the check
is O(n log n).

Fail closed: a history with no acknowledged delete followed by a read of its key
returns ``"unknown"`` with the reason (``checked_reads`` counts the reads that could
tell), never a vacuous ``true``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check, unknown_result
from checkers.invariants._common import Pair, client_pairs, freeze, show, thaw
from ddialab.history import KEY_VALUE, History, ShapeTable

SHAPES: ShapeTable = {("write", "invoke"): KEY_VALUE, ("read", "ok"): KEY_VALUE}
INF = float("inf")


def check_deletes(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "deletes", SHAPES)
    if not history.client_ops():
        return nothing_to_check(history, "no client ops")
    written, deletes = _writes_and_deletes(history)
    found: list[dict[str, Any]] = []
    checked = 0
    for r in client_pairs(history, ("read",)):
        key, v = r.value if r.outcome == "ok" else (None, None)
        d = deletes.get(freeze(key))
        if d is None or d.after(-1, r.start) is None:
            continue
        checked += 1
        w = written.get((freeze(key), freeze(v))) if v is not None else None
        hit = d.after(w.end, r.start) if w is not None else None
        if w is not None and hit is not None:
            found.append(_witness(key, v, w, hit, r))
    counts = {"deletes": sum(len(d.pairs) for d in deletes.values()), "checked_reads": checked}
    if not checked:
        return unknown_result("no acknowledged delete was followed by a read of its key", **counts)
    return anomalies_result({"resurrected-delete": found}, **counts)


class _Deletes:
    """One key's acknowledged deletes, by invocation, with suffix-minimum completions."""

    def __init__(self, pairs: list[Pair]) -> None:
        self.pairs = sorted(pairs, key=lambda p: p.start)
        self.starts = [p.start for p in self.pairs]
        self.min_end: list[tuple[float, int]] = []
        best: tuple[float, int] = (INF, -1)
        for i in range(len(self.pairs) - 1, -1, -1):
            best = min(best, (self.pairs[i].end, i))
            self.min_end.append(best)
        self.min_end.reverse()

    def after(self, written: float, read: int) -> Pair | None:
        """A delete invoked after ``written`` and completed before ``read`` began."""
        i = bisect_right(self.starts, written)
        if i == len(self.pairs) or self.min_end[i][0] >= read:
            return None
        return self.pairs[self.min_end[i][1]]


def _writes_and_deletes(history: History) -> tuple[dict[Any, Pair], dict[Any, _Deletes]]:
    """(key, value) -> its one acknowledged write (values written twice left out), and
    key -> its acknowledged deletes."""
    seen: dict[Any, list[Pair]] = {}
    deletes: dict[Any, list[Pair]] = {}
    for p in client_pairs(history, ("write", "cas")):
        key, v = _written(p)
        if p.inv.f == "write" and v is None:
            if p.outcome == "ok":
                deletes.setdefault(freeze(key), []).append(p)
        elif v is not None:
            seen.setdefault((freeze(key), freeze(v)), []).append(p)
    written = {kv: ps[0] for kv, ps in seen.items() if len(ps) == 1 and ps[0].outcome == "ok"}
    return written, {k: _Deletes(ps) for k, ps in deletes.items()}


def _written(p: Pair) -> tuple[Any, Any]:
    value = p.inv.value
    if not (isinstance(value, list) and len(value) == 2):
        return None, None
    key, v = value
    if p.inv.f == "cas":
        return (key, v[1]) if isinstance(v, list) and len(v) == 2 else (None, None)
    return key, v


def _witness(key: Any, v: Any, w: Pair, d: Pair, r: Pair) -> dict[str, Any]:
    return {
        "key": thaw(freeze(key)),
        "value": v,
        "ops": [w.op, d.op, r.op],
        "explanation": f"{show(freeze(v))} was written to key {show(freeze(key))} (op {w.op}), "
        f"then the key was deleted (op {d.op}, acknowledged), yet the read at op {r.op} "
        f"returned {show(freeze(v))}: the delete was undone",
    }
