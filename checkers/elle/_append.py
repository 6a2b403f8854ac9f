"""List-append analysis: version orders, non-cycle anomalies, and ww/wr/rw edges.

Theory of operation
-------------------
Every append is unique per key, so a read of a list names the exact sequence of appends
that produced it.  For each key we keep the longest read seen from a committed txn; every
other read must be a prefix of it (else ``incompatible-order``, and the key yields no
edges).  That longest read is the key's version order; a key appended exactly once with no
non-empty read has version order ``[v]``.  An append never observed by any read came after
the last observed element (as in Elle).

Edges (between ok/info txns; a txn never depends on itself):

* ww: the writer of each element precedes the writer of the next; the writer of the last
  observed element precedes every unobserved appender;
* wr: the writer of a read's last element precedes the reader;
* rw: a reader of a prefix of length i precedes the writer of element i (or every
  unobserved appender, when it read the whole observed order).

Only a txn's *external* reads (before it appends to that key) give wr/rw edges.  Non-cycle
anomalies found on the way: G1a, G1b, internal, future-read (a read holding an element its
own txn appends later, whether the read was external or followed the txn's own appends),
dirty-update, duplicate-elements, incompatible-order, lost-update, garbage-read (an
element nobody appended).
"""

from __future__ import annotations

import time
from itertools import islice
from typing import Any

from checkers.elle._tails import Reads, merge, summary
from checkers.elle._txns import RW, WR, WW, Txn, TxnGraph

_INIT = object()
_MANY = object()
_NONE: dict[Any, int] = {}  # no appends to a key (read only)
#: Seconds the parent waits for the split child's reads pass beyond running it itself.
READS_WAIT = 1.0
_Lost = dict[tuple[Any, tuple[Any, ...]], list[int]]  # (key, read) -> txns that appended


