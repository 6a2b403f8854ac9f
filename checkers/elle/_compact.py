"""``collect`` over a ``CompactHistory``: txns straight from the file's compact rows.

Theory of operation
-------------------
``collect`` (``_txns.py``) walks ``Op``s; on a history read with ``read_history`` those
hold every value of the file as lists, invocations included, ~180 MB at 100k txns.  A
``CompactHistory`` instead streams rows ``(index, type, process, f, value, line)`` with
txn values decoded by msgspec as tuples of ``(f, k, v)`` tuples, type-checked in C (see
``ddialab/history/_compact.py``).  This module runs the same pass as ``collect`` over those
rows -- same pairing, same txns, same time nodes, same edges -- and keeps only what the
analysis needs: each completion's micro-ops, and an invocation's only until its
completion arrives.  Nothing else of the history outlives the pass.

Micro-ops are validated as ``Source.mops`` does: a tuple value passes the cheap test
that remains after msgspec's typing (names, and a write's value is a scalar); any other
value -- one msgspec could not type, or one the test refuses -- goes through
``Source.mops`` on the exact ``Op`` re-read from the file (``CompactHistory.op``), so it is
frozen, or rejected with the message, exactly as on the full path.  A rejection waits
for the end of the scan: a line the scan cannot read later in the file is reported first,
as ``read_history`` would (the caller falls back to the full path on
``CompactUnsupported`` and meets that error there).
"""

from __future__ import annotations

from typing import Any

from checkers.elle._mops import Source
from checkers.elle._txns import Txn, TxnGraph, graph_of
from ddialab.errors import HistoryFormatError
from ddialab.history import NEMESIS, CompactHistory


def collect_compact(
    history: CompactHistory, process: bool, realtime: bool, src: Source
) -> tuple[TxnGraph, list[Txn]]:
    """``collect(history, process, realtime, src.mops)``, from ``history.blocks()``."""
    c = _RowCollector(history, src)
    blocks = history.blocks()
    try:
        for xs in blocks:
            c.take(xs)
    except HistoryFormatError:
        for _ in blocks:  # a line the scan cannot read, later on, is reported first
            pass
        raise
    return graph_of(c, realtime, process)


def _is_txn(f: str, v: Any) -> bool:
    """``is_txn_op`` on a row: no ``f`` and a non-empty list (or tuple) of micro-ops."""
    return (
        f in ("", "nil")
        and type(v) in (list, tuple)
        and bool(v)
        and all(type(m) in (list, tuple) for m in v)
    )


class _RowCollector:
    """``_txns._Collector`` over rows; pending invocations keep only their micro-ops."""

    def __init__(self, history: CompactHistory, src: Source) -> None:
        self.history = history
        self.src = src
        self.names = src.grammar.names
        self.appends = "append" in self.names
        self.txns: list[Txn] = []
        self.failed: list[Txn] = []
        self.pending: dict[Any, tuple[int, Any, int]] = {}  # process -> (index, mops, node)
        self.time_of: list[int] = []
        self.seen: list[int] = []
        self.cur, self.invoked = -1, True

    def take(self, xs: list[Any]) -> None:
        """A chunk's decoded lines.  (The hot loop of the compact path: an ok completion
        of a plain txn with its invocation pending is ``complete`` inlined.)"""
        pending, names, appends = self.pending, self.names, self.appends
        txns, seen, time_of = self.txns, self.seen, self.time_of
        for x in xs:
            proc, f, value = x.process, x.f, x.value
            if proc == NEMESIS or (f != "txn" and not _is_txn(f, value)):
                continue
            typ = x.type
            if typ == "invoke":  # validated, and kept only until its completion comes
                if type(value) is not tuple or not _plain(value, names, appends):
                    value = self.mops(x.index, typ, value)
                pending[proc] = (x.index, value, self.cur)
                self.invoked = True
            elif (
                typ == "ok"
                and proc in pending
                and type(value) is tuple
                and _plain(value, names, appends)
            ):
                index = x.index
                inv, _, saw = pending.pop(proc)
                txns.append(Txn(len(txns), index, inv, typ, proc, value, index))
                seen.append(saw)
                if self.invoked:
                    self.cur, self.invoked = self.cur + 1, False
                time_of.append(self.cur)
            else:
                self.complete(x.index, typ, proc, value)

    def mops(self, index: int, typ: str, value: Any) -> Any:
        """The micro-ops of op ``index`` (its value is ``value``), as ``Source.mops``."""
        if type(value) is tuple and _plain(value, self.names, self.appends):
            return value
        if value is None and typ != "ok":
            return []
        return self.src.mops(self.history.op(index))

    def complete(self, index: int, typ: str, proc: Any, value: Any) -> None:
        """A completion: its txn (``_Collector._add``)."""
        inv, inv_mops, saw = self.pending.pop(proc, None) or (-1, (), -1)
        timed = inv >= 0
        # an ok txn must say what it did; only info/fail fall back to the invocation's
        own = typ == "ok" or type(value) in (list, tuple) or not timed
        mops = self.mops(index, typ, value) if own else inv_mops
        if typ == "fail":
            self.failed.append(Txn(-1, index, inv, typ, proc, mops, None))
            return
        complete = index if typ == "ok" and timed else None
        self.txns.append(Txn(len(self.txns), index, inv, typ, proc, mops, complete))
        self.seen.append(saw)
        if complete is not None:
            if self.invoked:
                self.cur, self.invoked = self.cur + 1, False
            self.time_of.append(self.cur)
        else:
            self.time_of.append(-1)

    def finish(self) -> None:
        for proc, (index, mops, saw) in self.pending.items():
            self.txns.append(Txn(len(self.txns), index, index, "info", proc, mops, None))
            self.seen.append(saw)
            self.time_of.append(-1)


def _plain(value: tuple[Any, ...], names: frozenset[str], appends: bool) -> bool:
    """What ``plain_txn`` still asks of a value msgspec typed (scalar keys, reads of null,
    a scalar or a list of scalars): known names, scalar writes, list reads iff appends."""
    for f, _k, v in value:
        if f not in names:
            return False
        if f == "r":
            if v is not None and (type(v) is list) is not appends:
                return False
        elif v is None or type(v) is list:
            return False
    return True
