"""Deterministic random histories of a keyed compare-and-set register, for benchmarks.

Theory of operation
-------------------
``concurrency`` processes each run operations back to back.  Every operation gets three
random instants: invocation, linearization point, completion.  All instants of all
processes are merged in time order and replayed against a true in-memory map of
registers: at its linearization point an operation reads or changes the true state, so
the emitted history is linearizable by construction.  With ``info_rate`` an operation
times out (completion ``info``; it took effect or not, at random) and its process is
retired, as in Jepsen.  ``stale_reads`` > 0 makes that many ok reads return the value the
register held before its latest change -- often not linearizable, but not always: with
enough concurrency (or a timed-out write) the old value may still be explainable.
"""

from __future__ import annotations

import heapq
import random
from typing import Any

from ddialab.history import History, Op


def keyed_register_history(
    n_ops: int,
    keys: int = 100,
    concurrency: int = 20,
    seed: int = 0,
    info_rate: float = 0.0,
    stale_reads: int = 0,
) -> History:
    """``n_ops`` invocations (plus completions) over registers ``0..keys-1``, values [k, v]."""
    rng = random.Random(seed)
    truth: dict[int, Any] = {}
    old: dict[int, list[Any]] = {}
    ops: list[Op] = []
    events: list[tuple[float, int, int, dict[str, Any]]] = []  # (time, phase, seq, op state)
    seq = 0
    started = 0
    for p in range(concurrency):
        seq, started = _schedule(rng, events, p, 0.0, seq, started, n_ops, keys, info_rate)
    stale_left = stale_reads
    while events:
        t, phase, _, st = heapq.heappop(events)
        if phase == 0:
            ops.append(Op(len(ops), int(t * 1000), "invoke", st["p"], st["f"], st["inv"]))
        elif phase == 1:
            if st["apply"]:
                stale = stale_left > 0 and st["f"] == "read" and len(old.get(st["k"], ())) > 1
                st["out"] = _apply(truth, old, st, stale)
                stale_left -= stale
        else:
            out = st["out"]
            if st["timeout"]:
                ops.append(Op(len(ops), int(t * 1000), "info", st["p"], st["f"], st["inv"]))
                next_p = st["p"] + concurrency
            else:
                typ = "fail" if out is None else "ok"
                ops.append(Op(len(ops), int(t * 1000), typ, st["p"], st["f"], out or st["inv"]))
                next_p = st["p"]
            seq, started = _schedule(rng, events, next_p, t, seq, started, n_ops, keys, info_rate)
    return History(ops)


def _schedule(
    rng: random.Random,
    events: list[Any],
    p: int,
    now: float,
    seq: int,
    started: int,
    n_ops: int,
    keys: int,
    info_rate: float,
) -> tuple[int, int]:
    if started >= n_ops:
        return seq, started
    k = rng.randrange(keys)
    f = rng.choice(("read", "write", "cas"))
    v = rng.randrange(5)
    inv: Any = [k, None] if f == "read" else [k, v] if f == "write" else [k, [v, rng.randrange(5)]]
    timeout = rng.random() < info_rate
    apply = not timeout or rng.random() < 0.5
    st = {"p": p, "f": f, "k": k, "inv": inv, "apply": apply, "out": None, "timeout": timeout}
    t0 = now + rng.expovariate(1.0)
    t1 = t0 + rng.expovariate(1.0)
    t2 = t1 + rng.expovariate(1.0)
    for phase, t in enumerate((t0, t1, t2)):
        heapq.heappush(events, (t, phase, seq, st))
        seq += 1
    return seq, started + 1


def _apply(
    truth: dict[int, Any], old: dict[int, list[Any]], st: dict[str, Any], stale: bool
) -> Any:
    """Apply at the linearization point; the completion value (None for a failed cas)."""
    k, f = st["k"], st["f"]
    cur = truth.get(k)
    if f == "read":
        seen = old[k][-2] if stale else cur
        return [k, seen]
    if f == "write":
        truth[k] = st["inv"][1]
    elif cur == st["inv"][1][0]:
        truth[k] = st["inv"][1][1]
    else:
        return None
    old.setdefault(k, [None]).append(truth[k])
    return st["inv"]
