"""Multi-version concurrency control: snapshot isolation, and SSI on top of it.

Theory of operation
-------------------
Every committed write is a *version* ``(commit_ts, value)`` of its key; a txn's *snapshot*
is the commit timestamp counter when it began.  The visibility rule: a txn sees, per key,
the newest version with ``commit_ts <= start_ts``, overlaid with its own writes.  Writes
are buffered in the txn and installed at commit with a fresh timestamp, so nobody ever
sees an uncommitted or intermediate value (no G1) and every read of a txn comes from one
snapshot (no G-single: no read skew).

**First committer wins**: at commit, if any key the txn wrote has a version newer than
its snapshot, a concurrent txn wrote it first and this one aborts (``write-conflict``).
That rules out lost updates.  Write skew (G2-item) remains: two txns that read each
other's keys and write disjoint ones both commit -- snapshot isolation, as PostgreSQL's
REPEATABLE READ.

**Serializable snapshot isolation** (``ssi=True``; Cahill, Röhm & Fekete 2008, with
the commit-ordering rule of Ports & Grittner 2012, as PostgreSQL) adds tracking of rw
anti-dependencies between concurrent txns.  A reader R of key k has an rw edge to a
concurrent writer W of k when R's snapshot misses W's write: found at R's read (a
version newer than R's snapshot, or a write W has buffered) or at W's write (R left a
*SIREAD* mark on k).  Every cycle snapshot isolation lets through contains a *dangerous
structure* ``I -rw-> P -rw-> O`` in which O commits first (I may be O).  So each txn keeps
its in-neighbours (``rw_in``) and the earliest commit among its committed out-neighbours
(``out_first``), and:

* at P's commit: if an out-neighbour committed (``out_first``) and some live in-neighbour
  I has not committed before it, P aborts (``serialization-failure``);
* when a reader I makes an edge into an already committed P whose out-neighbour
  committed before P, I aborts (I is live, so the structure is complete).

It is still conservative (the structure does not prove a cycle), but it aborts one txn
of a write skew, not both.  Committed txns are kept for this bookkeeping until no
active txn is concurrent with them.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from systems.transactions._engines import Step, apply_mop


@dataclass
class MvccTxn:
    tid: Any
    start_ts: int
    writes: dict[Any, Any] = field(default_factory=dict)
    reads: set[Any] = field(default_factory=set)
    #: txns with an rw edge into this one (they read what this one overwrote)
    rw_in: set[Any] = field(default_factory=set)
    #: the earliest commit_ts among committed txns this one has an rw edge to
    out_first: float = math.inf
    commit_ts: int | None = None


class MvccEngine:
    def __init__(self, ssi: bool = False) -> None:
        self.ssi = ssi
        self.ts = 0
        #: key -> [(commit_ts, value)], oldest first
        self.versions: dict[Any, list[tuple[int, Any]]] = {}
        #: active txns, and (under SSI) committed ones still concurrent with an active one
        self.txns: dict[Any, MvccTxn] = {}
        #: key -> txns that read it (SIREAD marks)
        self.readers: dict[Any, set[Any]] = {}

    # -- the engine interface ----------------------------------------------------------
    def begin(self, txn: Any) -> None:
        self.txns[txn] = MvccTxn(txn, self.ts)

    def active(self, txn: Any) -> bool:
        t = self.txns.get(txn)
        return t is not None and t.commit_ts is None

    def op(self, txn: Any, mop: list[Any]) -> Step:
        t = self.txns[txn]
        f, k, v = mop
        if f == "r":
            value = t.writes[k] if k in t.writes else self.visible(k, t.start_ts)
            ok = self._note_read(t, k) if self.ssi else True
            return self._checked(t, ok, [f, k, value])
        base = t.writes[k] if k in t.writes else self.visible(k, t.start_ts)
        t.writes[k] = apply_mop(base, f, v)
        ok = self._note_write(t, k) if self.ssi else True
        return self._checked(t, ok, [f, k, v])

    def commit(self, txn: Any) -> Step:
        t = self.txns[txn]
        if any(self.latest_ts(k) > t.start_ts for k in t.writes):
            return self._abort(t, "write-conflict")
        if self.ssi and self._dangerous(t):
            return self._abort(t, "serialization-failure")
        self.ts += 1
        t.commit_ts = self.ts
        for k, value in t.writes.items():
            self.versions.setdefault(k, []).append((self.ts, value))
        for rid in t.rw_in:  # t is a committed out-neighbour of each reader
            r = self.txns.get(rid)
            if r is not None:
                r.out_first = min(r.out_first, self.ts)
        if not self.ssi:
            del self.txns[txn]
        self._prune()
        return Step("ok", dict(t.writes))

    def abort(self, txn: Any) -> Step:
        return self._abort(self.txns[txn], "aborted")

    def recover(self, writes: dict[Any, Any], ts: int) -> None:
        self.ts = max(self.ts, ts)
        for k, value in writes.items():
            self.versions.setdefault(k, []).append((ts, value))

    # -- visibility --------------------------------------------------------------------
    def visible(self, k: Any, ts: int) -> Any:
        chain = self.versions.get(k, [])
        i = bisect_right(chain, ts, key=lambda version: version[0])
        return chain[i - 1][1] if i else None

    def latest_ts(self, k: Any) -> int:
        chain = self.versions.get(k)
        return chain[-1][0] if chain else 0

    # -- SSI bookkeeping ---------------------------------------------------------------
    def _note_read(self, t: MvccTxn, k: Any) -> bool:
        ok = True
        t.reads.add(k)
        self.readers.setdefault(k, set()).add(t.tid)
        for w in list(self.txns.values()):
            if w is t:
                continue
            newer = w.commit_ts is not None and w.commit_ts > t.start_ts and k in w.writes
            pending = w.commit_ts is None and k in w.writes
            if newer or pending:
                ok = self._rw_edge(t, w, t) and ok
        return ok

    def _note_write(self, t: MvccTxn, k: Any) -> bool:
        ok = True
        for rid in list(self.readers.get(k, ())):
            r = self.txns.get(rid)
            if r is None or r is t:
                continue
            if r.commit_ts is None or r.commit_ts > t.start_ts:
                ok = self._rw_edge(r, t, t) and ok
        return ok

    def _rw_edge(self, reader: MvccTxn, writer: MvccTxn, current: MvccTxn) -> bool:
        """Record reader -rw-> writer; False when ``current`` must abort for it."""
        writer.rw_in.add(reader.tid)
        if writer.commit_ts is None:
            return True
        reader.out_first = min(reader.out_first, writer.commit_ts)
        # reader (live) -> writer (committed) -> an out-neighbour that committed before it
        return not writer.out_first < writer.commit_ts

    def _dangerous(self, p: MvccTxn) -> bool:
        """P as a pivot at its commit: O committed first, and a live I did not commit before."""
        if p.out_first == math.inf:
            return False
        for rid in p.rw_in:
            i = self.txns.get(rid)
            if i is not None and (i.commit_ts is None or i.commit_ts >= p.out_first):
                return True
        return False

    def _checked(self, t: MvccTxn, ok: bool, done: list[Any]) -> Step:
        if not ok:
            return self._abort(t, "serialization-failure")
        return Step("ok", done)

    def _abort(self, t: MvccTxn, code: str) -> Step:
        self.txns.pop(t.tid, None)
        for k in t.reads:
            self.readers.get(k, set()).discard(t.tid)
        self._prune()
        return Step("abort", code=code)

    def _prune(self) -> None:
        """Forget committed txns no active txn is concurrent with (nor any future one)."""
        horizon = min((t.start_ts for t in self.txns.values() if t.commit_ts is None), default=None)
        gone = [
            tid
            for tid, t in self.txns.items()
            if t.commit_ts is not None and (horizon is None or t.commit_ts <= horizon)
        ]
        for tid in gone:
            del self.txns[tid]
        if gone:
            dead = set(gone)
            for k in list(self.readers):
                self.readers[k] -= dead
                if not self.readers[k]:
                    del self.readers[k]
