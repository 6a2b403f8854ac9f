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
anomalies found on the way: G1a, G1b, internal, dirty-update, duplicate-elements,
incompatible-order, lost-update, garbage-read (an element nobody appended).
"""

from __future__ import annotations

from typing import Any

from checkers.elle._txns import RW, WR, WW, Txn, TxnGraph

_INIT = object()


class AppendAnalysis:
    """Indices over a list-append history, the anomalies found, and edge explanations."""

    def __init__(self, g: TxnGraph, failed: list[Txn]) -> None:
        self.g = g
        self.txns = g.txns
        self.failed = failed
        self.anomalies: dict[str, list[dict[str, Any]]] = {}
        self.writer: dict[tuple[Any, Any], int] = {}  # (k, v) -> txn id (ok/info)
        self.failed_writer: dict[tuple[Any, Any], Txn] = {}
        self.intermediate: dict[tuple[Any, Any], int] = {}
        self.unobserved: dict[Any, list[tuple[int, Any]]] = {}
        self.ext_reads: dict[int, list[tuple[Any, list[Any]]]] = {}
        self.longest: dict[Any, list[Any]] = {}
        self.bad_keys: set[Any] = set()
        self.pos: dict[Any, dict[Any, int]] = {}
        self._index_writes()
        self._scan_reads()
        self._version_orders()

    def add(self, kind: str, witness: dict[str, Any]) -> None:
        self.anomalies.setdefault(kind, []).append(witness)

    # -- indices ---------------------------------------------------------------------

    def _index_writes(self) -> None:
        writer, inter = self.writer, self.intermediate
        self.append_count: dict[Any, int] = {}
        count = self.append_count
        for t in self.txns:
            last: dict[Any, Any] = {}
            for f, k, v in t.mops:
                if f == "append":
                    writer[(k, v)] = t.id
                    count[k] = count.get(k, 0) + 1
                    if k in last:
                        inter[(k, last[k])] = t.id
                    last[k] = v
        for t in self.failed:
            for f, k, v in t.mops:
                if f == "append":
                    self.failed_writer[(k, v)] = t
                    count[k] = count.get(k, 0) + 1

    def _scan_reads(self) -> None:
        lost: dict[tuple[Any, tuple[Any, ...]], list[int]] = {}
        for t in self.txns:
            if t.type == "ok":
                self._scan_txn(t, lost)
        for (k, value), ids in lost.items():
            if len(ids) > 1:
                self.add(
                    "lost-update",
                    {"key": k, "value": list(value), "ops": [self.txns[i].index for i in ids]},
                )

    def _scan_txn(self, t: Txn, lost: dict[tuple[Any, tuple[Any, ...]], list[int]]) -> None:
        state: dict[Any, list[Any]] = {}
        prefix_known: dict[Any, bool] = {}
        ext: dict[Any, list[Any]] = {}
        wrote: set[Any] = set()
        for i, (f, k, v) in enumerate(t.mops):
            if f == "append":
                if k not in wrote:
                    wrote.add(k)
                    if k in ext:
                        lost.setdefault((k, tuple(ext[k])), []).append(t.id)
                if k not in state:
                    state[k], prefix_known[k] = [], False
                state[k] = [*state[k], v]
                continue
            if f != "r":
                continue
            if v is None:
                v = []  # Elle: nil is the initial, empty list
            elif not isinstance(v, list):
                continue
            if k in state:
                self._check_internal(t, i, k, v, state[k], prefix_known[k])
            else:
                ext[k] = v
            state[k], prefix_known[k] = v, True
            if not self._check_read(t, i, k, v) and ext.get(k) is v:
                del ext[k]
        if ext:
            self.ext_reads[t.id] = list(ext.items())

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

    def _check_read(self, t: Txn, i: int, k: Any, v: list[Any]) -> bool:
        """Record the read's anomalies; False if it is unusable (duplicate elements)."""
        if len(set(map(_hashable, v))) != len(v):
            dups = sorted({x for x in v if v.count(x) > 1}, key=repr)
            self.add(
                "duplicate-elements",
                {"op": t.index, "mop": i, "key": k, "read": v, "duplicates": dups},
            )
            return False
        for x in v:
            fw = self.failed_writer.get((k, x))
            if fw is not None:
                self.add(
                    "G1a",
                    {
                        "op": t.index,
                        "mop": i,
                        "key": k,
                        "read": v,
                        "element": x,
                        "writer": fw.index,
                    },
                )
            elif (k, x) not in self.writer:
                self.add(
                    "garbage-read", {"op": t.index, "mop": i, "key": k, "read": v, "element": x}
                )
        if v:
            w = self.intermediate.get((k, v[-1]))
            if w is not None and w != t.id:
                final = [m[2] for m in self.txns[w].mops if m[0] == "append" and m[1] == k]
                self.add(
                    "G1b",
                    {
                        "op": t.index,
                        "mop": i,
                        "key": k,
                        "read": v,
                        "element": v[-1],
                        "writer": self.txns[w].index,
                        "final": final[-1],
                    },
                )
        self._observe(t, k, v)
        return True

    def _observe(self, t: Txn, k: Any, v: list[Any]) -> None:
        if k in self.bad_keys:
            return
        cur = self.longest.get(k)
        if cur is None:
            self.longest[k] = v
            return
        short, long_ = (cur, v) if len(cur) <= len(v) else (v, cur)
        if long_[: len(short)] != short:
            self.bad_keys.add(k)
            self.add("incompatible-order", {"key": k, "reads": [short, long_], "op": t.index})
        elif long_ is v:
            self.longest[k] = v

    def _version_orders(self) -> None:
        for k in self.bad_keys:
            self.longest.pop(k, None)
        for k, v in self.writer:
            if k not in self.longest and k not in self.bad_keys and self.append_count[k] == 1:
                self.longest[k] = [v]
        for k, order in self.longest.items():
            self.pos[k] = {x: i for i, x in enumerate(order)}
            self._dirty_update(k, order)
        for (k, v), tid in self.writer.items():
            p = self.pos.get(k)
            if p is not None and v not in p:
                self.unobserved.setdefault(k, []).append((tid, v))

    def _dirty_update(self, k: Any, order: list[Any]) -> None:
        aborted = None
        for x in order:
            fw = self.failed_writer.get((k, x))
            if fw is not None:
                aborted = aborted or (x, fw)
            elif aborted is not None and (k, x) in self.writer:
                t = self.txns[self.writer[(k, x)]]
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
        g, writer, pos, longest = self.g, self.writer, self.pos, self.longest
        add = g.add
        for k, order in longest.items():
            prev = None
            for x in order:
                w = writer.get((k, x))
                if w is None:
                    continue
                if prev is not None and prev != w:
                    add(prev, w, WW)
                prev = w
            for w, _ in self.unobserved.get(k, ()):
                if prev is not None:
                    add(prev, w, WW)
        for tid, reads in self.ext_reads.items():
            for k, v in reads:
                p = pos.get(k)
                if p is None:
                    continue
                if v:
                    w = writer.get((k, v[-1]))
                    if w is not None:
                        add(w, tid, WR)
                order = longest[k]
                if len(v) < len(order):
                    w = writer.get((k, order[len(v)]))
                    if w is not None:
                        add(tid, w, RW)
                else:
                    for w, _ in self.unobserved.get(k, ()):
                        add(tid, w, RW)

    # -- explanations ----------------------------------------------------------------

    def explain(self, a: int, b: int, kind: int) -> dict[str, Any] | None:
        """The facts behind edge a -> b of ``kind`` (ww, wr or rw), or None."""
        if kind == WR:
            for k, v in self.ext_reads.get(b, ()):
                if v and k in self.pos and self.writer.get((k, v[-1])) == a:
                    return {"type": "wr", "key": k, "read": v, "value": v[-1]}
        elif kind == RW:
            for k, v in self.ext_reads.get(a, ()):
                x = self._next_by(k, len(v), b)
                if x is not _INIT:
                    return {"type": "rw", "key": k, "read": v, "value": x}
        elif kind == WW:
            for f, k, v in self.txns[b].mops:
                if f == "append" and k in self.pos:
                    prev = self._prev(k, v)
                    if prev is not _INIT and self.writer.get((k, prev)) == a:
                        return {"type": "ww", "key": k, "value": prev, "value2": v}
        return None

    def _next_by(self, k: Any, i: int, b: int) -> Any:
        order = self.longest.get(k)
        if order is None:
            return _INIT
        if i < len(order):
            x = order[i]
            return x if self.writer.get((k, x)) == b else _INIT
        for w, x in self.unobserved.get(k, ()):
            if w == b:
                return x
        return _INIT

    def _prev(self, k: Any, v: Any) -> Any:
        order = self.longest[k]
        i = self.pos[k].get(v, len(order))
        j = i - 1
        while j >= 0 and self.writer.get((k, order[j])) is None:
            j -= 1
        return order[j] if j >= 0 else _INIT


def _hashable(x: Any) -> Any:
    return tuple(x) if isinstance(x, list) else x
