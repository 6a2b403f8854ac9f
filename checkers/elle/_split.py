"""``collect_compact`` on both cores: the file's second part scanned in a forked child.

Theory of operation
-------------------
On a large JSONL history the compact scan (decode + collect, ``_compact.py``) is about
half of ``ddialab check -c elle``.  ``collect_split`` cuts the file at a line start
(``PARENT_SHARE`` of its bytes), forks, and runs the same ``_RowCollector`` in both
processes: the parent over the first part, the child over the rest.  The child hands its
txns back as plain data through a pipe -- msgpack of ``(index, invoke, type, process,
mops, complete)`` rows plus ``array`` bytes -- which the parent decodes in C for about a
third of what decoding and collecting that part itself would cost.  No pickled objects.
For list-append the child then runs the analysis's reads pass over its txns and sends
that as a second frame (``_tails.py``); the graph carries the open end (``Tail``) until
the analysis takes it or ``check`` closes it.

The seam.  A part knows nothing of the part before it, so the child records what the
parent must settle once its own part is done (``_merge``):

* *orphans*: a completion of a process the child had not met yet is taken to complete
  an invocation pending in the first part (``_PartPending``); the parent fills in that
  invocation's index, its time node and (for an info/fail completion without a value)
  its micro-ops.  A process with no such invocation pending: the split gives up.
* time nodes are numbered from 0 in the child; they follow the parent's last one, or
  are that very node when the child's first ok completion came before any invocation
  and the parent had seen none since its last node (``early``);
* pending invocations left at the end merge as one dict would have kept them: the
  parent's, in their order, unless the child completed that process; then the child's.

Fail closed, and never a different answer: anything the split does not handle exactly --
a value that needs the full reader's micro-op parser, a read error in either part, a
seam that does not fit, a child that dies, exits non-zero, sends a short payload or
takes longer than ``timeout`` -- makes ``collect_split`` return ``None`` and the caller
runs the one-process ``collect_compact`` from the start, whose results and errors are
the reference.  A history under ``PARALLEL_MIN_BYTES`` never forks.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import threading
import time
from array import array
from typing import Any, Literal

import msgspec

from checkers.elle._append import part_reads
from checkers.elle._compact import _plain, _RowCollector
from checkers.elle._mops import Source
from checkers.elle._tails import Reads, decode_reads
from checkers.elle._txns import Txn, TxnGraph, graph_of
from ddialab.history import CompactHistory, CompactUnsupported, TxnValue

#: Files smaller than this are scanned in one process (the fork, the payload and the
#: merge cost ~0.1 s; from ~200k txns on the second core pays for them).
PARALLEL_MIN_BYTES = 64 << 20
#: The parent's share of the file: it also decodes the child's payload afterwards, but
#: the child's bytes cost it ~1.2x the parent's (its collector's orphan notes) plus the
#: encoding.  At 1M txns the graph's start came at 2.34 s with 0.55, 2.25 s with 0.58 and
#: 2.27 s with 0.61 (means of three, interleaved; docs/performance.md).
PARENT_SHARE = 0.58
#: Seconds the parent waits for the child beyond four times its own part's time.
CHILD_TIMEOUT = 30.0
#: An invocation index no op has: a txn whose invocation is in the parent's part.
ORPHAN = 1 << 62


class _WireTxn(Txn, array_like=True, eq=False, gc=False):
    """A ``Txn`` as the child sends it: msgspec decodes it straight into a txn, with its
    micro-ops typed as the scan types them (tuples, interned names)."""

    type: Literal["invoke", "ok", "fail", "info"]
    process: int
    mops: TxnValue | None  # None: an orphan's that the invocation's will replace


_Pending = tuple[int, int, TxnValue, int]  # process, index, mops, saw


class _Part(msgspec.Struct, array_like=True):
    """What the child sends: its txns and failed txns (and which of them carry the
    empty list: msgpack has no tuple/list distinction), orphans, pending invocations,
    its time nodes' state, and its part of the history's own scan state."""

    txns: list[_WireTxn]  # ids from 0, renumbered by the parent
    failed: list[_WireTxn]
    empty: list[int]  # positions in txns + failed of mops that are the list []
    orphans: list[int]  # positions in txns + failed of orphan completions
    seen: bytes
    time_of: bytes
    pending: list[_Pending]
    pending_empty: list[int]
    met_first: list[int]  # processes whose first event in the part was an invocation
    cur: int
    invoked: bool
    moved: bool  # the child invoked or opened a time node
    early: bool
    history: tuple[int, int, int, bytes, bytes, bytes, int, list[Any]]


_decode_part = msgspec.msgpack.Decoder(_Part).decode


class _NotPlain(Exception):
    """A value the child would need the full reader's micro-op parser for."""


