"""From a history to transactions, and the order edges every workload shares.

Theory of operation
-------------------
One pass over the history pairs each client invocation with its completion and yields
``Txn`` records: ``ok`` and ``info`` txns (and invocations that never completed, which are
``info``) become nodes ``0..n-1`` of the dependency graph; ``fail`` txns are kept apart
for aborted-read analysis.  A txn is named by its completion op's index (its invocation's,
if it never completed), as Elle names txns by their completion ops.

The same pass builds the two order relations:

* process order: each process's txns in sequence (a process whose txn ends ``info``
  never runs again, so ``info`` txns only have predecessors);
* real-time order: ``A < B`` iff A completed before B was invoked.  Rather than a
  transitive reduction with O(n·p) edges, we use an exact O(n) encoding with *time
  nodes*: one node ``E_i`` per ok completion, a chain ``E_i -> E_i+1``, an edge from each
  ok txn to the time node of its completion, and one edge from the newest time node at
  its invocation to each txn.  A reaches B through the chain iff A completed before B
  was invoked.  Cycle witnesses collapse chain runs back into one ``realtime`` step.

A completion with no invocation (Elle's own fixtures are often completion-only) stands for
its own txn, as in Elle: it is a node like any other and follows its process's earlier
txns, but it has no invocation time, so it takes no part in real-time order (its
``invoke`` is -1).  Nothing is dropped.

Txns are recognised by ``f == "txn"`` or, for files without ``f`` (some of Elle's own
fixtures), by a value that is a list of lists (micro-ops).  The caller's ``mops``
function validates and freezes each txn's micro-ops (``_mops.txn_mops``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from checkers import KEY, SCALAR, freeze_vectors
from ddialab.history import NEMESIS, History, Op, op_error

WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16
KIND_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}


class Txn(msgspec.Struct, array_like=True, eq=False, gc=False):
    """One transaction: its node id, naming op index, outcome and micro-ops.

    A msgspec struct (built in C; compared by identity, as a plain object): the split
    scan (``_split.py``) sends the child's txns as msgpack arrays and decodes them
    straight into txns.  ``gc=False``: a txn refers to no container that refers back."""

    id: int
    index: int
    invoke: int
    type: str
    process: Any
    mops: Any  # a list, or a tuple of tuples from a CompactHistory
    complete: int | None
    #: An explicit version order from the system under test (rw-register), if any.
    orders: Any = None

    def __repr__(self) -> str:
        return f"Txn({self.type} op {self.index}: {self.mops!r})"


class TxnGraph:
    """Nodes 0..n-1 are txns, n.. are time nodes.

    ``out[a]`` lists a's edges, each encoded as ``b << 5 | kind`` (one int per edge keeps
    the 1M-edge graphs of 100k-txn histories cheap to build and walk).  Process edges
    live in ``proc_next`` (each txn's successor on its process, or -1) and enter
    ``out`` only when there are no real-time edges: real-time order already implies
    process order, so the whole-graph SCCs do not need them; ``scc_graph`` adds them
    back inside each component for the cycle search.  Whoever builds an analysis over a
    graph whose ``tail`` is set closes it (``close()``) when done.
    """

    __slots__ = ("n_txns", "out", "proc_in_out", "proc_next", "tail", "txns")

    def __init__(self, txns: list[Txn], n_time: int) -> None:
        self.txns = txns
        self.n_txns = len(txns)
        # arrays, not lists: an edge is 8 bytes, not a pointer to a 32-byte int object
        self.out: list[array[int]] = [array("q") for _ in range(self.n_txns + n_time)]
        self.proc_next: list[int] = [-1] * self.n_txns
        self.proc_in_out = False
        #: The split child's reads pass still on its way (``_split.Tail``), or None.
        self.tail: Any = None

    def add(self, a: int, b: int, kind: int) -> None:
        if a != b:
            self.out[a].append(b << 5 | kind)


def is_txn_op(op: Op) -> bool:
    """A txn: ``f == "txn"``, or no ``f`` and a value that is a list of lists (micro-ops)."""
    if op.f == "txn":
        return True
    v = op.value
    return (
        op.f in ("", "nil") and isinstance(v, list) and bool(v) and all(type(m) is list for m in v)
    )


def _raw_mops(op: Op) -> list[Any]:
    return op.value if isinstance(op.value, list) else []


def collect(
    history: History | Iterable[Op],
    process: bool = True,
    realtime: bool = True,
    mops: Callable[[Op], list[Any]] = _raw_mops,
) -> tuple[TxnGraph, list[Txn]]:
    """Txns (ok/info as graph nodes), failed txns, and (if asked) order edges.

    ``mops`` turns a txn op into its micro-ops (and may reject a malformed one).  A
    completion with no invocation stands for its own txn (Elle's fixtures are often
    completion-only): it joins process order but has no place in real-time order.
    Time nodes are shared: a new one opens only at an ok completion that follows an
    invocation, so a run of completions with no invocation between them shares one.
    """
    c = _Collector(mops, getattr(history, "source", None))
    for op in history:
        if op.process != NEMESIS and (op.f == "txn" or is_txn_op(op)):
            c.take(op)
    return graph_of(c, realtime, process)


def graph_of(c: Any, realtime: bool, process: bool) -> tuple[TxnGraph, list[Txn]]:
    """The graph of a finished collection (``_Collector`` or the compact path's): its txns,
    time nodes and the real-time/process edges asked for; and the failed txns."""
    c.finish()
    n_time = c.cur + 1 if realtime else 0
    g = TxnGraph(c.txns, n_time)
    if realtime:
        _realtime_edges(g, c.time_of, c.seen, n_time)
    if process:
        _process_edges(g, in_out=not realtime)
    return g, c.failed


class _Collector:
    """The state of ``collect``'s one pass: pending invocations, txns, time nodes."""

    def __init__(self, mops: Callable[[Op], list[Any]], path: str | None = None) -> None:
        self.mops = mops
        self.path = path
        self.txns: list[Txn] = []
        self.failed: list[Txn] = []
        self.pending: dict[Any, tuple[Op, int]] = {}
        self.time_of: list[int] = []  # per txn: its completion's time node, or -1
        self.seen: list[int] = []  # per txn: newest time node at its invocation, or -1
        self.cur, self.invoked = -1, True

    def take(self, op: Op) -> None:
        if op.type == "invoke":
            self.mops(op)  # a malformed invocation is bad input too
            self.pending[op.process] = (op, self.cur)
            self.invoked = True
            return
        got = self.pending.pop(op.process, None)
        if got is None:  # completion-only: no invocation, so no real-time facts
            self._add(op, op, -1, timed=False)
        else:
            self._add(op, got[0], got[1], timed=True)

    def _add(self, op: Op, inv: Op, saw: int, timed: bool) -> None:
        typ = op.type
        # an ok txn must say what it did; only info/fail fall back to the invocation's mops
        own = typ == "ok" or isinstance(op.value, list)
        mops = self.mops(op) if own else self.mops(inv)
        t = Txn(len(self.txns), op.index, inv.index if timed else -1, typ, op.process, mops, None)
        if typ == "fail":
            t.id = -1
            self.failed.append(t)
            return
        t.complete = op.index if typ == "ok" and timed else None
        if op.extra:
            t.orders = self.version_order(op)
        self.txns.append(t)
        self.seen.append(saw)
        if typ == "ok" and timed:
            if self.invoked:
                self.cur, self.invoked = self.cur + 1, False
            self.time_of.append(self.cur)
        else:
            self.time_of.append(-1)

    def version_order(self, op: Op) -> Any:
        """The op's ``version_order`` extra, ``[[k, [v1, v2, ...]], ...]`` with keys
        frozen as micro-op keys are; anything else is bad input (file, line, what)."""
        vo = op.extra.get("version_order")
        if vo is None:
            return None
        if isinstance(vo, list) and all(_order_pair(p) for p in vo):
            return [[freeze_vectors(k), vs] for k, vs in vo]
        got = repr(vo) if len(repr(vo)) <= 60 else repr(vo)[:57] + "..."
        what = f"version_order must be a list of [key, [value, ...]] pairs; got {got}"
        raise op_error(self.path, op, what)

    def finish(self) -> None:
        for inv, saw in self.pending.values():
            mops = self.mops(inv)
            self.txns.append(
                Txn(len(self.txns), inv.index, inv.index, "info", inv.process, mops, None)
            )
            self.seen.append(saw)
            self.time_of.append(-1)


def _order_pair(p: Any) -> bool:
    return (
        isinstance(p, list)
        and len(p) == 2
        and KEY(p[0])
        and isinstance(p[1], list)
        and all(SCALAR(v) for v in p[1])
    )


def _realtime_edges(g: TxnGraph, time_of: list[int], seen: list[int], n_time: int) -> None:
    out, n = g.out, g.n_txns
    for tid, node in enumerate(time_of):
        if node >= 0:
            out[tid].append((n + node) << 5 | REALTIME)
    for i in range(n_time - 1):
        out[n + i].append((n + i + 1) << 5 | REALTIME)
    for tid, node in enumerate(seen):
        if node >= 0:
            out[n + node].append(tid << 5 | REALTIME)


def _process_edges(g: TxnGraph, in_out: bool) -> None:
    last: dict[Any, int] = {}
    nxt = g.proc_next
    for t in g.txns:
        prev = last.get(t.process)
        if prev is not None:
            nxt[prev] = t.id
            # A well-formed history never reuses a process after an info txn; if one
            # does, real time cannot imply that edge, so it joins the graph.
            if in_out or g.txns[prev].type != "ok":
                g.out[prev].append(t.id << 5 | PROCESS)
        last[t.process] = t.id
    g.proc_in_out = in_out
