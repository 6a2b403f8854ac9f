"""Dependencies between writes, and the checks that follow them across keys.

Theory of operation
-------------------
A write ``w2`` to key ``k2``, made by process ``P`` in txn ``W``, *depends* on two things
for every other key ``k1``:

* ``wrote`` -- P's last write to ``k1`` in an earlier txn (the monotonic-writes order);
* ``read``  -- what P last read of ``k1``, up to and including ``W`` (writes-follow-reads).

Any state that shows ``w2`` should show these too.  Monotonic writes and writes-follow-reads
check it inside one multi-key snapshot (a txn's reads); consistent prefix checks it across
a reader's successive reads (one hop: the dependencies of what it saw, not theirs).

A read of an append key observes a whole prefix of that key's list, i.e. every element in
it.  Rather than visiting every element at every read, the dependencies of the elements of
each prefix are folded, once per (kind, ``k2``, ``k1``), into a prefix-maximum array.  That
needs a *score* for each dependency on ``k1``: a number such that a state includes the
dependency iff the state's score is at least it.  Keys whose version order is total have one
(append lists: the position in G; system versions; single-writer order); for the others the
dependency is undecided unless the state is the initial one.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from checkers.session._model import Txn
from checkers.session._order import (
    APPEND,
    INITIAL,
    SINGLE,
    UNKNOWN_EV,
    VERSION,
    Facts,
    KeyFacts,
    is_none,
)
from checkers.session._tally import NOTHING, Tally, append_missing, cycle, show, undecided
from ddialab.vocabulary import thaw

WROTE, READ = "wrote", "read"
INF = float("inf")


@dataclass(frozen=True, slots=True)
class Dep:
    """``writer`` wrote ``w2`` to ``k2`` after it ``verb`` ``value`` on ``key`` (at ``op``)."""

    key: Any
    value: Any
    op: int
    verb: str
    writer: Txn
    k2: Any
    w2: Any


#: over a prefix of G: (highest dependency score, G position of its element, G position of
#: the first element whose dependency has no score), positions -1 when there is none
Rec = tuple[float, int, int]


class Deps:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._arrays: dict[tuple[str, Any, Any], list[Rec]] = {}
        self._writer_rows: dict[Any, list[tuple[Any, int]]] = {}
        self._scored: dict[tuple[str, Any, Any, int], tuple[bool, float | None]] = {}

    def of(self, verb: str, k1: Any, w: Txn, k2: Any, w2: Any) -> Dep | None:
        f = self.facts
        if verb == WROTE:
            v = f.last_write_before(w.process, k1, w.seq)
            if is_none(v):
                return None
            return Dep(k1, v, f.keys[k1].writes[v].op, verb, w, k2, w2)
        r = f.last_read_upto(w.process, k1, w.seq)
        if r is None or r[0] is None or (f.keys[k1].append and r[0] in (0, ())):
            return None
        return Dep(k1, r[0], r[1].op, verb, w, k2, w2)

    # -- scores -------------------------------------------------------------------------
    def scored(self, verb: str, k1: KeyFacts, w: Txn) -> tuple[bool, float | None]:
        """(has a dependency, its score) -- memoised per position in the writer's history."""
        f = self.facts
        if verb == WROTE:
            seqs = f.pwrite_seqs.get((w.process, k1.key))
            j = bisect_left(seqs, w.seq) if seqs else 0
        else:
            seqs = f.pread_seqs.get((w.process, k1.key))
            j = bisect_right(seqs, w.seq) if seqs else 0
        if not j:
            return False, None
        memo = (verb, k1.key, w.process, j)
        got = self._scored.get(memo)
        if got is None:
            rows = f.pwrites_ok if verb == WROTE else f.preads
            v = rows[(w.process, k1.key)][j - 1][1]
            empty = v is None or (k1.append and v in (0, ()))
            got = self._scored[memo] = (not empty, self._value_score(k1, verb, v))
        return got

    def obs_score(self, k1: KeyFacts, obs: Any) -> float | None:
        if k1.append:
            return obs if isinstance(obs, int) else None
        if obs is None and None not in k1.writes:
            return -INF
        return self._register_score(k1, obs)

    @staticmethod
    def _register_score(k1: KeyFacts, v: Any) -> float | None:
        if v in k1.conflicting:
            return None
        if k1.versions:
            got = k1.versions.get(v)
            return got[0] if got is not None else None
        if k1.single_pos is not None and not k1.vclocks:
            return k1.single_pos.get(v)
        return None

    @staticmethod
    def evidence(k1: KeyFacts) -> str:
        if k1.append:
            return APPEND
        if k1.versions:
            return VERSION
        return SINGLE if k1.single_pos is not None and not k1.vclocks else UNKNOWN_EV

    # -- prefixes of append keys --------------------------------------------------------
    def prefix(self, verb: str, k2: KeyFacts, k1: Any, n: int) -> Rec | None:
        if n <= 0 or k1 not in self.facts.keys:
            return None
        arr = self._arrays.get((verb, k2.key, k1))
        if arr is None:
            arr = self._arrays[(verb, k2.key, k1)] = self._build(verb, k2, k1)
        return arr[min(n, len(arr)) - 1] if arr else None

    def _build(self, verb: str, k2: KeyFacts, k1: Any) -> list[Rec]:
        """Fold the dependencies on ``k1`` of the elements of G(``k2``), prefix by prefix."""
        f, k1f = self.facts, self.facts.keys[k1]
        seqs_of, vals_of = (
            (f.pwrite_seqs, f.pwrites_ok) if verb == WROTE else (f.pread_seqs, f.preads)
        )
        find = bisect_left if verb == WROTE else bisect_right
        score, best, unk = -INF, -1, -1
        out: list[Rec] = []
        rec: Rec = (score, best, unk)
        for i, (p, seq) in enumerate(self._writers(k2)):
            seqs = seqs_of.get((p, k1))  # None for an unusable row's (None, -1)
            j = find(seqs, seq) if seqs else 0
            if j:
                s = self._value_score(k1f, verb, vals_of[(p, k1)][j - 1][1])
                if s is None:
                    unk = i if unk < 0 else unk
                elif s > score:
                    score, best = s, i
                rec = (score, best, unk)
            out.append(rec)
        return out

    def _writers(self, k2: KeyFacts) -> list[tuple[Any, int]]:
        """(writer process, txn seq) of each element of G(k2); (None, -1) when unusable."""
        got = self._writer_rows.get(k2.key)
        if got is None:
            got = []
            for i, e in enumerate(k2.G):
                w = k2.writes.get(e)
                ok = w is not None and k2.gidx[e] == i
                got.append((w.process, w.seq) if ok else (None, -1))  # type: ignore[union-attr]
            self._writer_rows[k2.key] = got
        return got

    def _value_score(self, k1: KeyFacts, verb: str, v: Any) -> float | None:
        if k1.append:
            if verb == READ:
                return v if isinstance(v, int) else (-INF if v == () else None)
            i = k1.gidx.get(v)
            return INF if i is None else i + 1
        return -INF if v is None else self._register_score(k1, v)

    def dep_at(self, verb: str, k2: KeyFacts, k1: Any, pos: int) -> Dep | None:
        e = k2.G[pos]
        return self.of(verb, k1, k2.writes[e], k2.key, e)

    # -- judging ------------------------------------------------------------------------
    def judge(self, k1: Any, obs: Any, dep: Dep) -> tuple[bool | None, str, Any]:
        """Does state ``obs`` of ``k1`` include one dependency? (answer, evidence, missing)"""
        k = self.facts.keys[k1]
        if dep.verb == READ and k.append:
            missing = append_missing(k, dep.value, obs)
            if missing is None:
                return None, UNKNOWN_EV, dep.value
            return missing is NOTHING, APPEND, missing
        d = self.facts.includes(k1, obs, dep.value)
        return d[0], d[1], dep.value

    def judge_prefix(
        self, verb: str, k2: KeyFacts, k1: Any, obs: Any, rec: Rec
    ) -> tuple[bool | None, str, Dep | None]:
        score, best, unk = rec
        k = self.facts.keys[k1]
        if best < 0 and unk < 0:  # best < 0 iff score is -INF: nothing scored
            return True, self.evidence(k), None
        if not k.append and obs is None and None not in k.writes:
            return False, INITIAL, self.dep_at(verb, k2, k1, best if best >= 0 else unk)
        s = self.obs_score(k, obs)
        if best >= 0:
            if s is None:
                return None, UNKNOWN_EV, self.dep_at(verb, k2, k1, best)
            if s < score:
                return False, self.evidence(k), self.dep_at(verb, k2, k1, best)
        if unk >= 0:
            return None, UNKNOWN_EV, self.dep_at(verb, k2, k1, unk)
        return True, self.evidence(k), None

    def missing(self, k1: Any, obs: Any, dep: Dep) -> Any:
        k = self.facts.keys[k1]
        if dep.verb == READ and k.append:
            m = append_missing(k, dep.value, obs)
            return dep.value if m is None or m is NOTHING else m
        return dep.value


