"""Set / set-full: every acknowledged ``add`` must show up, and stay, in later reads.

Theory of operation
-------------------
Ops: ``add`` with an element as value; ``read`` whose ok value is the list of elements.
As Jepsen's set-full, each element becomes *known* when its add is acknowledged or when a
read first returns it.  The reads invoked after that moment decide its fate:

* ``stable``     -- every one of them contains it;
* ``stale``      -- some miss it but a later one has it (visibility lagged: a
                    linearizability violation, an anomaly only with ``options["linearizable"]``);
* ``lost``       -- the last of them misses it;
* ``never-read`` -- no read began after it was known.

Also: ``unexpected`` (read but never added), ``duplicated`` (twice in one read) and
``recovered`` (its add was indeterminate, yet it was read).  Read order is by invocation.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from checkers._result import Result, anomalies_result
from checkers.invariants._common import capped, client_pairs, freeze, show, thaw
from ddialab.history import History


def check_set(history: History, options: Mapping[str, Any]) -> Result:
    adds: dict[Any, Any] = {}
    reads: list[tuple[int, int, set[Any]]] = []  # (invoke, completion, elements)
    duplicated: list[dict[str, Any]] = []
    for p in client_pairs(history, ("add", "read")):
        if p.inv.f == "add" and p.outcome != "fail":
            adds.setdefault(freeze(p.inv.value), p)
        elif p.inv.f == "read" and p.outcome == "ok" and isinstance(p.value, list):
            elements = [freeze(e) for e in p.value]
            reads.append((p.start, p.op, set(elements)))
            duplicated += _duplicates(elements, p.op)
    reads.sort()
    return _judge(adds, reads, duplicated, bool(options.get("linearizable")))


def _duplicates(elements: list[Any], op: int) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    out = []
    for e in elements:
        if e in seen:
            out.append({"element": thaw(e), "op": op, "explanation": _dup_text(e, op)})
        seen.add(e)
    return out


def _dup_text(e: Any, op: int) -> str:
    return f"the read at op {op} returned {show(e)} more than once"


def _judge(adds: dict[Any, Any], reads: list[Any], dup: list[Any], linearizable: bool) -> Result:
    containing: dict[Any, list[int]] = {}
    first_seen: dict[Any, int] = {}
    for i, (_, comp, elements) in enumerate(reads):
        for e in elements:
            containing.setdefault(e, []).append(i)
            first_seen.setdefault(e, comp)
    starts = [r[0] for r in reads]
    outcome: dict[str, list[Any]] = {"lost": [], "stale": [], "never-read": [], "stable": []}
    witnesses: dict[str, list[dict[str, Any]]] = {"lost": [], "stale": []}
    for e in set(adds) | set(first_seen):
        kind, w = _fate(e, adds.get(e), first_seen.get(e), containing.get(e, []), reads, starts)
        if kind:
            outcome[kind].append(e)
            if w is not None:
                witnesses[kind].append(w)
    unexpected = [e for e in first_seen if e not in adds]
    recovered = [e for e in adds if adds[e].outcome != "ok" and e in first_seen]
    anomalies = {
        "lost": witnesses["lost"],
        "unexpected": [_unexpected(e, first_seen[e]) for e in unexpected],
        "duplicated": dup,
    }
    if linearizable:
        anomalies["stale"] = witnesses["stale"]
    counts = {k: len(v) for k, v in outcome.items()}
    return anomalies_result(
        anomalies,
        attempted=len(adds),
        acknowledged=sum(1 for p in adds.values() if p.outcome == "ok"),
        counts={**counts, "unexpected": len(unexpected), "recovered": len(recovered)},
        lost=capped(sorted((thaw(e) for e in outcome["lost"]), key=repr)),
        stale=capped(sorted((thaw(e) for e in outcome["stale"]), key=repr)),
        recovered=capped(sorted((thaw(e) for e in recovered), key=repr)),
    )


def _fate(e: Any, add: Any, seen: int | None, has: list[int], reads: list[Any], starts: Any) -> Any:
    acked = add.end if add is not None and add.outcome == "ok" else None
    known = min((x for x in (acked, seen) if x is not None), default=None)
    if known is None:
        return None, None  # an indeterminate add nobody read: nothing to say
    known_op = add.op if acked == known else seen
    first = bisect_right(starts, known)  # the reads invoked after it was known
    if first >= len(reads):
        return "never-read", None
    present = has[bisect_right(has, first - 1) :]
    if len(present) == len(reads) - first:
        return "stable", None
    here = set(present)
    absent = next(i for i in range(first, len(reads)) if i not in here)
    if present and present[-1] == len(reads) - 1:
        later = next(i for i in present if i > absent)
        return "stale", _missing_witness(e, known_op, reads, absent, later)
    return "lost", _missing_witness(e, known_op, reads, len(reads) - 1, None)


def _missing_witness(
    e: Any, known_op: Any, reads: list[Any], absent: int, later: int | None
) -> dict[str, Any]:
    miss = reads[absent][1]
    w: dict[str, Any] = {"element": thaw(e), "known_op": known_op, "missing_op": miss}
    if later is None:
        w["explanation"] = (
            f"{show(e)} was known by op {known_op}, but the last read (op {miss}) lacks it"
        )
    else:
        w["present_op"] = reads[later][1]
        w["explanation"] = (
            f"{show(e)} was known by op {known_op}, missing from the read at op {miss}, "
            f"and back in the read at op {reads[later][1]}"
        )
    return w


def _unexpected(e: Any, op: int) -> dict[str, Any]:
    return {
        "element": thaw(e),
        "op": op,
        "explanation": f"the read at op {op} returned {show(e)}, which no op ever tried to add",
    }
