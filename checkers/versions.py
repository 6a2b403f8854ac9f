"""Register version orders: the sources they are inferred from, and how they combine.

Public surface (shared by ``checkers.elle`` and ``checkers.session``)::

    ASSUMPTIONS                     # option name -> source name, in merge order
    VersionTxn                      # what a txn must offer: id, process, type, mops, ...
    initial_graphs, wfr_graphs, sequential_graphs, linearizable_graphs  # -> Graphs
    merge(sources) -> (graphs, cyclic); merge_sources(...) also names each key's sources
    reaches(graph, a, b), find_cycle(graph), link(graphs, k, v1, v2)

Theory of operation
-------------------
A register read shows one version, not the order of versions, so the order is *inferred*
from sources, each an assumption about the system (Elle's ``version-graphs``).  Each
source yields a per-key *version graph* (values as nodes, ``None`` the initial state):

* ``initial-state`` (always): ``None`` precedes every written value;
* ``version-order`` (always, when the history has one): an op's extra key
  ``"version_order"``, ``[[k, [v1, v2, ...]], ...]`` oldest first, from the database;
* ``wfr-keys`` (option ``wfr_keys``): within a txn, writes follow reads -- a txn that
  read ``k = v1`` and then wrote ``k = v2`` orders ``v1 < v2``;
* ``sequential-keys`` (option ``sequential_keys``): each key is sequentially consistent,
  so process order orders versions;
* ``linearizable-keys`` (option ``linearizable_keys``): each key is linearizable, so
  real-time order (T1 completed before T2 was invoked) orders versions.

For the last two, as in Elle's ``transaction-graph->version-graphs``: if T1 precedes T2
and both touch k, with no txn touching k between them, then T1's *final* value of k (its
last write, else its first read) precedes T2's *first* value (its first read, else its
last write).  ``info`` txns count only by their writes; ``fail`` txns not at all.  Real
time is reduced per key with a *frontier*: the completed txns on k not yet followed by a
completed txn on k; a txn's predecessors are the frontier at its invocation.

Sources are merged in the order above, per key.  A source that would make a key's graph
cyclic is a ``cyclic-versions`` anomaly (naming the sources) and is left out for that key,
as Elle leaves out an analyzer whose graphs are cyclic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class VersionTxn(Protocol):
    """A txn as the derivation sees it: micro-ops ``(f, k, v)`` with ``f`` ``"r"`` or
    ``"w"`` (others are ignored), ``type`` ``ok``/``info``, op indices (``invoke`` -1 when
    the txn has no invocation; ``complete`` None when it never completed), and ``id``, its
    position in the list given."""

    @property
    def id(self) -> int: ...
    @property
    def process(self) -> Any: ...
    @property
    def type(self) -> str: ...
    @property
    def mops(self) -> list[Any]: ...
    @property
    def invoke(self) -> int: ...
    @property
    def complete(self) -> int | None: ...


Graph = dict[Any, set[Any]]  # version -> later versions
Graphs = dict[Any, Graph]  # key -> version graph

#: Option name -> source name, in merge order (after initial-state and version-order).
ASSUMPTIONS = {
    "wfr_keys": "wfr-keys",
    "sequential_keys": "sequential-keys",
    "linearizable_keys": "linearizable-keys",
}
_NONE = object()  # "this txn has no value of the key to relate"


def link(graphs: Graphs, k: Any, v1: Any, v2: Any) -> None:
    if v1 != v2:
        graphs.setdefault(k, {}).setdefault(v1, set()).add(v2)


def merge(sources: list[tuple[str, Graphs]]) -> tuple[Graphs, list[dict[str, Any]]]:
    """Union the sources in order, per key, leaving out any that makes a key cyclic."""
    merged, cyclic, _ = merge_sources(sources)
    return merged, cyclic


def merge_sources(
    sources: list[tuple[str, Graphs]],
) -> tuple[Graphs, list[dict[str, Any]], dict[Any, list[str]]]:
    """As ``merge``, also naming the sources each key's merged graph was built from."""
    merged: Graphs = {}
    cyclic: list[dict[str, Any]] = []
    used: dict[Any, list[str]] = {}
    for name, graphs in sources:
        for k, graph in graphs.items():
            trial = {v: set(s) for v, s in merged.get(k, {}).items()}
            for v, succs in graph.items():
                trial.setdefault(v, set()).update(succs)
            cycle = find_cycle(trial)
            if cycle is None:
                merged[k] = trial
                used.setdefault(k, []).append(name)
            else:
                sources_used = [*used.get(k, []), name]
                cyclic.append({"key": k, "cycle": cycle, "sources": sources_used})
    return merged, cyclic, used


def initial_graphs(txns: Iterable[VersionTxn]) -> Graphs:
    """``initial-state``: ``None`` precedes every value written (by ok or info txns)."""
    graphs: Graphs = {}
    for t in txns:
        for f, k, v in t.mops:
            if f == "w":
                link(graphs, k, None, v)
    return graphs