def register_observation(facts: Facts, key: Any, obs: Any) -> tuple[Txn, Any] | None:
    k = facts.keys.get(key)
    if k is None or k.append or obs is None:
        return None
    w = k.writes.get(obs)
    return (w, obs) if w is not None else None


def tuple_observations(facts: Facts, key: Any, obs: Any) -> list[tuple[Txn, Any]]:
    """For a list read that is not a prefix of G: each writer's latest element in it."""
    k = facts.keys.get(key)
    latest: dict[Any, tuple[Txn, Any]] = {}
    if k is not None and k.append and isinstance(obs, tuple | frozenset):
        for e in obs:
            w = k.writes.get(e)
            if w is not None and (w.process not in latest or latest[w.process][0].seq < w.seq):
                latest[w.process] = (w, e)
    return list(latest.values())


# -- multi-key snapshots: monotonic writes and writes-follow-reads ----------------------
def snapshot_deps(facts: Facts, deps: Deps, tally: Tally, t: Txn, verb: str) -> None:
    """One txn's reads: does every write it shows come with what that write depended on?"""
    for k2, obs2 in t.reads.items():
        k2f = facts.keys.get(k2)
        if k2f is None:
            continue
        for k1, obs1 in t.reads.items():
            if k1 == k2 or k1 not in facts.keys:
                continue
            if k2f.append and isinstance(obs2, int):
                rec = deps.prefix(verb, k2f, k1, obs2)
                if rec is None:
                    continue
                judged = deps.judge_prefix(verb, k2f, k1, obs1, rec)
                report = lambda d, ev: _snap(t, d, ev)  # noqa: E731
                if judged[0] is None and facts.keys[k1].append:
                    _per_writer(deps, tally, t, (verb, k2f, k1, obs2), obs1, None, report)
                else:
                    _judged_prefix(deps, tally, k1, obs1, t, report, judged)
                continue
            seen = [register_observation(facts, k2, obs2), *tuple_observations(facts, k2, obs2)]
            for w, w2 in (s for s in seen if s is not None):
                d = deps.of(verb, k1, w, k2, w2)
                if d is not None:
                    _judged_one(deps, tally, k1, obs1, d, t, lambda d, ev: _snap(t, d, ev))


