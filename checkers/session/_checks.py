"""Read-your-writes, monotonic reads, and the single-key parts of MW and WFR.

Theory of operation
-------------------
Each guarantee is judged separately and records, per comparison it makes, the evidence the
answer rests on (see ``_order``).  A comparison that is violated yields a witness; one that
cannot be decided is counted (with a few examples) so the verdict becomes ``"unknown"``
rather than a guess.  Witnesses are deduplicated so a process that keeps missing the same
write is reported once.

Where each guarantee looks (Terry et al. define MW and WFR per server state, DDIA's
consistent prefix per observer):

* read-your-writes  -- each read against the session's latest earlier write to that key
  (for append keys, all of its earlier appends);
* monotonic-reads   -- each read against the session's earlier reads of that key;
* monotonic-writes  -- one *state*: an append list, a txn's multi-key snapshot, or the
  system-supplied version order, shows a session's later write without (or before) its
  earlier write;
* writes-follow-reads -- one state shows a write without the state its writer had read
  before writing it;
* consistent-prefix -- across a reader's *successive* reads: having observed a write ``w2``,
  a later read of another key misses a write ``w2`` depended on (its writer's earlier write
  to that key, or what its writer had read of that key).  One hop of dependency is followed.

The multi-key parts (txn snapshots for MW and WFR, and consistent prefix) live in
``_causal``, which knows how to fold dependencies.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from checkers.session._causal import READ, WROTE, Deps, snapshot_deps
from checkers.session._model import Txn
from checkers.session._order import APPEND, UNKNOWN_EV, Facts, KeyFacts
from checkers.session._tally import (
    MAX_FRONTIER,
    NOTHING,
    Tally,
    append_missing,
    cycle,
    show,
    undecided,
)
from ddialab.vocabulary import thaw


# -- read-your-writes --------------------------------------------------------------------
def read_your_writes(facts: Facts, tally: Tally) -> None:
    for process, txns in facts.parsed.by_process.items():
        mine: dict[Any, list[tuple[Any, Txn]]] = {}
        need: dict[Any, float] = {}  # append key -> prefix length holding all own appends
        for t in txns:
            tally.tick()
            for key, obs in t.reads.items():
                ws = mine.get(key)
                if not ws:
                    continue
                k = facts.keys.get(key)
                if k is None or not k.append:
                    _ryw_one(facts, tally, process, key, obs, t, *ws[-1])
                elif isinstance(obs, int) and need[key] <= obs:
                    tally.evidence[APPEND] += 1  # the prefix read holds every own append
                else:
                    for w, wt in ws:
                        _ryw_one(facts, tally, process, key, obs, t, w, wt)
            if t.ok:
                for key, value, _ in t.writes:
                    mine.setdefault(key, []).append((value, t))
                    k = facts.keys[key]
                    if k.append:
                        at = k.gidx.get(value)
                        need[key] = max(need.get(key, 0), INF if at is None else at + 1)


INF = float("inf")


def _ryw_one(
    facts: Facts, tally: Tally, p: Any, key: Any, obs: Any, t: Txn, w: Any, wt: Txn
) -> None:
    d = facts.includes(key, obs, w)
    res = tally.decided(d)
    if res is None:
        tally.unknown(undecided(key, t, w, f"process {p}'s own write"))
    elif not res:
        read = facts.show(key, obs)
        tally.violation(
            (p, key, w),
            {
                "process": p,
                "key": thaw(key),
                "ops": [wt.op, t.op],
                "write": {"op": wt.op, "value": thaw(w)},
                "read": {"op": t.op, "value": thaw(read)},
                "evidence": d[1],
                "cycle": cycle(wt.op, "process", t.op, "rw", wt.op),
                "explanation": f"process {p} wrote {show(w)} to key {show(key)} (op {wt.op}) "
                f"and then read {show(read)} (op {t.op}), which does not include its own "
                f"write [{d[1]}]",
            },
        )


# -- monotonic reads ---------------------------------------------------------------------
def monotonic_reads(facts: Facts, tally: Tally) -> None:
    for process, txns in facts.parsed.by_process.items():
        frontier: dict[Any, list[tuple[Any, Txn]]] = {}
        for t in txns:
            tally.tick()
            for key, obs in t.reads.items():
                k = facts.keys.get(key)
                prev = frontier.get(key, [])
                if k is not None and k.append:
                    frontier[key] = _mr_append(facts, tally, process, k, obs, t, prev)
                else:
                    frontier[key] = _mr_register(facts, tally, process, key, obs, t, prev)


def _mr_append(
    facts: Facts, tally: Tally, p: Any, k: KeyFacts, obs: Any, t: Txn, prev: list[Any]
) -> list[Any]:
    keep = []
    for pobs, pt in prev:
        missing = append_missing(k, pobs, obs)
        tally.evidence[APPEND if missing is not None else UNKNOWN_EV] += 1
        if missing is None:
            tally.unknown(undecided(k.key, t, pobs, "an earlier read"))
            keep.append((pobs, pt))
        elif missing is not NOTHING:
            _mr_violation(facts, tally, p, k.key, (pobs, pt), (obs, t), missing, APPEND)
        elif isinstance(pobs, int) and isinstance(obs, int) and pobs > obs:
            keep.append((pobs, pt))
    return [*keep, (obs, t)][-MAX_FRONTIER:]


def _mr_register(
    facts: Facts, tally: Tally, p: Any, key: Any, obs: Any, t: Txn, prev: list[Any]
) -> list[Any]:
    keep = []
    for pv, pt in prev:
        if pv == obs:
            continue
        d = facts.includes(key, obs, pv)
        res = tally.decided(d)
        if res is None:
            tally.unknown(undecided(key, t, pv, "read earlier by the same process"))
            keep.append((pv, pt))
        elif not res:
            _mr_violation(facts, tally, p, key, (pv, pt), (obs, t), pv, d[1])
    if obs is not None:
        keep.append((obs, t))
    return keep[-MAX_FRONTIER:]


def _mr_violation(
    facts: Facts, tally: Tally, p: Any, key: Any, first: Any, second: Any, lost: Any, ev: str
) -> None:
    (o1, t1), (o2, t2) = first, second
    v1, v2 = thaw(facts.show(key, o1)), thaw(facts.show(key, o2))
    w_op = facts.writer_op(key, lost)
    tally.violation(
        (p, key, lost),
        {
            "process": p,
            "key": thaw(key),
            "ops": [t1.op, t2.op],
            "reads": [{"op": t1.op, "value": v1}, {"op": t2.op, "value": v2}],
            "missing": thaw(lost),
            "evidence": ev,
            "cycle": cycle(t1.op, "process", t2.op, "rw", w_op, "wr", t1.op),
            "explanation": f"process {p} read {json.dumps(v1)} from key {show(key)} (op {t1.op}) "
            f"and later read {json.dumps(v2)} (op {t2.op}), an older state without "
            f"{show(lost)} [{ev}]",
        },
    )


def _observed_registers(facts: Facts) -> set[tuple[Any, Any]]:
    return {
        (key, obs)
        for t in facts.parsed.txns
        for key, obs in t.reads.items()
        if key in facts.keys and not facts.keys[key].append
    }


def _order_undecided(key: Any, p: Any, w1: Any, w2: Any, what: str) -> dict[str, Any]:
    return {
        "key": thaw(key),
        "process": p,
        "values": [thaw(w1), thaw(w2)],
        "explanation": f"nothing in the history orders {show(w1)} and {show(w2)} on key "
        f"{show(key)} ({what})",
    }


# -- monotonic writes --------------------------------------------------------------------
def monotonic_writes(facts: Facts, tally: Tally) -> None:
    _mw_register_orders(facts, tally, _observed_registers(facts))
    for k in facts.keys.values():
        tally.tick()
        if k.append:
            for seq, reader in _append_states(facts, k):
                _mw_scan_list(facts, tally, k, seq, reader)
    deps = Deps(facts)
    for t in facts.parsed.txns:
        tally.tick()
        if len(t.reads) > 1:
            snapshot_deps(facts, deps, tally, t, WROTE)


def _mw_register_orders(facts: Facts, tally: Tally, observed: set[tuple[Any, Any]]) -> None:
    for (p, key), ws in facts.pwrites.items():
        tally.tick()
        k = facts.keys[key]
        if k.append:
            continue
        for (s1, w1), (s2, w2) in pairwise(ws):
            if s1 == s2 or not k.writes[w1].ok:
                continue  # same txn (atomicity, not sessions), or w1 may never have happened
            d = facts.precedes(k, w1, w2)
            if d[0] is None and (key, w2) not in observed:
                continue
            res = tally.decided(d)
            if res is None:
                tally.unknown(_order_undecided(key, p, w1, w2, f"process {p}'s writes"))
            elif not res:
                _mw_order_violation(facts, tally, p, key, w1, w2, d[1])


def _mw_order_violation(
    facts: Facts, tally: Tally, p: Any, key: Any, w1: Any, w2: Any, ev: str
) -> None:
    k = facts.keys[key]
    o1, o2 = k.writes[w1].op, k.writes[w2].op
    versions = [facts.version_witness(key, w1), facts.version_witness(key, w2)]
    tally.violation(
        (p, key, w1, w2),
        {
            "process": p,
            "key": thaw(key),
            "ops": [o1, o2],
            "writes": [{"op": o1, "value": thaw(w1)}, {"op": o2, "value": thaw(w2)}],
            "versions": versions,
            "evidence": ev,
            "cycle": cycle(o1, "process", o2, "ww", o1),
            "explanation": f"process {p} wrote {show(w1)} (op {o1}) and then {show(w2)} "
            f"(op {o2}) to key {show(key)}, but the system's version order does not put "
            f"{show(w1)} before {show(w2)} [{ev}]",
        },
    )


def _append_states(facts: Facts, k: KeyFacts) -> list[tuple[tuple[Any, ...], int | None]]:
    """G (witnessed by its shortest covering read) and every read that is not a prefix of G."""
    return [(k.G, None), *k.odd_reads]


def _mw_scan_list(
    facts: Facts, tally: Tally, k: KeyFacts, lst: tuple[Any, ...], reader: int | None
) -> None:
    pos_in_list = {e: i for i, e in reversed(list(enumerate(lst)))}
    if k.unordered:  # a set: visit each writer's elements in its own session order
        lst = tuple(sorted(pos_in_list, key=lambda e: _session_position(facts, k, e)))
        pos_in_list = {e: i for i, e in enumerate(lst)}
    nxt: dict[Any, int] = {}
    for i, e in enumerate(lst):
        w = k.writes.get(e)
        if w is None or pos_in_list[e] != i:
            continue
        mine = facts.pwrites[(w.process, k.key)]
        j = facts.position(w.process, k.key, e)
        expect = nxt.get(w.process, 0)
        if j > expect:
            s1, w1 = mine[expect]
            if s1 != w.seq and k.writes[w1].ok:
                tally.evidence[APPEND] += 1
                later = pos_in_list.get(w1)
                at = k.gidx.get(e if later is None else w1, i)
                op = reader if reader is not None else facts.shortest_read_with(k, at)
                _mw_list_violation(facts, tally, k, w1, e, op, later is not None)
        if j >= expect:
            nxt[w.process] = j + 1


def _verb(k: KeyFacts) -> str:
    return "added" if k.unordered else "appended"


def _session_position(facts: Facts, k: KeyFacts, e: Any) -> int:
    w = k.writes.get(e)
    return facts.position(w.process, k.key, e) if w is not None else -1


def _mw_list_violation(
    facts: Facts, tally: Tally, k: KeyFacts, w1: Any, w2: Any, op: int | None, reversed_: bool
) -> None:
    t1, t2 = k.writes[w1], k.writes[w2]
    how = "after it" if reversed_ else "without it"
    tally.violation(
        (t1.process, k.key, w1, w2),
        {
            "process": t1.process,
            "key": thaw(k.key),
            "ops": [t1.op, t2.op] + ([op] if op is not None else []),
            "writes": [{"op": t1.op, "value": thaw(w1)}, {"op": t2.op, "value": thaw(w2)}],
            "read": op,
            "evidence": APPEND,
            "cycle": cycle(t1.op, "process", t2.op, "ww", t1.op)
            if reversed_
            else cycle(t1.op, "process", t2.op, "wr", op, "rw", t1.op),
            "explanation": f"process {t1.process} {_verb(k)} {show(w1)} (op {t1.op}) and then "
            f"{show(w2)} (op {t2.op}) to key {show(k.key)}, but the read at op {op} shows "
            f"{show(w2)} {how} [{APPEND}]",
        },
    )


# -- writes follow reads -----------------------------------------------------------------
def writes_follow_reads(facts: Facts, tally: Tally) -> None:
    _wfr_register_orders(facts, tally, _observed_registers(facts))
    for k in facts.keys.values():
        tally.tick()
        if k.append:
            for lst, reader in _append_states(facts, k):
                _wfr_scan_list(facts, tally, k, lst, reader)
    deps = Deps(facts)
    for t in facts.parsed.txns:
        tally.tick()
        if len(t.reads) > 1:
            snapshot_deps(facts, deps, tally, t, READ)


def _wfr_register_orders(facts: Facts, tally: Tally, observed: set[tuple[Any, Any]]) -> None:
    for (p, key), ws in facts.pwrites.items():
        tally.tick()
        k = facts.keys[key]
        if k.append:
            continue
        for s, w2 in ws:
            r = facts.last_read_upto(p, key, s)
            if r is None or r[0] is None or r[0] == w2:
                continue
            d = facts.precedes(k, r[0], w2)
            if d[0] is None and (key, w2) not in observed:
                continue
            res = tally.decided(d)
            if res is None:
                tally.unknown(_order_undecided(key, p, r[0], w2, f"process {p} read then wrote"))
            elif not res:
                _wfr_order_violation(facts, tally, p, key, (r[0], r[1].op), w2, d[1])


def _wfr_order_violation(
    facts: Facts, tally: Tally, p: Any, key: Any, read: Any, w2: Any, ev: str
) -> None:
    v1, r_op = read
    o2 = facts.keys[key].writes[w2].op
    o1 = facts.writer_op(key, v1)
    tally.violation(
        (p, key, v1, w2),
        {
            "process": p,
            "key": thaw(key),
            "ops": [r_op, o2],
            "read": {"op": r_op, "value": thaw(v1)},
            "write": {"op": o2, "value": thaw(w2)},
            "versions": [facts.version_witness(key, v1), facts.version_witness(key, w2)],
            "evidence": ev,
            "cycle": cycle(o1, "wr", r_op, "process", o2, "ww", o1),
            "explanation": f"process {p} read {show(v1)} from key {show(key)} (op {r_op}) and "
            f"then wrote {show(w2)} (op {o2}), but the system's version order does not put "
            f"{show(v1)} before {show(w2)} [{ev}]",
        },
    )


def _wfr_scan_list(
    facts: Facts, tally: Tally, k: KeyFacts, lst: tuple[Any, ...], reader: int | None
) -> None:
    pos = {e: i for i, e in reversed(list(enumerate(lst)))}
    for i, e in enumerate(lst):
        w = k.writes.get(e)
        if w is None or pos[e] != i:
            continue
        r = facts.last_read_upto(w.process, k.key, w.seq)
        if r is None or (reader is None and isinstance(r[0], int)):
            continue  # a prefix of G is, by construction, before any later element of G
        before = k.G[: r[0]] if isinstance(r[0], int) else r[0]
        if not isinstance(before, tuple | frozenset):
            continue
        tally.evidence[APPEND] += 1
        if k.unordered:  # a set: membership only
            missing = next((x for x in before if x not in pos), NOTHING)
        else:
            missing = next((x for x in before if pos.get(x, len(lst)) > i), NOTHING)
        if missing is not NOTHING:
            op = reader if reader is not None else facts.shortest_read_with(k, i)
            _wfr_list_violation(facts, tally, k, (missing, r[1].op), e, op, missing in pos)


def _wfr_list_violation(
    facts: Facts, tally: Tally, k: KeyFacts, read: Any, w2: Any, op: int | None, after: bool
) -> None:
    v1, r_op = read
    t2 = k.writes[w2]
    o1 = facts.writer_op(k.key, v1)
    tail = ["ww", o1] if after else ["wr", op, "rw", o1]
    how = "after it" if after else "without it"
    tally.violation(
        (t2.process, k.key, v1, w2),
        {
            "process": t2.process,
            "key": thaw(k.key),
            "ops": [r_op, t2.op] + ([op] if op is not None else []),
            "read": {"op": r_op, "value": thaw(v1)},
            "write": {"op": t2.op, "value": thaw(w2)},
            "observer": op,
            "evidence": APPEND,
            "cycle": cycle(o1, "wr", r_op, "process", t2.op, *tail),
            "explanation": f"process {t2.process} read {show(v1)} in key {show(k.key)} "
            f"(op {r_op}) and then {_verb(k)} {show(w2)} (op {t2.op}), but the read at op {op} "
            f"shows {show(w2)} {how} [{APPEND}]",
        },
    )