def collect_split(
    history: CompactHistory,
    process: bool,
    realtime: bool,
    src: Source,
    timeout: float | None = None,
) -> tuple[TxnGraph, list[Txn]] | None:
    """``collect_compact(history, process, realtime, src)`` on two processes, or None:
    not split (small file, no ``fork``) or not settled here (see the module docstring).
    The child gets ``timeout`` (``CHILD_TIMEOUT``) seconds plus four times the time the
    parent took for its own part; then it is killed and None returned."""
    timeout = CHILD_TIMEOUT if timeout is None else timeout
    split = _split_point(history.source or "", PARALLEL_MIN_BYTES, PARENT_SHARE)
    if split is None:
        return None
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its work is checked through the parent
        os.close(r)
        _child(history, src, split, w)
    os.close(w)
    tail = Tail(r, pid, timeout)
    try:
        got = _parent(history, process, realtime, src, split, tail)
    except BaseException:
        tail.close()
        raise
    if got is None or src.model != "list-append":
        tail.close()
    else:
        got[0].tail = tail
    return got


def _split_point(path: str, min_bytes: int, share: float) -> int | None:
    """The first line start at or after ``share`` of the file, or None: also when this
    process runs other threads (a forked child has only this one, and any lock another
    thread held stays held there; Python 3.12 warns of it)."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    size = os.path.getsize(path)
    if size < max(min_bytes, 2):
        return None
    with open(path, "rb") as f:
        f.seek(int(size * share))
        f.readline()
        split = f.tell()
    return split if 0 < split < size else None


def _parent(
    history: CompactHistory,
    process: bool,
    realtime: bool,
    src: Source,
    split: int,
    tail: Tail,
) -> tuple[TxnGraph, list[Txn]] | None:
    c = _RowCollector(history, src)
    t0 = time.monotonic()
    try:
        for xs in history.blocks(0, split):
            c.take(xs)
    except Exception:  # a read error, a rejected op: the one-process path reports it
        return None
    payload = tail.frame(tail.timeout + 4 * (time.monotonic() - t0))
    if payload is None:
        return None
    try:
        part = _decode_part(payload)
        history.join(part.history)
    except (msgspec.DecodeError, CompactUnsupported):
        return None
    tail.start = len(c.txns)
    if not _merge(c, part):
        return None
    return graph_of(c, realtime, process)


# -- the child ---------------------------------------------------------------------


def _child(history: CompactHistory, src: Source, split: int, w: int) -> None:
    """Scan and collect from ``split`` on, send the part; for list-append, then the
    reads pass of the part's txns (``_tails.py``: an empty frame if it showed an
    anomaly); and exit (never return)."""
    code = 1
    try:
        c = _PartCollector(history, src)
        c.run(history, split)
        _send(w, msgspec.msgpack.encode(_part_of(c, history)))
        if src.model == "list-append":
            reads = part_reads(c.txns)
            _send(w, b"" if reads is None else msgspec.msgpack.encode(reads))
        code = 0
    except BaseException:  # the parent sees the exit code (and falls back)
        pass
    finally:
        os._exit(code)


#: The pending entry of a process whose first event in the child's part is a completion.
_ORPHAN_ENTRY = (ORPHAN, None, -1)


class _PartPending(dict[Any, Any]):
    """Pending invocations of the child's part: ``orphan`` puts ``_ORPHAN_ENTRY`` for a
    process whose first event in the part is a completion (the history's scan says so
    before the chunk is taken), so that completion pops it like any invocation; an
    invocation over such an entry (its first *txn* event was an invocation after all)
    is a ``clash`` and the split gives up.  Only ``__setitem__`` is Python: ``in`` and
    ``pop`` stay C on the hot path."""

    def __init__(self) -> None:
        super().__init__()
        self.first_invoke = -1  # the index of the part's first txn invocation
        self.clash = False
        self.orphans = 0

    def orphan(self, p: Any) -> None:
        dict.__setitem__(self, p, _ORPHAN_ENTRY)
        self.orphans += 1

    def __setitem__(self, p: Any, entry: Any) -> None:
        if self.first_invoke < 0:
            self.first_invoke = entry[0]
        if dict.get(self, p) is _ORPHAN_ENTRY:
            self.clash = True
        dict.__setitem__(self, p, entry)


class _PartCollector(_RowCollector):
    """``_RowCollector`` for the child's part: orphans pending, values plain or else."""

    def __init__(self, history: CompactHistory, src: Source) -> None:
        super().__init__(history, src)
        self.pending = self.part_pending = _PartPending()

    def run(self, history: CompactHistory, split: int) -> None:
        """Collect from ``split`` on; ``_NotPlain`` for anything the split leaves to the
        one-process path."""
        pending, done = self.part_pending, 0
        for xs in history.blocks(split):
            orphans = history.first_completions()  # grows as the scan goes
            while done < len(orphans):
                pending.orphan(orphans[done])
                done += 1
            self.take(xs)
        left = sum(1 for e in pending.values() if e is _ORPHAN_ENTRY)
        popped = sum(1 for t in self.txns + self.failed if t.invoke == ORPHAN)
        if pending.clash or left + popped != pending.orphans:
            raise _NotPlain("a process's first txn event is not its first event")

    def mops(self, index: int, typ: str, value: Any) -> Any:
        if type(value) is tuple and _plain(value, self.names, self.appends):
            return value
        if value is None and typ != "ok":
            return []
        raise _NotPlain(index)

    def complete(self, index: int, typ: str, proc: Any, value: Any) -> None:
        if proc not in self.pending:  # completion-only, or pending in the parent's part?
            raise _NotPlain(index)
        super().complete(index, typ, proc, value)