def _judged_one(deps: Deps, tally: Tally, k1: Any, obs: Any, d: Dep, t: Txn, report: Any) -> None:
    res, ev, missing = deps.judge(k1, obs, d)
    tally.evidence[ev] += 1
    if res is None:
        tally.unknown(undecided(k1, t, d.value, f"process {d.writer.process} {d.verb} it"))
    elif not res:
        report(d, ev)(tally, deps.facts, obs, missing)


def _judged_prefix(
    deps: Deps, tally: Tally, k1: Any, obs: Any, t: Txn, report: Any, judged: Any
) -> None:
    """Count and report one ``judge_prefix`` answer for state ``obs`` of ``k1``."""
    res, ev, d = judged
    tally.evidence[ev] += 1
    if d is None:
        return
    if res is None:
        tally.unknown(undecided(k1, t, d.value, f"process {d.writer.process} {d.verb} it"))
    elif not res:
        report(d, ev)(tally, deps.facts, obs, deps.missing(k1, obs, d))


def _dep_steps(facts: Facts, d: Dep, missing: Any) -> list[Any]:
    """The path from the missed write to the write that depended on it."""
    if d.verb == WROTE:
        return [d.op, "process", d.writer.op]
    return [facts.writer_op(d.key, missing), "wr", d.op, "process", d.writer.op]


def _snap(t: Txn, d: Dep, ev: str) -> Any:
    def emit(tally: Tally, facts: Facts, obs: Any, missing: Any) -> None:
        v1 = thaw(facts.show(d.key, obs))
        p = d.writer.process
        steps = _dep_steps(facts, d, missing)
        tally.violation(
            (p, d.key, missing, d.k2, d.w2),
            {
                "process": p,
                "ops": [d.op, d.writer.op, t.op],
                "observed": {"key": thaw(d.k2), "value": thaw(d.w2), "op": d.writer.op},
                "dependency": {"key": thaw(d.key), "value": thaw(missing), "op": d.op},
                "kind": d.verb,
                "read": {"op": t.op, "key": thaw(d.key), "value": v1},
                "evidence": ev,
                "cycle": cycle(*steps, "wr", t.op, "rw", steps[0]),
                "explanation": f"process {p} {d.verb} {show(missing)} on key {show(d.key)} "
                f"(op {d.op}) before writing {show(d.w2)} to key {show(d.k2)} "
                f"(op {d.writer.op}); op {t.op} read {show(d.w2)} from {show(d.k2)} but "
                f"{json.dumps(v1)} from {show(d.key)}, without {show(missing)} [{ev}]",
            },
        )

    return emit


# -- consistent prefix -------------------------------------------------------------------
def consistent_prefix(facts: Facts, tally: Tally) -> None:
    deps = Deps(facts)
    for reader, txns in facts.parsed.by_process.items():
        seen_reg: dict[Any, tuple[Txn, Any, Any, Txn]] = {}  # writer -> (W, k2, w2, by)
        seen_app: dict[Any, tuple[int, Txn]] = {}  # append key -> (longest prefix, by)
        for t in txns:
            tally.tick()
            if seen_reg or seen_app:
                for k1, obs in t.reads.items():
                    if k1 in facts.keys:
                        _cp_read(deps, tally, reader, t, k1, obs, (seen_reg, seen_app))
            _cp_observe(facts, reader, t, seen_reg, seen_app)


