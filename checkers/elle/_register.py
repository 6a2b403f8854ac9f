"""rw-register analysis: version graphs, non-cycle anomalies, and ww/wr/rw edges.

Theory of operation
-------------------
Writes are unique per key, so a read names the write it observed.  What we cannot see
directly is the order of versions: ``checkers.versions`` infers per-key version graphs from the
sources the options allow (initial state and the system's own ``version_order`` always;
writes-follow-reads, process order and real-time order only when ``wfr_keys``,
``sequential_keys`` or ``linearizable_keys`` say the system promises them, as in Elle).
A source that would make a key's order cyclic is ``cyclic-versions`` and is left out.

From the merged graphs, for each version edge ``v1 -> v2``: ww from v1's writer to v2's
writer and rw from each reader of v1 to v2's writer; wr from each value's writer to its
readers (always: a read names its write).  Reads of values nobody wrote get no edges; like
Elle we do not flag them here (a register may hold values from outside the history) but
count them in the result as ``unknown_reads``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from checkers.elle._append import _duplicates
from checkers.elle._txns import RW, WR, WW, Txn, TxnGraph
from checkers.versions import (
    ASSUMPTIONS,
    Graphs,
    linearizable_graphs,
    link,
    merge,
    sequential_graphs,
)


class RegisterAnalysis:
    """Indices over an rw-register history, anomalies found, and edge explanations."""

    def __init__(self, g: TxnGraph, failed: list[Txn], opts: Mapping[str, Any]) -> None:
        self.g = g
        self.assume = {name for opt, name in ASSUMPTIONS.items() if opts.get(opt)}
        self._initial: Graphs = {}
        self._wfr: Graphs = {}
        self.txns = g.txns
        self.anomalies: dict[str, list[dict[str, Any]]] = {}
        self.writer: dict[tuple[Any, Any], int] = {}
        self.failed_writer: dict[tuple[Any, Any], Txn] = {}
        self.intermediate: dict[tuple[Any, Any], int] = {}
        self.ext_reads: dict[int, list[tuple[Any, Any]]] = {}
        self.readers: dict[tuple[Any, Any], list[int]] = {}
        self.versions: dict[Any, dict[Any, set[Any]]] = {}
        self.unknown_reads = 0
        self.duplicate_writes: list[tuple[Any, Any]] = []
        self._index_writes(failed)
        if self.duplicate_writes:
            return
        self._scan_reads()
        self._merge_versions()

    def add(self, kind: str, witness: dict[str, Any]) -> None:
        self.anomalies.setdefault(kind, []).append(witness)

    def _index_writes(self, failed: list[Txn]) -> None:
        for t in self.txns:
            last: dict[Any, Any] = {}
            for f, k, v in t.mops:
                if f == "w":
                    self.writer[(k, v)] = t.id
                    if k in last:
                        self.intermediate[(k, last[k])] = t.id
                    last[k] = v
                    link(self._initial, k, None, v)
        for t in failed:
            for f, k, v in t.mops:
                if f == "w":
                    self.failed_writer[(k, v)] = t
        n = sum(1 for t in [*self.txns, *failed] for m in t.mops if m[0] == "w")
        if n != len(self.writer) + len(self.failed_writer):
            self.duplicate_writes = _duplicates([*self.txns, *failed], "w")

    def _scan_reads(self) -> None:
        lost: dict[tuple[Any, Any], list[int]] = {}
        for t in self.txns:
            if t.type == "ok":
                self._scan_txn(t, lost)
        for (k, v), ids in lost.items():
            if len(ids) > 1:
                self.add(
                    "lost-update", {"key": k, "value": v, "ops": [self.txns[i].index for i in ids]}
                )

    def _scan_txn(self, t: Txn, lost: dict[tuple[Any, Any], list[int]]) -> None:
        state: dict[Any, Any] = {}
        ext: dict[Any, Any] = {}
        wrote: set[Any] = set()
        for i, (f, k, v) in enumerate(t.mops):
            if f == "w":
                if k in ext and k not in wrote:
                    lost.setdefault((k, _key(ext[k])), []).append(t.id)
                    link(self._wfr, k, ext[k], v)
                wrote.add(k)
                state[k] = v
            elif f == "r":
                if k in state:
                    if v != state[k]:
                        self.add(
                            "internal",
                            {
                                "op": t.index,
                                "mop": i,
                                "key": k,
                                "read": v,
                                "expected": state[k],
                                "prefix_known": True,
                            },
                        )
                    continue
                ext[k] = state[k] = v
                self._check_read(t, i, k, v)
        if ext:
            self.ext_reads[t.id] = list(ext.items())

    def _check_read(self, t: Txn, i: int, k: Any, v: Any) -> None:
        if v is None:
            self.readers.setdefault((k, None), []).append(t.id)
            return
        fw = self.failed_writer.get((k, v))
        w = self.writer.get((k, v))
        if fw is not None:
            self.add(
                "G1a",
                {"op": t.index, "mop": i, "key": k, "read": v, "element": v, "writer": fw.index},
            )
        elif w is None:
            self.unknown_reads += 1
        elif w != t.id and (k, v) in self.intermediate:
            final = [m[2] for m in self.txns[w].mops if m[0] == "w" and m[1] == k][-1]
            self.add(
                "G1b",
                {
                    "op": t.index,
                    "mop": i,
                    "key": k,
                    "read": v,
                    "element": v,
                    "writer": self.txns[w].index,
                    "final": final,
                },
            )
        self.readers.setdefault((k, v), []).append(t.id)

    def _explicit_orders(self) -> Graphs:
        graphs: Graphs = {}
        for t in self.txns:
            for k, vs in t.orders or ():
                for v1, v2 in itertools.pairwise(vs):
                    link(graphs, k, v1, v2)
        return graphs

    def _merge_versions(self) -> None:
        sources = [("initial-state", self._initial), ("version-order", self._explicit_orders())]
        if "wfr-keys" in self.assume:
            sources.append(("wfr-keys", self._wfr))
        if "sequential-keys" in self.assume:
            sources.append(("sequential-keys", sequential_graphs(self.txns)))
        if "linearizable-keys" in self.assume:
            sources.append(("linearizable-keys", linearizable_graphs(self.txns)))
        self.versions, cyclic = merge(sources)
        for w in cyclic:
            self.add("cyclic-versions", w)

    def add_edges(self) -> None:
        add, writer = self.g.add, self.writer  # few edges: the method call is fine
        for (k, v), readers in self.readers.items():
            w = writer.get((k, v))
            if w is not None:
                for r in readers:
                    add(w, r, WR)
        for k, graph in self.versions.items():
            for v1, succs in graph.items():
                w1 = writer.get((k, v1))
                for v2 in succs:
                    w2 = writer.get((k, v2))
                    if w2 is None:
                        continue
                    if w1 is not None:
                        add(w1, w2, WW)
                    for r in self.readers.get((k, v1), ()):
                        add(r, w2, RW)

    def explain(self, a: int, b: int, kind: int) -> dict[str, Any] | None:
        if kind == WR:
            for k, v in self.ext_reads.get(b, ()):
                if v is not None and self.writer.get((k, v)) == a:
                    return {"type": "wr", "key": k, "value": v}
        elif kind == RW:
            for k, v in self.ext_reads.get(a, ()):
                for v2 in self.versions.get(k, {}).get(v, ()):
                    if self.writer.get((k, v2)) == b:
                        return {"type": "rw", "key": k, "value": v, "value2": v2}
        elif kind == WW:
            for f, k, v2 in self.txns[b].mops:
                for v1, succs in self.versions.get(k, {}).items() if f == "w" else ():
                    if v2 in succs and self.writer.get((k, v1)) == a:
                        return {"type": "ww", "key": k, "value": v1, "value2": v2}
        return None


def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v