def _part_of(c: _PartCollector, history: CompactHistory) -> _Part:
    pending, both = c.part_pending, c.txns + c.failed
    left = [(p, e) for p, e in pending.items() if e is not _ORPHAN_ENTRY]
    first_node = next((t.index for t, n in zip(c.txns, c.time_of, strict=True) if n == 0), -1)
    early = first_node >= 0 and (pending.first_invoke < 0 or first_node < pending.first_invoke)
    return _Part(
        txns=c.txns,  # type: ignore[arg-type]  # Txns encode as _WireTxns
        failed=c.failed,  # type: ignore[arg-type]
        empty=[i for i, t in enumerate(both) if type(t.mops) is list],
        orphans=[i for i, t in enumerate(both) if t.invoke == ORPHAN],
        seen=array("q", c.seen).tobytes(),
        time_of=array("q", c.time_of).tobytes(),
        pending=[(p, i, m, saw) for p, (i, m, saw) in left],
        pending_empty=[j for j, (_, (_, m, _)) in enumerate(left) if type(m) is list],
        met_first=sorted(history.met_first()),
        cur=c.cur,
        invoked=c.invoked,
        moved=pending.first_invoke >= 0 or c.cur >= 0,
        early=early,
        history=history.part(),
    )


def _send(fd: int, data: bytes) -> None:
    """One frame: its length (8 bytes, little-endian), then ``data``."""
    view = memoryview(struct.pack("<q", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


# -- the parent: receive, merge ------------------------------------------------------


class Tail:
    """The parent's end of the pipe and the child: its frames in order, then its exit.

    ``frame`` is the part's payload; ``reads()`` the child's reads pass (``_tails``),
    taken only if the child then exits 0; ``close()`` kills the child if it is still
    running and reaps it (also when the analysis never asked for the reads)."""

    def __init__(self, r: int, pid: int, timeout: float) -> None:
        self.r, self.pid, self.timeout = r, pid, timeout
        self.start = -1  # the child's first txn id, once the part is merged
        self.closed = False

    def frame(self, timeout: float) -> bytes | None:
        """The next frame, or None: the child died, sent too little, or took longer
        than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        head = self._read(8, deadline)
        if head is None:
            return None
        n = struct.unpack("<q", head)[0]
        return self._read(n, deadline) if 0 <= n < 1 << 40 else None

    def reads(self, wait: float | None = None) -> Reads | None:
        """The child's reads pass of its part, or None: none sent, the child failed, or
        it took longer than ``wait`` seconds (default ``timeout``; then it is killed)."""
        if self.closed:
            return None
        wait = self.timeout if wait is None else wait
        data = self.frame(wait)
        ok = data is not None and self._read(1, time.monotonic() + wait) == b""
        ok = ok and os.waitpid(self.pid, 0)[1] == 0  # the pipe is closed: it is exiting
        self.close()
        if not (ok and data):
            return None
        try:
            return decode_reads(data)
        except msgspec.DecodeError:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.r)
            _reap(self.pid)

    def _read(self, n: int, deadline: float) -> bytes | None:
        """Exactly ``n`` bytes (b"" at once for 1 if the pipe is at its end), or None."""
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                return None
            chunk = os.read(self.r, min(n - got, 1 << 20))
            if not chunk:
                return b"" if n == 1 and not got else None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


def _reap(pid: int) -> None:
    """Wait for the child (unless ``reads`` did); kill it first if it is still running
    (a timeout, an error in the parent's part, reads never asked for)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # reaped already
        return
    if done == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _merge(c: _RowCollector, part: _Part) -> bool:
    """Append the child's part to the parent's finished collection ``c``; False when the
    seam does not fit (an orphan with no invocation pending in the parent's part)."""
    pending, cur, n = c.pending, c.cur, len(c.txns)
    if any(p in pending for p in part.met_first):  # an invocation over a pending one
        return False
    offset = cur if (part.early and not c.invoked) else cur + 1
    txns: list[Txn] = part.txns  # type: ignore[assignment]
    failed: list[Txn] = part.failed  # type: ignore[assignment]
    for i, t in enumerate(txns, n):
        t.id = i
    both = txns + failed
    for i in part.empty:
        both[i].mops = []
    seen = [saw + offset if saw >= 0 else cur for saw in array("q", part.seen)]
    orphans = [both[i] for i in part.orphans]
    for i, t in zip(part.orphans, orphans, strict=True):
        entry = pending.get(t.process)
        if entry is None:
            return False
        t.invoke = entry[0]
        if t.mops is None:  # an info/fail completion without a value: the invocation's
            t.mops = entry[1]
        if i < len(txns):
            seen[i] = entry[2]
    c.txns += txns
    c.failed += failed
    c.seen += seen
    c.time_of += [node + offset if node >= 0 else -1 for node in array("q", part.time_of)]
    c.pending = _pending_after(pending, part, orphans, offset, cur)
    if part.moved:
        c.cur, c.invoked = (part.cur + offset if part.cur >= 0 else cur), part.invoked
    return True


def _pending_after(
    pending: dict[Any, Any], part: _Part, orphans: list[Txn], offset: int, cur: int
) -> dict[Any, Any]:
    """The pending invocations one pass over the whole file would have left."""
    popped = {t.process for t in orphans}
    child: dict[Any, tuple[int, Any, int]] = {
        p: (i, m, saw + offset if saw >= 0 else cur) for p, i, m, saw in part.pending
    }
    for j in part.pending_empty:
        p = part.pending[j][0]
        child[p] = (child[p][0], [], child[p][2])
    out = {p: e for p, e in pending.items() if p not in popped}
    out.update(child)  # new keys, in the child's order (none of them is in ``out``)
    return out