def _cp_observe(facts: Facts, reader: Any, t: Txn, seen_reg: Any, seen_app: Any) -> None:
    for k2, obs2 in t.reads.items():
        k2f = facts.keys.get(k2)
        if k2f is not None and k2f.append and isinstance(obs2, int):
            if obs2 > seen_app.get(k2, (0, t))[0]:
                seen_app[k2] = (obs2, t)
            continue
        seen = [register_observation(facts, k2, obs2), *tuple_observations(facts, k2, obs2)]
        for w, w2 in (s for s in seen if s is not None):
            p = w.process
            if p != reader and (p not in seen_reg or seen_reg[p][0].seq < w.seq):
                seen_reg[p] = (w, k2, w2, t)


def _cp_read(deps: Deps, tally: Tally, reader: Any, t: Txn, k1: Any, obs: Any, seen: Any) -> None:
    seen_reg, seen_app = seen
    k1f = deps.facts.keys[k1]
    have = deps.obs_score(k1f, obs)
    for w, k2, w2, by in seen_reg.values():
        if k2 == k1:
            continue  # a same-key regression is a monotonic-reads matter
        for verb in (WROTE, READ):
            exists, need = deps.scored(verb, k1f, w)
            if not exists:
                continue
            if need is not None and have is not None and have >= need:
                tally.evidence[deps.evidence(k1f)] += 1  # the fast path: scores decide
                continue
            d = deps.of(verb, k1, w, k2, w2)
            if d is not None:
                _judged_one(deps, tally, k1, obs, d, t, _cp(reader, t, by))
    for k2, (n, by) in seen_app.items():
        if k2 != k1:
            k2f = deps.facts.keys[k2]
            for verb in (WROTE, READ):
                rec = deps.prefix(verb, k2f, k1, n)
                if rec is None:
                    continue
                judged = deps.judge_prefix(verb, k2f, k1, obs, rec)
                res, _, d = judged
                own = res is False and d is not None and d.writer.process == reader
                report = _cp(reader, t, by)
                if own or (res is None and k1f.append):
                    _per_writer(deps, tally, t, (verb, k2f, k1, n), obs, reader, report)
                else:
                    _judged_prefix(deps, tally, k1, obs, t, report, judged)


def _per_writer(
    deps: Deps, tally: Tally, t: Txn, where: Any, obs: Any, exclude: Any, report: Any
) -> None:
    """Judge each writer's latest element of the prefix on its own (skipping ``exclude``):
    for when the folded maximum cannot decide -- the reader's own dependency (a
    read-your-writes matter), or a state or dependency with no score (a list or set read
    that is not a prefix of G)."""
    verb, k2f, k1, n = where
    for p, poss in k2f.proc_gpos.items():
        i = bisect_left(poss, n)
        if p != exclude and i:
            e = k2f.G[poss[i - 1]]
            d = deps.of(verb, k1, k2f.writes[e], k2f.key, e)
            if d is not None:
                _judged_one(deps, tally, k1, obs, d, t, report)


def _cp(reader: Any, t: Txn, by: Txn) -> Any:
    def report(d: Dep, ev: str) -> Any:
        def emit(tally: Tally, facts: Facts, obs: Any, missing: Any) -> None:
            v1 = thaw(facts.show(d.key, obs))
            p, w_op = d.writer.process, d.writer.op
            steps = _dep_steps(facts, d, missing)
            tail = ("wr", by.op, "process", t.op, "rw", steps[0])
            tally.violation(
                (reader, d.key, missing, d.k2, d.w2),
                {
                    "process": reader,
                    "ops": [d.op, w_op, by.op, t.op],
                    "observed": {"op": by.op, "key": thaw(d.k2), "value": thaw(d.w2)},
                    "writer": {"process": p, "op": w_op},
                    "dependency": {"key": thaw(d.key), "value": thaw(missing), "op": d.op},
                    "kind": d.verb,
                    "read": {"op": t.op, "key": thaw(d.key), "value": v1},
                    "evidence": ev,
                    "cycle": cycle(*steps, *tail),
                    "explanation": f"process {reader} read {show(d.w2)} from key {show(d.k2)} "
                    f"(op {by.op}), written by process {p} (op {w_op}) after it {d.verb} "
                    f"{show(missing)} on key {show(d.key)} (op {d.op}); process {reader} then "
                    f"read {json.dumps(v1)} from key {show(d.key)} (op {t.op}): the later write "
                    f"without the earlier one [{ev}]",
                },
            )

        return emit

    return report
