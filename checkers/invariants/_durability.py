"""Durability: a write acknowledged after fsync survives a crash.

Theory of operation
-------------------
Vocabulary.  A *durable write* is an ok ``write`` / ``append`` / ``add`` whose completion (or
invocation) carries ``extra["durable"] = true`` -- the system acknowledged it only after it
reached stable storage.  A *crash* is a nemesis op whose ``f`` is one of ``CRASH_FS`` (or
that carries ``extra["crash"] = true``).  Values are ``[key, v]`` as in the KV workloads
(``options["keyed"] = False``: bare values, one key).

Every ok ``read`` / ``final-read`` of the key invoked after a crash that itself followed the
write's acknowledgement must still show the write:

* append / add keys: the element is in the list or set read;
* registers: the value read is the write itself or a value that was not *older* -- a read
  of the initial state (``null``), or of a value whose write was acknowledged before the
  durable write was even invoked, proves the write was rolled back.  Anything else could be
  a later overwrite and passes.

Fail closed: a history with crashes but no write marked durable is ``"unknown"`` with a
reason -- a system that never promised durability gives nothing to check, and a vacuous
``true`` would read as a verified guarantee.  The result counts ``durable_writes`` (and
``checked_writes``: durable writes followed by a crash and then by a read of their key)
so a caller can see how much a ``true`` rests on; none checked is ``"unknown"`` too.

The checker assumes one storage node (or reads from the crashed node); it does not map
crashes to replicas.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check, unknown_result
from checkers.invariants._common import Pair, client_pairs, freeze, show, thaw
from ddialab.history import KEY_VALUE, History, Op, ShapeTable

CRASH_FS = ("crash", "kill", "restart", "crash-restart", "power-loss", "power-failure")
WRITE_FS = ("write", "append", "add")
READ_FS = ("read", "final-read")
#: Keyed values (the default) are ``[key, v]``; anything else is bad input (exit 3).
KEYED: ShapeTable = {
    **{(f, "invoke"): KEY_VALUE for f in WRITE_FS},
    **{(f, "ok"): KEY_VALUE for f in READ_FS},
}


def _crash_events(history: History, crash_ops: list[Op]) -> int:
    """Crashes, counted once each.  The nemesis is one sequential process: an op opens a
    fault (``invoke``, or Jepsen's first ``info``) unless it completes the one still open."""
    crash_ids, count, open_f = {id(op) for op in crash_ops}, 0, None
    for op in history.nemesis_ops():
        if op.type != "invoke" and open_f == op.f:
            open_f = None
            continue
        open_f = op.f
        count += id(op) in crash_ids
    return count


def check_durability(history: History, options: Mapping[str, Any]) -> Result:
    keyed = options.get("keyed", True)
    admit(history, "durability", KEYED if keyed else {})
    if not history.client_ops():
        return nothing_to_check(history, "no client ops")
    crash_ops = [
        op for op in history.nemesis_ops() if op.f in CRASH_FS or op.extra.get("crash") is True
    ]
    # both halves of a crash op bound the writes it may take (positions); it is one crash
    crashes = sorted(op.index for op in crash_ops)
    events = _crash_events(history, crash_ops)
    writes = [p for p in client_pairs(history, WRITE_FS) if _durable(p)]
    if not crashes:
        return unknown_result("no crash events in the history", durable_writes=len(writes))
    if not writes:
        return unknown_result(
            "no write marked durable (an ok write/append/add with extra durable=true): the "
            "system promised nothing to check",
            durable_writes=0,
            crashes=events,
        )
    acked_at = _acked_at(history, keyed)
    reads: dict[Any, list[tuple[Pair, Any]]] = {}
    for r in client_pairs(history, READ_FS):
        kv = _kv(r.value, keyed) if r.outcome == "ok" else None
        if kv is not None:
            reads.setdefault(freeze(kv[0]), []).append((r, kv[1]))
    due: dict[Any, list[tuple[int, Pair, Any]]] = {}  # key -> (crash, write, value)
    for w in writes:
        kv = _kv(w.inv.value, keyed)
        i = bisect_left(crashes, w.end)
        if kv is not None and i < len(crashes):
            due.setdefault(freeze(kv[0]), []).append((crashes[i], w, freeze(kv[1])))
    lost: list[dict[str, Any]] = []
    checked = 0
    for key, ws in due.items():
        found, n = _sweep_key(key, sorted(ws, key=lambda x: x[0]), reads.get(key, []), acked_at)
        lost += found
        checked += n
    counts = {"durable_writes": len(writes), "checked_writes": checked, "crashes": events}
    if not checked:
        return unknown_result(
            "no durable write was followed by a crash and then a read of its key", **counts
        )
    return anomalies_result({"lost-durable-writes": lost}, **counts)


def _sweep_key(
    key: Any, due: list[Any], reads: list[Any], acked_at: Any
) -> tuple[list[dict[str, Any]], int]:
    """Reads in invocation order against the durable writes a crash has already tested;
    also how many durable writes some read after their crash tested."""
    elements: dict[Any, tuple[Pair, int]] = {}  # append/add: element -> (write, crash)
    registers: list[tuple[int, Any, Pair, int]] = []  # (write start, value, write, crash)
    out = []
    nxt = 0
    for r, state in sorted(reads, key=lambda rs: rs[0].start):
        while nxt < len(due) and due[nxt][0] < r.start:
            crash, w, x = due[nxt]
            if w.inv.f in ("append", "add"):
                elements[x] = (w, crash)
            else:
                insort(registers, (w.start, x, w, crash), key=lambda e: e[0])
            nxt += 1
        for x, (w, crash) in _missing_elements(elements, state):
            out.append(_witness(w, key, x, crash, r, state))
        for x, (w, crash) in _rolled_back(registers, key, state, acked_at):
            out.append(_witness(w, key, x, crash, r, state))
    return out, nxt


def _missing_elements(elements: dict[Any, Any], state: Any) -> list[tuple[Any, Any]]:
    if not elements or not isinstance(state, list):
        return []
    gone = elements.keys() - {freeze(e) for e in state}
    return [(x, elements.pop(x)) for x in sorted(gone, key=repr)]


def _rolled_back(registers: list[Any], key: Any, state: Any, acked_at: Any) -> list[Any]:
    """Durable register writes that ``state`` predates: it is null, or was acknowledged
    before they were invoked.  Each is reported once."""
    if not registers:
        return []
    s = freeze(state)
    if state is None:
        threshold = -1
    elif (key, s) in acked_at:
        threshold = acked_at[(key, s)]
    else:
        return []  # a value of unknown age: it may be a later overwrite
    i = bisect_right(registers, threshold, key=lambda e: e[0])
    gone = [e for e in registers[i:] if e[1] != s]
    for e in gone:
        registers.remove(e)
    return [(e[1], (e[2], e[3])) for e in gone]


def _durable(p: Pair) -> bool:
    return p.outcome == "ok" and p.extra("durable") is True


def _kv(value: Any, keyed: bool) -> tuple[Any, Any] | None:
    if not keyed:
        return None, value
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return None


def _acked_at(history: History, keyed: bool) -> dict[tuple[Any, Any], int]:
    out: dict[tuple[Any, Any], int] = {}
    for p in client_pairs(history, WRITE_FS):
        kv = _kv(p.inv.value, keyed)
        if p.outcome == "ok" and kv is not None:
            out.setdefault((freeze(kv[0]), freeze(kv[1])), int(p.end))
    return out


def _witness(w: Pair, key: Any, x: Any, crash: int, r: Pair, state: Any) -> dict[str, Any]:
    return {
        "key": thaw(key),
        "value": thaw(x),
        "ops": [w.op, crash, r.op],
        "read": {"op": r.op, "value": state},
        "explanation": f"{show(x)} was written durably to key {show(key)} (op {w.op}), the "
        f"system crashed (op {crash}), and the read at op {r.op} returned "
        f"{show(freeze(state))}, without it",
    }
