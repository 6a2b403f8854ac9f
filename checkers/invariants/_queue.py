"""Queues: nothing lost, nothing delivered twice, and (FIFO) nothing overtaken.

Theory of operation
-------------------
Ops: ``enqueue`` with an element; ``dequeue`` whose ok value is the element taken (``null``
when the queue was empty); ``drain`` whose ok value is the list of every element left.
Elements are assumed unique.

* ``lost``        -- an enqueue acknowledged before the last completed drain began, never
                     dequeued (without a drain, undelivered elements may simply be still
                     queued: they are listed as ``remaining``);
* ``duplicated``  -- dequeued more than once;
* ``unexpected``  -- dequeued but never enqueued;
* ``out-of-order`` (``options["model"] == "fifo"``) -- ``a``'s enqueue completed before
  ``b``'s began, yet ``b``'s dequeue completed before ``a``'s began.  Found with one sweep
  over enqueues sorted by completion, keeping the latest-dequeued element so far.

``recovered`` lists indeterminate enqueues that were delivered.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from checkers.invariants._common import Pair, capped, client_pairs, freeze, show, thaw
from ddialab.history import ANY, PRESENT, History, ShapeTable, list_of

FIFO_MODELS = ("fifo", "fifo-queue")
#: An enqueue names its element; a drain returns the array of elements left (else exit 3).
SHAPES: ShapeTable = {("enqueue", "invoke"): PRESENT, ("drain", "ok"): list_of(ANY)}


def check_queue(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "queue", SHAPES)
    if not any(op.type == "ok" and op.f in ("dequeue", "drain") for op in history.client_ops()):
        return nothing_to_check(history, "no ok dequeue or drain: nothing was delivered to check")
    enq: dict[Any, Pair] = {}
    deq: dict[Any, list[tuple[int, float]]] = {}  # element -> [(start, end) of deliveries]
    drained = -1  # invocation index of the last completed drain
    for p in client_pairs(history, ("enqueue", "dequeue", "drain")):
        if p.inv.f == "enqueue" and p.outcome != "fail":
            enq.setdefault(freeze(p.inv.value), p)
        elif p.outcome == "ok" and p.inv.f == "dequeue" and p.value is not None:
            deq.setdefault(freeze(p.value), []).append((p.start, p.end))
        elif p.outcome == "ok" and p.inv.f == "drain" and isinstance(p.value, list):
            drained = max(drained, p.start)
            for e in p.value:
                deq.setdefault(freeze(e), []).append((p.start, p.end))
    fifo = options.get("model") in FIFO_MODELS
    return _judge(enq, deq, drained, fifo)


def _judge(enq: dict[Any, Pair], deq: dict[Any, Any], drained: int, fifo: bool) -> Result:
    undelivered = [e for e, p in enq.items() if p.outcome == "ok" and e not in deq]
    lost = [e for e in undelivered if enq[e].end < drained]
    still = [e for e in undelivered if enq[e].end >= drained]
    anomalies: dict[str, list[Any]] = {
        "lost": [_lost(e, enq[e]) for e in lost],
        "duplicated": [_dup(e, d) for e, d in deq.items() if len(d) > 1],
        "unexpected": [_unexpected(e, d) for e, d in deq.items() if e not in enq],
    }
    if fifo:
        anomalies["out-of-order"] = _out_of_order(enq, deq)
    recovered = [e for e, p in enq.items() if p.outcome != "ok" and e in deq]
    return anomalies_result(
        anomalies,
        enqueued=len(enq),
        delivered=len(deq),
        drained=drained >= 0,
        remaining=capped([thaw(e) for e in still]),
        recovered=capped([thaw(e) for e in recovered]),
    )


def _out_of_order(enq: dict[Any, Pair], deq: dict[Any, Any]) -> list[dict[str, Any]]:
    rows = sorted((p.end, e) for e, p in enq.items() if e in deq and p.outcome == "ok")
    ends = [r[0] for r in rows]
    best: list[tuple[int, Any]] = []  # prefix max of (dequeue start, element)
    for _, e in rows:
        cur = (min(s for s, _ in deq[e]), e)
        best.append(max(best[-1], cur) if best else cur)
    out = []
    for b, p in enq.items():
        if b not in deq:
            continue
        k = bisect_left(ends, p.start)  # enqueues completed before b's began
        if k and best[k - 1][0] > min(end for _, end in deq[b]):
            out.append(_overtaken(best[k - 1][1], b, enq, deq))
    return out


def _overtaken(a: Any, b: Any, enq: dict[Any, Pair], deq: dict[Any, Any]) -> dict[str, Any]:
    return {
        "elements": [thaw(a), thaw(b)],
        "ops": [enq[a].op, enq[b].op],
        "explanation": f"{show(a)} was enqueued (op {enq[a].op}) before {show(b)} was enqueued "
        f"(op {enq[b].op}), but {show(b)} was dequeued before {show(a)}'s dequeue began",
    }


def _lost(e: Any, p: Pair) -> dict[str, Any]:
    return {
        "element": thaw(e),
        "op": p.op,
        "ops": [p.op],
        "explanation": f"{show(e)} was enqueued (op {p.op}, acknowledged) and never dequeued, "
        f"not even by the drain",
    }


def _dup(e: Any, d: list[Any]) -> dict[str, Any]:
    return {
        "element": thaw(e),
        "count": len(d),
        "ops": _deliveries(d),
        "explanation": f"{show(e)} was dequeued {len(d)} times",
    }


def _unexpected(e: Any, d: list[Any]) -> dict[str, Any]:
    return {
        "element": thaw(e),
        "ops": _deliveries(d),
        "explanation": f"{show(e)} was dequeued but never enqueued",
    }


def _deliveries(d: list[tuple[int, float]]) -> list[int]:
    """The completion indices of an element's deliveries (dequeues or drains, all ok)."""
    return [int(end) for _, end in d]