def wfr_graphs(txns: Iterable[VersionTxn]) -> Graphs:
    """``wfr-keys``: an ok txn that read ``k = v1`` and then wrote ``k`` orders ``v1`` before
    its first write of ``k`` (Elle's writes-follow-reads within a txn)."""
    graphs: Graphs = {}
    for t in txns:
        if t.type != "ok":
            continue
        read: dict[Any, Any] = {}
        wrote: set[Any] = set()
        for f, k, v in t.mops:
            if f == "r" and k not in wrote:
                read.setdefault(k, v)
            elif f == "w":
                if k in read and k not in wrote:
                    link(graphs, k, read[k], v)
                wrote.add(k)
    return graphs


def ext_values(t: VersionTxn) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """A txn's external reads (first read of k before writing it) and final writes."""
    reads: dict[Any, Any] = {}
    writes: dict[Any, Any] = {}
    for f, k, v in t.mops:
        if f == "w":
            writes[k] = v
        elif f == "r" and k not in writes and k not in reads and t.type == "ok":
            reads[k] = v
    return reads, writes


class _Ends:
    """Each txn's first and final value per key, computed once."""

    def __init__(self, txns: Sequence[VersionTxn]) -> None:
        self.ext = [ext_values(t) for t in txns]

    def keys(self, tid: int) -> set[Any]:
        reads, writes = self.ext[tid]
        return {*reads, *writes}

    def final(self, tid: int, k: Any) -> Any:
        reads, writes = self.ext[tid]
        return writes[k] if k in writes else reads.get(k, _NONE)

    def first(self, tid: int, k: Any) -> Any:
        reads, writes = self.ext[tid]
        return reads[k] if k in reads else writes.get(k, _NONE)


def _relate(graphs: Graphs, ends: _Ends, a: int, b: int, k: Any) -> None:
    v1, v2 = ends.final(a, k), ends.first(b, k)
    if v1 is not _NONE and v2 is not _NONE:
        link(graphs, k, v1, v2)


def sequential_graphs(txns: Sequence[VersionTxn]) -> Graphs:
    """Version graphs from process order (each process's txns in history order)."""
    ends = _Ends(txns)
    graphs: Graphs = {}
    last: dict[tuple[Any, Any], int] = {}  # (process, key) -> last txn on it
    for t in txns:
        for k in ends.keys(t.id):
            prev = last.get((t.process, k))
            if prev is not None:
                _relate(graphs, ends, prev, t.id, k)
            last[(t.process, k)] = t.id
    return graphs


def _events(txns: Sequence[VersionTxn]) -> Iterator[tuple[int, int, VersionTxn]]:
    """(op index, 0 completion / 1 invocation, txn) in history order; untimed txns out."""
    evs = []
    for t in txns:
        if t.invoke >= 0:
            evs.append((t.invoke, 1, t))
            if t.complete is not None:
                evs.append((t.complete, 0, t))
    evs.sort(key=lambda e: (e[0], e[1]))
    return iter(evs)


def linearizable_graphs(txns: Sequence[VersionTxn]) -> Graphs:
    """Version graphs from real-time order, reduced per key with a frontier."""
    ends = _Ends(txns)
    graphs: Graphs = {}
    frontier: dict[Any, set[int]] = {}
    preds: dict[int, dict[Any, set[int]]] = {}
    for _, is_invoke, t in _events(txns):
        keys = ends.keys(t.id)
        if is_invoke:
            preds[t.id] = {k: set(frontier.get(k, ())) for k in keys}
            for k, before in preds[t.id].items():
                for a in before:
                    _relate(graphs, ends, a, t.id, k)
            continue
        for k in keys:
            f = frontier.setdefault(k, set())
            f -= preds[t.id].get(k, set())
            f.add(t.id)
    return graphs


def find_cycle(graph: Graph) -> list[Any] | None:
    """Some cycle of versions (as a list, first repeated at the end), or None."""
    color: dict[Any, int] = {}
    for root in list(graph):
        if root in color:
            continue
        stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(graph.get(root, ())))]
        path = [root]
        color[root] = 1
        while stack:
            v, it = stack[-1]
            for w in it:
                if color.get(w) == 1:
                    return [*path[path.index(w) :], w]
                if w not in color:
                    color[w] = 1
                    path.append(w)
                    stack.append((w, iter(graph.get(w, ()))))
                    break
            else:
                color[v] = 2
                path.pop()
                stack.pop()
    return None


def reaches(graph: Graph, a: Any, b: Any, memo: dict[tuple[Any, Any], bool] | None = None) -> bool:
    """Is there a path from version ``a`` to version ``b`` (``a != b``) in ``graph``?"""
    if memo is not None and (a, b) in memo:
        return memo[(a, b)]
    seen = {a}
    stack = [a]
    found = False
    while stack and not found:
        for w in graph.get(stack.pop(), ()):
            if w == b:
                found = True
                break
            if w not in seen:
                seen.add(w)
                stack.append(w)
    if memo is not None:
        memo[(a, b)] = found
    return found
