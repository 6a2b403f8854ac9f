"""Counter: every read lies within the bounds the increments allow at its time.

Theory of operation
-------------------
Ops: ``add`` with an int (negative allowed) and ``read`` whose ok value is an int; the
counter starts at ``options["init"]`` (default 0).  For a read invoked at ``i`` and completed
at ``c``, an add is *certain* if it completed ok before ``i`` and *possible* if it was
invoked before ``c`` and did not fail.  Certain adds count fully; the others may count or
not, so the read must lie in::

    [sum(certain) + sum(min(0, d) for possible-only), sum(certain) + sum(max(0, d) ...)]

Both sums come from a single sweep in history order, so a 100k-op history is linear.
The final read is simply the last one, judged by the same rule.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from checkers.invariants._common import client_pairs, is_int
from ddialab.history import INT, History, ShapeTable

#: Adds carry an integer; ok reads return one (anything else is bad input, exit 3).
SHAPES: ShapeTable = {("add", "invoke"): INT, ("read", "ok"): INT}


def check_counter(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "counter", SHAPES)
    if not any(op.type == "ok" and op.f == "read" for op in history.client_ops()):
        return nothing_to_check(history, "no ok reads (f read) to bound")
    init = options.get("init", 0)
    init = init if is_int(init) else 0
    pairs = list(client_pairs(history, ("add", "read")))
    adds = [p for p in pairs if p.inv.f == "add" and p.outcome != "fail" and is_int(p.inv.value)]
    reads = [p for p in pairs if p.inv.f == "read" and p.outcome == "ok" and is_int(p.value)]
    events = _events(adds)
    bad = []
    bounds = []
    for r in reads:
        lo, hi = _bounds(events, r.start, r.op, init)
        bounds.append((r.op, lo, hi))
        if not lo <= r.value <= hi:
            bad.append(_witness(r.op, r.value, lo, hi))
    result = anomalies_result({"out-of-bounds": bad}, reads=len(reads), adds=len(adds))
    if bounds:
        op, lo, hi = bounds[-1]
        result["final"] = {"op": op, "value": reads[-1].value, "lower": lo, "upper": hi}
    return result


def _events(adds: list[Any]) -> Any:
    """Prefix sums: by invocation (possible) and by ok completion (certain)."""
    inv = sorted((p.start, min(0, p.inv.value), max(0, p.inv.value)) for p in adds)
    ok = sorted(
        (int(p.end), min(0, p.inv.value), max(0, p.inv.value)) for p in adds if p.outcome == "ok"
    )
    return _prefix(inv), _prefix(ok)


def _prefix(rows: list[tuple[int, int, int]]) -> tuple[list[int], list[int], list[int]]:
    at, neg, pos = [], [0], [0]
    for i, n, p in rows:
        at.append(i)
        neg.append(neg[-1] + n)
        pos.append(pos[-1] + p)
    return at, neg, pos


def _bounds(events: Any, start: int, end: int, init: int) -> tuple[int, int]:
    (iat, ineg, ipos), (oat, oneg, opos) = events
    k = bisect_left(iat, end)  # adds invoked before the read completed
    j = bisect_left(oat, start)  # adds acknowledged before the read began
    lo = init + ineg[k] + opos[j]
    hi = init + ipos[k] + oneg[j]
    return lo, hi


def _witness(op: int, value: int, lo: int, hi: int) -> dict[str, Any]:
    return {
        "op": op,
        "ops": [op],
        "value": value,
        "lower": lo,
        "upper": hi,
        "explanation": f"the read at op {op} returned {value}, outside the bounds "
        f"[{lo}, {hi}] allowed by the increments acknowledged before it began and "
        f"those invoked before it completed",
    }