class AppendAnalysis:
    """Indices over a list-append history, the anomalies found, and edge explanations."""

    def __init__(self, g: TxnGraph, failed: list[Txn], opts: Any = None) -> None:
        """``opts`` is accepted for symmetry: a list's reads reveal its version order, so
        the rw-register version-order assumptions change nothing here."""
        self.g = g
        self._setup(g.txns, failed)
        self._index_writes()
        if self.duplicate_writes:
            return
        self._scan_reads()
        self._version_orders()

    def _setup(self, txns: list[Txn], failed: list[Txn]) -> None:
        self.txns = txns
        self.failed = failed
        self.anomalies: dict[str, list[dict[str, Any]]] = {}
        #: k -> v -> txn id (ok/info) of the append of v to k: one dict per key, no
        #: (k, v) tuple per append (12 MB and a tuple hash per look-up at 100k txns)
        self.writer: dict[Any, dict[Any, int]] = {}
        self.failed_writer: dict[tuple[Any, Any], Txn] = {}
        #: k -> v -> txn id of an append of v to k that its txn followed with another
        #: append to k (per key, as ``writer``: no (k, v) tuple per read looked up; the
        #: tuple cost ~0.4 s of the reads pass at 1M txns)
        self.intermediate: dict[Any, dict[Any, int]] = {}
        self.unobserved: dict[Any, list[tuple[int, Any]]] = {}
        #: external reads as three columns (no tuple per read): txn, key, length read
        self.ext_t: list[int] = []
        self.ext_k: list[Any] = []
        self.ext_n: list[int] = []
        self.longest: dict[Any, list[Any]] = {}
        self.bad_keys: set[Any] = set()
        self.pos: dict[Any, dict[Any, int]] = {}
        self.duplicate_writes: list[tuple[Any, Any]] = []

    def writer_of(self, k: Any, v: Any) -> int | None:
        """The txn id of the ok/info append of ``v`` to ``k``, or None."""
        return self.writer.get(k, _NONE).get(v)

    def add(self, kind: str, witness: dict[str, Any]) -> None:
        self.anomalies.setdefault(kind, []).append(witness)

    # -- indices ---------------------------------------------------------------------

    def _index_writes(self) -> None:
        writer, inter = self.writer, self.intermediate
        n = 0
        for t in self.txns:
            tid, mops = t.id, t.mops
            if len(mops) == 1:
                f, k, v = mops[0]
                if f == "append":
                    wk = writer.get(k)
                    if wk is None:
                        wk = writer[k] = {}
                    wk[v] = tid
                    n += 1
                continue
            last: dict[Any, Any] = {}
            for f, k, v in mops:
                if f == "append":
                    wk = writer.get(k)
                    if wk is None:
                        wk = writer[k] = {}
                    wk[v] = tid
                    n += 1
                    if k in last:
                        ik = inter.get(k)
                        if ik is None:
                            ik = inter[k] = {}
                        ik[last[k]] = tid
                    last[k] = v
        for t in self.failed:
            for f, k, v in t.mops:
                if f == "append":
                    self.failed_writer[(k, v)] = t
                    n += 1
        if n != sum(map(len, writer.values())) + len(self.failed_writer):
            self.duplicate_writes = _duplicates(self.txns + self.failed, "append")

    def _scan_reads(self) -> None:
        """The reads pass over every txn in order; the part after ``tail.start`` from
        the split child's summary when ``_tails.merge`` finds it exact (``_tails.py``)."""
        lost: _Lost = {}
        tail = getattr(self.g, "tail", None)
        if tail is not None and not 0 <= tail.start <= len(self.txns):
            tail = None
        head = len(self.txns) if tail is None else tail.start
        t0 = time.monotonic()
        self._scan_range(0, head, lost)
        if tail is not None and not merge(self, tail.reads(self._wait(t0, head)), head, lost):
            self._scan_range(head, len(self.txns), lost)
        for (k, value), ids in lost.items():
            if len(ids) > 1:
                ops = [self.txns[i].index for i in ids]
                self.add("lost-update", {"key": k, "value": list(value), "ops": ops})
        self._element_checks()

    def _wait(self, t0: float, head: int) -> float:
        """How long to wait for the child's summary: ``READS_WAIT`` plus what the pass
        over its txns would take here, at the pace of the pass over ours since ``t0``
        (a child starved of CPU costs at most that, not ``CHILD_TIMEOUT``)."""
        pace = (time.monotonic() - t0) / max(head, 1)
        return READS_WAIT + pace * (len(self.txns) - head)

    def _scan_range(self, lo: int, hi: int, lost: _Lost) -> None:
        for t in islice(self.txns, lo, hi):
            if t.type != "ok":
                continue
            mops = t.mops
            n = len(mops)
            if (
                n == 1
                or (n == 2 and mops[0][1] != mops[1][1])
                or (n > 2 and len({m[1] for m in mops}) == n)
            ):
                self._scan_simple(t)
            else:
                self._scan_txn(t, lost)

    def _scan_simple(self, t: Txn) -> None:
        """The fast path: a txn touching each key once (every read is external)."""
        tid, inter, longest = t.id, self.intermediate, self.longest
        ext_t, ext_k, ext_n = self.ext_t, self.ext_k, self.ext_n
        for f, k, v in t.mops:
            if f != "r":
                continue
            if v is None:
                v = []  # Elle: nil is the initial, empty list
            elif type(v) is not list:
                continue
            ext_t.append(tid)
            ext_k.append(k)
            ext_n.append(len(v))
            if v and k in inter:
                w = inter[k].get(v[-1])
                if w is not None and w != tid:  # the txn's one mop on key k
                    self._g1b(t, [m[1] for m in t.mops].index(k), k, v, w)
            cur = longest.get(k)  # _observe, inlined on the hot path
            if cur is None:
                longest[k] = v
            elif len(v) > len(cur):
                if v[: len(cur)] == cur:
                    longest[k] = v
                else:
                    self._observe(t, k, v)
            elif cur[: len(v)] != v:
                self._observe(t, k, v)

    def _observe(self, t: Txn, k: Any, v: list[Any]) -> None:
        cur = self.longest.get(k)
        if cur is None:
            self.longest[k] = v
        elif len(v) > len(cur):
            if v[: len(cur)] == cur:
                self.longest[k] = v
            elif k not in self.bad_keys:
                self._incompatible(t, k, cur, v)
        elif cur[: len(v)] != v and k not in self.bad_keys:
            self._incompatible(t, k, cur, v)

    def _scan_txn(self, t: Txn, lost: _Lost) -> None:
        """The general path: internal consistency, external reads, lost updates, G1b."""
        state: dict[Any, list[Any]] = {}
        known: dict[Any, bool] = {}
        ext: dict[Any, list[Any]] = {}
        wrote: set[Any] = set()
        reads: dict[Any, list[tuple[int, list[Any]]]] = {}  # k -> (mop, read) so far
        tid = t.id
        for i, (f, k, v) in enumerate(t.mops):
            if f == "append":
                if k in reads:
                    self._future_read(t, i, k, v, reads[k])
                if k in state:
                    state[k] = [*state[k], v]
                else:
                    state[k], known[k] = [v], False
                if k not in wrote:
                    wrote.add(k)
                    if k in ext:
                        lost.setdefault((k, tuple(ext[k])), []).append(tid)
                continue
            if f != "r":
                continue
            if v is None:
                v = []
            elif type(v) is not list:
                continue
            reads.setdefault(k, []).append((i, v))
            if k in state:
                self._check_internal(t, i, k, v, state[k], known[k])
            else:
                ext[k] = v
                self.ext_t.append(tid)
                self.ext_k.append(k)
                self.ext_n.append(len(v))
            state[k], known[k] = v, True
            if v and k in self.intermediate:
                w = self.intermediate[k].get(v[-1])
                if w is not None and w != tid:
                    self._g1b(t, i, k, v, w)
            self._observe(t, k, v)

    def _future_read(
        self, t: Txn, i: int, k: Any, v: Any, reads: list[tuple[int, list[Any]]]
    ) -> None:
        """Elle's future-read: an earlier read of k already held the element appended now."""
        for j, read in reads:
            if v in read:
                w = {"op": t.index, "mop": j, "key": k, "read": read, "element": v}
                self.add("future-read", {**w, "append_mop": i})
                return

    def _incompatible(self, t: Txn, k: Any, a: list[Any], b: list[Any]) -> None:
        self.bad_keys.add(k)
        self.add("incompatible-order", {"key": k, "reads": [a, b], "op": t.index})

    def _g1b(self, t: Txn, i: int, k: Any, v: list[Any], w: int) -> None:
        final = [m[2] for m in self.txns[w].mops if m[0] == "append" and m[1] == k][-1]
        self.add(
            "G1b",
            {
                "op": t.index,
                "mop": i,
                "key": k,
                "read": v,
                "element": v[-1],
                "writer": self.txns[w].index,
                "final": final,
            },
        )

    def _check_internal(
        self, t: Txn, i: int, k: Any, v: list[Any], expected: list[Any], known: bool
    ) -> None:
        if known:
            bad = v != expected
        else:
            bad = len(v) < len(expected) or v[len(v) - len(expected) :] != expected
        if bad:
            self.add(
                "internal",
                {
                    "op": t.index,
                    "mop": i,
                    "key": k,
                    "read": v,
                    "expected": expected,
                    "prefix_known": known,
                },
            )

    def _element_checks(self) -> None:
        """Duplicates, aborted (G1a) and garbage elements.

        Every read of a key without incompatible orders is a prefix of its longest read,
        so each element is checked once, on the longest read, and blamed on every read
        long enough to include it.  Keys with incompatible reads are checked read by read.
        """
        suspects: dict[Any, list[tuple[str, int, Any]]] = {}
        fw, writer = self.failed_writer, self.writer
        for k, order in self.longest.items():
            if k in self.bad_keys:
                continue
            dup = _first_duplicate(order)
            if dup is not None:
                suspects.setdefault(k, []).append(("duplicate-elements", dup, order[dup]))
            wk = writer.get(k, _NONE)
            for j, x in enumerate(order):
                if (k, x) in fw:
                    suspects.setdefault(k, []).append(("G1a", j, x))
                elif x not in wk:
                    suspects.setdefault(k, []).append(("garbage-read", j, x))
        if not suspects and not self.bad_keys:
            return
        for t in self.txns:
            if t.type != "ok":
                continue
            for i, (f, k, v) in enumerate(t.mops):
                if f != "r" or type(v) is not list:
                    continue
                if k in self.bad_keys:
                    self._check_elements(k, t.id, i, v, None)
                elif k in suspects:
                    self._check_elements(k, t.id, i, v, suspects[k])
        for k in suspects:
            if any(kind == "duplicate-elements" for kind, _, _ in suspects[k]):
                self.bad_keys.add(k)

    def _check_elements(
        self, k: Any, tid: int, i: int, v: list[Any], found: list[tuple[str, int, Any]] | None
    ) -> None:
        op = self.txns[tid].index
        if found is None:
            dup = _first_duplicate(v)
            found = [("duplicate-elements", dup, v[dup])] if dup is not None else []
            wk = self.writer.get(k, _NONE)
            for j, x in enumerate(v):
                if (k, x) in self.failed_writer:
                    found.append(("G1a", j, x))
                elif x not in wk:
                    found.append(("garbage-read", j, x))
        for kind, j, x in found:
            if j >= len(v):
                continue
            w: dict[str, Any] = {"op": op, "mop": i, "key": k, "read": v, "element": x}
            if kind == "duplicate-elements":
                w = {"op": op, "mop": i, "key": k, "read": v, "duplicates": [x]}
            elif kind == "G1a":
                w["writer"] = self.failed_writer[(k, x)].index
            self.add(kind, w)

    def _version_orders(self) -> None:
        longest, bad, pos = self.longest, self.bad_keys, self.pos
        for k in bad:
            longest.pop(k, None)
        for k, order in longest.items():
            pos[k] = {x: i for i, x in enumerate(order)}
        single: dict[Any, Any] = {}
        unobserved = self.unobserved
        for k, wk in self.writer.items():
            p = pos.get(k)
            if p is not None:
                for v, tid in wk.items():
                    if v not in p:
                        unobserved.setdefault(k, []).append((tid, v))
            elif k not in bad:
                single[k] = _MANY if len(wk) > 1 else next(iter(wk.items()))
        failed_keys = {k for k, _ in self.failed_writer}
        for k, vt in single.items():  # one append and no non-empty read: order is [v]
            if vt is not _MANY and k not in failed_keys:
                longest[k] = [vt[0]]
                pos[k] = {vt[0]: 0}
        for k in failed_keys:
            if k in longest:
                self._dirty_update(k, longest[k])

    def _dirty_update(self, k: Any, order: list[Any]) -> None:
        aborted = None
        for x in order:
            fw = self.failed_writer.get((k, x))
            if fw is not None:
                aborted = aborted or (x, fw)
            elif aborted is not None and self.writer_of(k, x) is not None:
                t = self.txns[self.writer[k][x]]
                if t.type == "ok":
                    self.add(
                        "dirty-update",
                        {
                            "key": k,
                            "order": order,
                            "aborted": aborted[0],
                            "aborted_writer": aborted[1].index,
                            "element": x,
                            "writer": t.index,
                        },
                    )
                    return

    # -- edges -----------------------------------------------------------------------

    def add_edges(self) -> None:
        out, writer, unobserved = self.g.out, self.writer, self.unobserved
        writers_of: dict[Any, list[int]] = {}  # key -> writer of each version, -1 if none
        for k, order in self.longest.items():
            wk = writer.get(k, _NONE)
            wo = writers_of[k] = [wk.get(x, -1) for x in order]
            prev = -1
            for w in wo:
                if w >= 0:
                    if prev >= 0 and prev != w:
                        out[prev].append(w << 5 | WW)
                    prev = w
            if prev >= 0:
                for w, _ in unobserved.get(k, ()):
                    if w != prev:
                        out[prev].append(w << 5 | WW)
        for tid, k, n in zip(self.ext_t, self.ext_k, self.ext_n, strict=True):
            ws = writers_of.get(k)
            if ws is None:
                continue
            # the read is a prefix of the key's order: its last element is order[n - 1]
            if n:
                w = ws[n - 1]
                if w >= 0 and w != tid:
                    out[w].append(tid << 5 | WR)
            if n < len(ws):
                w = ws[n]
                if w >= 0 and w != tid:
                    out[tid].append(w << 5 | RW)
            elif k in unobserved:
                for w, _ in unobserved[k]:
                    if w != tid:
                        out[tid].append(w << 5 | RW)

    # -- explanations ----------------------------------------------------------------

    def explain(self, a: int, b: int, kind: int) -> dict[str, Any] | None:
        """The facts behind edge a -> b of ``kind`` (ww, wr or rw), or None."""
        if kind == WR:
            for k, v in self._external_reads(b):
                if v and k in self.pos and self.writer_of(k, v[-1]) == a:
                    return {"type": "wr", "key": k, "read": v, "value": v[-1]}
        elif kind == RW:
            for k, v in self._external_reads(a):
                x = self._next_by(k, len(v), b)
                if x is not _INIT:
                    return {"type": "rw", "key": k, "read": v, "value": x}
        elif kind == WW:
            for f, k, v in self.txns[b].mops:
                if f == "append" and k in self.pos:
                    prev = self._prev(k, v)
                    if prev is not _INIT and self.writer_of(k, prev) == a:
                        return {"type": "ww", "key": k, "value": prev, "value2": v}
        return None

    def _external_reads(self, tid: int) -> list[tuple[Any, list[Any]]]:
        """A txn's reads of keys it had not yet touched (nil read as [])."""
        seen: set[Any] = set()
        out = []
        for f, k, v in self.txns[tid].mops:
            if f == "r" and k not in seen and (v is None or type(v) is list):
                out.append((k, v or []))
            seen.add(k)
        return out

    def _next_by(self, k: Any, i: int, b: int) -> Any:
        order = self.longest.get(k)
        if order is None:
            return _INIT
        if i < len(order):
            x = order[i]
            return x if self.writer_of(k, x) == b else _INIT
        for w, x in self.unobserved.get(k, ()):
            if w == b:
                return x
        return _INIT

    def _prev(self, k: Any, v: Any) -> Any:
        order = self.longest[k]
        i = self.pos[k].get(v, len(order))
        j = i - 1
        while j >= 0 and self.writer_of(k, order[j]) is None:
            j -= 1
        return order[j] if j >= 0 else _INIT


