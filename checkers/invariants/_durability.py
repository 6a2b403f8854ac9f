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

The checker assumes one storage node (or reads from the crashed node); it does not map
crashes to replicas.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from checkers._result import Result, anomalies_result, unknown_result
from checkers.invariants._common import Pair, client_pairs, freeze, show, thaw
from ddialab.history import History

CRASH_FS = ("crash", "kill", "restart", "crash-restart", "power-loss", "power-failure")
WRITE_FS = ("write", "append", "add")
READ_FS = ("read", "final-read")


def check_durability(history: History, options: Mapping[str, Any]) -> Result:
    keyed = options.get("keyed", True)
    crashes = sorted(
        op.index
        for op in history.nemesis_ops()
        if op.f in CRASH_FS or op.extra.get("crash") is True
    )
    writes = [p for p in client_pairs(history, WRITE_FS) if _durable(p)]
    if not crashes:
        return unknown_result("no crash events in the history", durable_writes=len(writes))
    acked_at = _acked_at(history, keyed)
    lost: list[dict[str, Any]] = []
    reads = [p for p in client_pairs(history, READ_FS) if p.outcome == "ok"]
    by_key: dict[Any, list[Pair]] = {}
    for r in reads:
        kv = _kv(r.value, keyed)
        if kv is not None:
            by_key.setdefault(freeze(kv[0]), []).append(r)
    for w in writes:
        kv = _kv(w.inv.value, keyed)
        if kv is None:
            continue
        found = _first_miss(w, kv, crashes, by_key.get(freeze(kv[0]), []), acked_at, keyed)
        if found is not None:
            lost.append(found)
    return anomalies_result(
        {"lost-durable-writes": lost}, durable_writes=len(writes), crashes=len(crashes)
    )


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


def _first_miss(
    w: Pair, kv: Any, crashes: list[int], reads: list[Pair], acked_at: Any, keyed: bool
) -> dict[str, Any] | None:
    i = bisect_left(crashes, w.end)
    if i == len(crashes):
        return None
    crash = crashes[i]
    key, x = freeze(kv[0]), freeze(kv[1])
    for r in reads:
        if r.start > crash:
            state = _kv(r.value, keyed)
            if state is not None and _rolled_back(w, key, x, state[1], acked_at):
                return _witness(w, kv, crash, r, state[1])
    return None


def _rolled_back(w: Pair, key: Any, x: Any, state: Any, acked_at: Any) -> bool:
    if w.inv.f in ("append", "add"):
        return isinstance(state, list) and x not in {freeze(e) for e in state}
    s = freeze(state)
    if s == x:
        return False
    if state is None:
        return True
    acked = acked_at.get((key, s))
    return acked is not None and acked < w.start


def _witness(w: Pair, kv: Any, crash: int, r: Pair, state: Any) -> dict[str, Any]:
    return {
        "key": kv[0],
        "value": kv[1],
        "ops": [w.op, crash, r.op],
        "read": {"op": r.op, "value": thaw(freeze(state))},
        "explanation": f"{show(freeze(kv[1]))} was written durably to key {show(freeze(kv[0]))} "
        f"(op {w.op}), the system crashed (op {crash}), and the read at op {r.op} "
        f"returned {show(freeze(state))}, without it",
    }
