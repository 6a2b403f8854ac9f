"""Set / set-full: every acknowledged ``add`` must show up, and stay, in later reads.

Theory of operation
-------------------
Ops: ``add`` with an element as value; ``read`` whose ok value is the list of elements.
As in Jepsen's set-full, each element becomes *known* when its add is acknowledged or when
the first read (by invocation) that returned it completed.  The reads invoked after that
moment decide its fate:

* ``stable``     -- every one of them contains it;
* ``stale``      -- some miss it but the last one has it (visibility lagged: a
                    linearizability violation, an anomaly only with ``options["linearizable"]``
                    or ``--consistency-model linearizable``);
* ``lost``       -- the last read misses it;
* ``never-read`` -- no read began after it was known.

Also: ``unexpected`` (read but never added), ``duplicated`` (twice in one read) and
``recovered`` (its add was indeterminate, yet it was read).

Reads are streamed in invocation order with set operations: the elements known before a
read began and present in every read since form one set, intersected with each read
(C-speed set algebra, one hash per element per read); those that drop out are *missed*,
and the last read says whether they came back (stale) or not (lost).  Memory is per
element, not per read x element.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from checkers.invariants._common import Pair, capped, client_pairs, freeze, show, thaw
from ddialab.history import ANY, PRESENT, History, ShapeTable, list_of

#: An add names its element; an ok read returns the array of elements (else exit 3).
SHAPES: ShapeTable = {("add", "invoke"): PRESENT, ("read", "ok"): list_of(ANY)}


def check_set(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "set", SHAPES)
    if not any(op.type == "ok" and op.f == "read" for op in history.client_ops()):
        return nothing_to_check(history, "no ok reads (f read) to check the adds against")
    adds: dict[Any, Pair] = {}
    reads: list[Pair] = []
    for p in client_pairs(history, ("add", "read")):
        if p.inv.f == "add" and p.outcome != "fail":
            adds.setdefault(freeze(p.inv.value), p)
        elif p.inv.f == "read" and p.outcome == "ok" and isinstance(p.value, list):
            reads.append(p)
    reads.sort(key=lambda r: r.start)
    lin = bool(options.get("linearizable")) or options.get("consistency_model") == "linearizable"
    return _judge(adds, reads, _stream(adds, reads), lin)


def _elements(value: list[Any]) -> set[Any]:
    try:
        return set(value)
    except TypeError:
        return {freeze(e) for e in value}


@dataclass
class _Sweep:
    """Elements by state: known (and present in every read since), missed, first reads."""

    known: set[Any] = field(default_factory=set)
    missed: dict[Any, int] = field(default_factory=dict)  # element -> op of a read lacking it
    first: dict[Any, int] = field(default_factory=dict)  # element -> op of first read with it
    known_op: dict[Any, int] = field(default_factory=dict)
    duplicated: list[dict[str, Any]] = field(default_factory=list)


def _stream(adds: dict[Any, Pair], reads: list[Pair]) -> _Sweep:
    sw = _Sweep()
    tie = itertools.count()  # heap entries never compare elements
    events = [(a.end, a.op, next(tie), e) for e, a in adds.items() if a.outcome == "ok"]
    heapq.heapify(events)
    seen: set[Any] = set()
    for r in reads:
        while events and events[0][0] < r.start:
            _, op, _, e = heapq.heappop(events)
            if e not in sw.known_op:
                sw.known_op[e] = op
                sw.known.add(e)
        elements = _elements(r.value)
        if len(elements) != len(r.value):
            sw.duplicated += _duplicates(r.value, r.op)
        for e in elements - seen:
            sw.first[e] = r.op
            heapq.heappush(events, (r.end, r.op, next(tie), e))
        seen |= elements
        for e in sw.known - elements:
            sw.missed[e] = r.op
        sw.known &= elements
    return sw


def _duplicates(value: list[Any], op: int) -> list[dict[str, Any]]:
    counts: dict[Any, int] = {}
    for e in value:
        counts[freeze(e)] = counts.get(freeze(e), 0) + 1
    return [
        {
            "element": thaw(e),
            "op": op,
            "ops": [op],
            "explanation": f"the read at op {op} returned {show(e)} {n} times",
        }
        for e, n in counts.items()
        if n > 1
    ]


def _judge(adds: dict[Any, Pair], reads: list[Pair], sw: _Sweep, lin: bool) -> Result:
    last = _elements(reads[-1].value) if reads else set()
    last_op = reads[-1].op if reads else -1
    lost = [e for e in sw.missed if e not in last]
    stale = [e for e in sw.missed if e in last]
    judged = len(sw.known) + len(sw.missed)
    known_ever = {e for e, a in adds.items() if a.outcome == "ok"} | sw.first.keys()
    unexpected = [e for e in sw.first if e not in adds]
    recovered = [e for e, a in adds.items() if a.outcome != "ok" and e in sw.first]
    anomalies = {
        "lost": [_witness(e, sw, last_op, None) for e in lost],
        "unexpected": [_unexpected(e, sw.first[e]) for e in unexpected],
        "duplicated": sw.duplicated,
    }
    if lin:
        anomalies["stale"] = [_witness(e, sw, last_op, sw.missed[e]) for e in stale]
    counts = {
        "stable": len(sw.known),
        "stale": len(stale),
        "lost": len(lost),
        "never-read": len(known_ever) - judged,
        "unexpected": len(unexpected),
        "recovered": len(recovered),
    }
    return anomalies_result(
        anomalies,
        # a finding: named and counted, but an anomaly only under ``lin`` (the shrinker
        # and the matrix's index-consistency column can still target it)
        findings=["stale"] if stale and not lin else [],
        attempted=len(adds),
        acknowledged=sum(1 for a in adds.values() if a.outcome == "ok"),
        counts=counts,
        lost=capped(sorted((thaw(e) for e in lost), key=repr)),
        stale=capped(sorted((thaw(e) for e in stale), key=repr)),
        recovered=capped(sorted((thaw(e) for e in recovered), key=repr)),
    )


def _witness(e: Any, sw: _Sweep, last_op: int, missing_op: int | None) -> dict[str, Any]:
    known = sw.known_op[e]
    if missing_op is None:
        text = f"{show(e)} was known by op {known}, but the last read (op {last_op}) lacks it"
        w = {"element": thaw(e), "known_op": known, "missing_op": last_op, "ops": [known, last_op]}
        return {**w, "explanation": text}
    text = (
        f"{show(e)} was known by op {known}, missing from the read at op {missing_op}, "
        f"and back in the last read (op {last_op})"
    )
    w = {"element": thaw(e), "known_op": known, "missing_op": missing_op, "present_op": last_op}
    return {**w, "ops": [known, missing_op, last_op], "explanation": text}


def _unexpected(e: Any, op: int) -> dict[str, Any]:
    return {
        "element": thaw(e),
        "op": op,
        "ops": [op],
        "explanation": f"the read at op {op} returned {show(e)}, which no op ever tried to add",
    }