def part_reads(txns: list[Txn]) -> Reads | None:
    """The split child's reads pass over its own txns (ids from 0), as ``_tails.Reads``,
    or None if its part showed an anomaly (``_tails.py``).  A txn whose micro-ops are
    its invocation's in the parent's part (None here) counts as appending nothing."""
    blind = [i for i, t in enumerate(txns) if t.mops is None]
    for i in blind:
        txns[i].mops = ()
    a = AppendAnalysis.__new__(AppendAnalysis)
    a.g = None  # type: ignore[assignment]  # no graph: no edges are added here
    a._setup(txns, [])
    a._index_writes()
    lost: _Lost = {}
    if not a.duplicate_writes:
        a._scan_range(0, len(txns), lost)
    return summary(a, lost, blind, len(txns))


def _duplicates(txns: list[Txn], write: str) -> list[tuple[Any, Any]]:
    """(key, value) pairs written more than once (the workloads assume none)."""
    seen: set[tuple[Any, Any]] = set()
    dups = []
    for t in txns:
        for f, k, v in t.mops:
            if f == write:
                if (k, v) in seen:
                    dups.append((k, v))
                seen.add((k, v))
    return dups


def _first_duplicate(v: list[Any]) -> int | None:
    """Index of the first element that repeats an earlier one, or None."""
    try:
        if len(set(v)) == len(v):
            return None
    except TypeError:  # unhashable elements: compare the slow way
        pass
    for j, x in enumerate(v):
        if x in v[:j]:
            return j
    return None
