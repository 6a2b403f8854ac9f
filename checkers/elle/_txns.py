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

Txns are recognised by ``f == "txn"`` or, for files without ``f`` (some of Elle's own
fixtures), by a value that is a list of ``[f, k, v]`` micro-ops.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ddialab.history import NEMESIS, History, Op

WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16
KIND_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}
MOP_FS = frozenset(("append", "r", "w"))


class Txn:
    """One transaction: its node id, naming op index, outcome and micro-ops."""

    __slots__ = ("complete", "id", "index", "invoke", "mops", "orders", "process", "type")

    def __init__(
        self,
        id: int,
        index: int,
        invoke: int,
        type: str,
        process: Any,
        mops: list[Any],
        complete: int | None,
    ) -> None:
        self.id = id
        self.index = index
        self.invoke = invoke
        self.type = type
        self.process = process
        self.mops = mops
        self.complete = complete
        #: An explicit version order from the system under test (rw-register), if any.
        self.orders: Any = None

    def __repr__(self) -> str:
        return f"Txn({self.type} op {self.index}: {self.mops!r})"


class TxnGraph:
    """Nodes 0..n-1 are txns, n.. are time nodes; parallel target/kind adjacency lists."""

    __slots__ = ("kinds", "n_txns", "out", "txns")

    def __init__(self, txns: list[Txn], n_time: int) -> None:
        self.txns = txns
        self.n_txns = len(txns)
        size = self.n_txns + n_time
        self.out: list[list[int]] = [[] for _ in range(size)]
        self.kinds: list[list[int]] = [[] for _ in range(size)]

    def add(self, a: int, b: int, kind: int) -> None:
        if a != b:
            self.out[a].append(b)
            self.kinds[a].append(kind)

    def is_time(self, node: int) -> bool:
        return node >= self.n_txns


def is_txn_op(op: Op) -> bool:
    if op.f == "txn":
        return True
    v = op.value
    return (
        op.f in ("", "nil")
        and isinstance(v, list)
        and all(isinstance(m, list) and len(m) == 3 and m[0] in MOP_FS for m in v)
    )


def _mops(completion: Op | None, invocation: Op) -> list[Any]:
    if completion is not None and isinstance(completion.value, list):
        return completion.value
    return invocation.value if isinstance(invocation.value, list) else []


def collect(
    history: History | Iterable[Op], process: bool = True, realtime: bool = True
) -> tuple[TxnGraph, list[Txn]]:
    """Txns (ok/info as graph nodes), failed txns, and (if asked) order edges."""
    txns: list[Txn] = []
    failed: list[Txn] = []
    pending: dict[Any, Op] = {}
    ok_completions: list[int] = []  # txn id of each ok completion, in order
    rt_in: list[int] = []  # per txn: number of ok completions before its invocation
    seen_at_invoke: dict[int, int] = {}
    last_of_process: dict[Any, int] = {}
    proc_edges: list[tuple[int, int]] = []
    for op in history:
        if op.process == NEMESIS or not is_txn_op(op):
            continue
        if op.type == "invoke":
            pending[op.process] = op
            seen_at_invoke[op.index] = len(ok_completions)
            continue
        inv = pending.pop(op.process, None)
        if inv is None:
            continue
        if op.type == "fail":
            failed.append(
                Txn(-1, op.index, inv.index, "fail", op.process, _mops(op, inv), op.index)
            )
            continue
        t = Txn(
            len(txns),
            op.index,
            inv.index,
            op.type,
            op.process,
            _mops(op, inv),
            op.index if op.type == "ok" else None,
        )
        if op.extra:
            t.orders = op.extra.get("version_order")
        _add_txn(t, txns, rt_in, seen_at_invoke, last_of_process, proc_edges)
        if op.type == "ok":
            ok_completions.append(t.id)
    for inv in pending.values():
        t = Txn(len(txns), inv.index, inv.index, "info", inv.process, _mops(None, inv), None)
        _add_txn(t, txns, rt_in, seen_at_invoke, last_of_process, proc_edges)
    if not realtime:
        ok_completions, rt_in = [], [0] * len(txns)
    if not process:
        proc_edges = []
    return _order_graph(txns, ok_completions, rt_in, proc_edges), failed


def _add_txn(
    t: Txn,
    txns: list[Txn],
    rt_in: list[int],
    seen_at_invoke: dict[int, int],
    last_of_process: dict[Any, int],
    proc_edges: list[tuple[int, int]],
) -> None:
    txns.append(t)
    rt_in.append(seen_at_invoke.pop(t.invoke, 0))
    prev = last_of_process.get(t.process)
    if prev is not None:
        proc_edges.append((prev, t.id))
    last_of_process[t.process] = t.id


def _order_graph(
    txns: list[Txn],
    ok_completions: list[int],
    rt_in: list[int],
    proc_edges: list[tuple[int, int]],
) -> TxnGraph:
    g = TxnGraph(txns, len(ok_completions))
    n = len(txns)
    out, kinds = g.out, g.kinds
    for i, tid in enumerate(ok_completions):
        out[tid].append(n + i)
        kinds[tid].append(REALTIME)
        if i + 1 < len(ok_completions):
            out[n + i].append(n + i + 1)
            kinds[n + i].append(REALTIME)
    for tid, seen in enumerate(rt_in):
        if seen:
            out[n + seen - 1].append(tid)
            kinds[n + seen - 1].append(REALTIME)
    for a, b in proc_edges:
        out[a].append(b)
        kinds[a].append(PROCESS)
    return g
