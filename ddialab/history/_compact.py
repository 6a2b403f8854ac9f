"""A compact JSON Lines history, for checkers that read only each op's index, type,
process, ``f`` and value (issue #21: Elle on 1M txns).

Theory of operation
-------------------
``read_history`` builds an ``Op`` per event and keeps every value as decoded JSON: a 100k-
txn history is ~180 MB before any checking, mostly lists the ``Op.value`` contract asks
for.  ``CompactHistory`` keeps none of that.  It is a ``History`` (every consumer that
iterates it gets the very ops ``read_history`` would build, read on first use) with one
more way in: ``scan()``, a single streaming pass over the file that yields, per op, only
``(index, type, process, f, value, line)``, where a value of the txn shape
``[[f, k, v], ...]`` (scalars ``k``; ``v`` a scalar, null or a list of scalars) comes out
as a tuple of ``(f, k, v)`` tuples, decoded and type-checked by msgspec in C.  The
consumer keeps what it needs (Elle: the completions' micro-ops) and drops the rest.
``blocks()`` is the same pass without a tuple per op: the decoded lines themselves, a
list per ~16 KB chunk of the file, which a chunk of plain txn lines gets from one msgspec
call on ``[line,line,...]`` (about as fast as a call per line -- msgspec's cost is the
objects -- but no Python step per line; a chunk with a blank line, a carriage return, a
line msgspec will not type as a txn or two objects on a line is decoded line by line,
exactly as before).  Nothing per op
outlives the pass: the scan keeps three integers per *block* (a run of ops on consecutive
lines: first op, byte offset, line number), so an op's line number is arithmetic and
``op(i)`` re-reads its block's lines (cached, one block) and builds the exact ``Op`` the
full reader would, for the few ops a message or a witness names.

The scan takes only what it can read exactly as the full reader does; anything else --
a line msgspec rejects, a key outside the contract (extras), a type out of contract,
indices that are not dense, a line with a carriage return or a blank line other than
``"\\n"`` -- raises ``CompactUnsupported``, and the consumer falls back to iterating the
history, i.e. to the full reader with its precise errors (file, line, what was
expected).  A consumer that finds an op it must reject should first finish the scan (a
read error later in the file comes first, as with ``read_history``) -- see
``checkers/elle/_compact.py``.
"""

from __future__ import annotations

import gc
import io
import os
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec

from ddialab.errors import HistoryFormatError
from ddialab.history._formats import _first_nonblank_line, detect_format, iter_history
from ddialab.history._jsonl import _Line, _typed_op
from ddialab.history._op import NEMESIS, History, Op

_Scalar = str | int | float | bool
#: The micro-op names the scan types (Elle's list-append and rw-register): decoded as
#: these very strings, not one new str per micro-op (12 MB at 100k txns).  A txn with any
#: other name is read as plain JSON, lists and all.
MopName = Literal["r", "w", "append"]
#: A txn's value as the scan keeps it: micro-ops as tuples (one allocation each, no
#: separate item array), read results as lists (the checkers compare them to lists).
TxnValue = tuple[tuple[MopName, _Scalar, _Scalar | list[_Scalar] | None], ...]


class _TxnLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line of exactly the contract's keys whose value is null or of the txn shape."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    time: Annotated[int, msgspec.Meta(ge=0)]
    type: Literal["invoke", "ok", "fail", "info"]
    process: int | Literal["nemesis"]
    f: str
    value: TxnValue | None = None
    node: str | None = None
    error: Any = None


_decode_txn = msgspec.json.Decoder(_TxnLine).decode
#: any value (a nemesis op's map, a non-txn op's scalar): the JSONL reader's own line type
_decode_any = msgspec.json.Decoder(_Line).decode
_decode_txns = msgspec.json.Decoder(list[_TxnLine]).decode

#: One scanned op: index, type, process, f, value, line number.
Row = tuple[int, str, "int | str", str, Any, int]


class CompactUnsupported(Exception):
    """The file has a line the compact scan does not read exactly: use the full reader."""


class CompactHistory(History):
    """A JSONL history read lazily: ``scan()`` streams compact rows, iteration reads ops."""

    __slots__ = ("_base", "_blocks", "_cache", "_clients", "_count", "_counter", "_full", "_lines")

    def __init__(self, path: str) -> None:
        super().__init__((), source=path)
        self._full: list[Op] | None = None
        self._blocks = _Blocks()
        self._cache: tuple[int, list[bytes]] = (-1, [])
        self._clients = -1
        self._count = self._base = 0
        self._counter = _ClientCounter()
        self._lines = 1

    # -- the full history, on first use (the contract: ``Op``s as read_history builds) --

    @property
    def _ops(self) -> list[Op]:
        if self._full is None:
            self._full = _read_all(self.source or "")
        return self._full

    @_ops.setter
    def _ops(self, ops: list[Op]) -> None:
        pass  # History.__init__ sets it; the ops come from the file

    @property
    def materialised(self) -> bool:
        """Whether the whole history has been read as ``Op``s (some consumer iterated it)."""
        return self._full is not None

    def __len__(self) -> int:
        """The number of ops, from a scan (run to the end here if none has been) rather
        than by reading every op: ``bool(history)`` must not cost the whole history."""
        if self._full is None and self._clients < 0:
            try:
                for _ in self.blocks():
                    pass
            except CompactUnsupported:
                return len(self._ops)
        return self._count if self._full is None else len(self._full)

    def __repr__(self) -> str:
        return f"CompactHistory({self.source!r})"

    def client_op_count(self) -> int:
        """Client operations, counted as ``ddialab check`` prints them: each invocation,
        and each completion with no invocation before it (nemesis events are not ops)."""
        len(self)  # scans to the end if no scan has
        return self._clients if self._clients >= 0 else count_client_ops(self._ops)

    def op(self, i: int) -> Op:
        """Op ``i`` exactly as the full reader builds it, re-read from its line."""
        if self._full is not None or not self._count:
            return self._ops[i]
        b = self._blocks.find(i)
        if self._cache[0] != b:  # a block's lines, read once (witnesses come in runs)
            self._cache = (b, self._blocks.read(self.source or "", b, self._count))
        text = self._cache[1][i - self._blocks.first[b]].decode("utf-8")
        op = _typed_op(text, self._blocks.line[b] + i - self._blocks.first[b])
        assert op is not None, "a scanned line decodes as it did in the scan"
        return op

    # -- the compact pass ------------------------------------------------------------

    def scan(self) -> Iterator[Row]:
        """Each op's row, in order (see the module docstring); ``CompactUnsupported`` at
        the first line it does not read exactly as the full reader."""
        for xs in self.blocks():
            blocks = self._blocks  # the scan's own (blocks() starts a new one)
            b = len(blocks.first) - 1
            first, base = blocks.first[b], blocks.line[b] - blocks.first[b]
            for x in xs:
                i = x.index
                if i < first:  # a chunk read line by line: an earlier block's op
                    b = blocks.find(i)
                    line = blocks.line[b] - blocks.first[b] + i
                else:
                    line = base + i
                yield i, x.type, x.process, x.f, x.value, line

    def blocks(self, start: int = 0, end: int | None = None) -> Iterator[list[Any]]:
        """The decoded lines (``.index .type .process .f .value``), a list per chunk of
        the file, in order; ``CompactUnsupported`` as ``scan``.  The indices are checked
        dense and the client ops counted before a chunk is handed on.

        ``start``/``end`` (byte offsets at line starts) scan a *part* of the file, for a
        scan split across processes: a part from ``start > 0`` numbers its lines from 1
        and takes its first op's index as given (``part()`` hands that state back, and
        ``join`` appends it to the scan of the part before, which checks the seam)."""
        self._blocks = _Blocks()  # op(i) works for every op scanned so far
        self._cache, self._clients, self._count = (-1, []), -1, 0
        self._base = 0 if start == 0 else -1  # -1: the first op's own index
        counter = self._counter = _ClientCounter() if start == 0 else _PartCounter()
        lineno, chunk = 1, b""
        with open(self.source or "", "rb") as f:
            f.seek(start)
            for chunk, at, lineno in _chunks(f, start, end):
                xs = self._chunk(chunk, at, lineno)
                if xs:  # not a chunk of blank lines
                    counter.add(xs)
                    yield xs
        self._lines = lineno + chunk.count(b"\n")  # the next line's number
        self._clients = counter.count

    def part(self) -> tuple[int, int, int, bytes, bytes, bytes, int, list[Any]]:
        """The state of a finished ``blocks(start)`` scan, as plain data for ``join``:
        first op index, ops, next line number, the blocks' three arrays, client ops
        counted and the processes whose first event in the part was a completion."""
        b, counter = self._blocks, self._counter
        orphans = counter.orphans if isinstance(counter, _PartCounter) else []
        first, offset, line = b.first.tobytes(), b.offset.tobytes(), b.line.tobytes()
        return self._base, self._count, self._lines, first, offset, line, counter.count, orphans

    def first_completions(self) -> list[Any]:
        """In a ``blocks(start > 0)`` scan: the processes whose first event in the part is
        a completion, so far (the list grows before each chunk is handed on)."""
        return self._counter.orphans if isinstance(self._counter, _PartCounter) else []

    def met_first(self) -> set[Any]:
        """In a finished ``blocks(start > 0)`` scan: the processes whose first event in
        the part is an invocation."""
        c = self._counter
        return c.met.difference(c.orphans) if isinstance(c, _PartCounter) else set()

    def join(self, part: tuple[int, int, int, bytes, bytes, bytes, int, list[Any]]) -> None:
        """Append the ``part()`` of the scan of the rest of the file to this finished
        scan of the file up to it: blocks, op count, client ops; ``CompactUnsupported``
        when the part's first index does not follow this scan's last (not dense)."""
        base, count, _, first, offset, line, clients, orphans = part
        if count and base != self._count:
            raise CompactUnsupported("the second part's first index does not follow")
        shift_op, shift_line = self._count, self._lines - 1
        for f, at, ln in zip(*(array("q", x) for x in (first, offset, line)), strict=True):
            self._blocks.add(f + shift_op, at, ln + shift_line)
        open_ = self._counter.open
        paired = sum(1 for p in orphans if p in open_)  # counted once, at the invoke
        self._count += count
        self._clients = self._counter.count + clients - paired

    def _chunk(self, chunk: bytes, at: int, lineno: int) -> list[Any]:
        """A chunk's lines decoded with one msgspec call when it is plain txn lines (no
        blank line, no carriage return, one object a line), else line by line."""
        xs = _decode_chunk(chunk)
        if xs is None:
            return self._by_line(chunk, at, lineno)
        if xs and self._base < 0:
            self._base = xs[0].index
        if not _dense(xs, self._base + self._count):
            raise CompactUnsupported(f"line {lineno}: index out of order")
        self._blocks.add(self._count, at, lineno)
        self._count += len(xs)
        return xs

    def _by_line(self, chunk: bytes, at: int, lineno: int) -> list[Any]:
        xs, fresh = [], True  # a block is a run of op lines with no blank line between
        for lineno, raw in enumerate(io.BytesIO(chunk), lineno):  # noqa: B020
            start, at = at, at + len(raw)
            if raw == b"\n":
                fresh = True
                continue
            if b"\r" in raw:  # text mode (the full reader) would split the line there
                raise CompactUnsupported(f"line {lineno}: a carriage return")
            try:
                x = _decode_txn(raw)
            except msgspec.DecodeError:
                x = _decode_other(raw)
            if self._base < 0:
                self._base = x.index
            if x.index != self._base + self._count:
                raise CompactUnsupported(f"line {lineno}: index out of order")
            if fresh:
                self._blocks.add(self._count, start, lineno)
                fresh = False
            self._count += 1
            xs.append(x)
        return xs


#: Bytes read per chunk (then to the end of the line): ~55 ops of a list-append run.  Small
#: chunks keep the heap dense: 1 MB ones left each chunk's freed invocations as holes between
#: the kept completions, and the analysis ran ~30% slower over them (100k txns).
CHUNK = 1 << 14


def _chunks(f: Any, at: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(chunk, byte offset, first line number)``: whole lines, ~``CHUNK`` bytes each,
    from ``at`` (where ``f`` is) up to ``end`` (a line start) or the end of the file."""
    lineno = 1
    while chunk := f.read(CHUNK if end is None else min(CHUNK, end - at)):
        if not chunk.endswith(b"\n"):
            chunk += f.readline()
        yield chunk, at, lineno
        at += len(chunk)
        lineno += chunk.count(b"\n")


#: Where one line could end an object and start the next: ``{a},{b`` on a line and ``"k":1}``
#: on the next is two objects in ``[...]`` (the count of objects matches the lines) but no
#: line of JSON Lines.  It may match inside a string, too: that chunk goes line by line.
_TWO_ON_A_LINE = re.compile(rb"}[ \t]*,[ \t]*{")


def _decode_chunk(chunk: bytes) -> list[Any] | None:
    """The chunk's lines as ``_TxnLine``s with one decode of ``[line,line,...]``, or
    None when that would not read each line as the per-line decode does: a carriage
    return, a blank line (``,,`` does not decode), two objects on a line (the count, and
    ``_TWO_ON_A_LINE`` for an object split over lines to make up the count)."""
    if b"\r" in chunk or _TWO_ON_A_LINE.search(chunk):
        return None
    body = chunk[:-1] if chunk.endswith(b"\n") else chunk
    try:
        xs: list[Any] = _decode_txns(b"[" + body.replace(b"\n", b",") + b"]")
    except msgspec.DecodeError:
        return None
    return xs if len(xs) == body.count(b"\n") + 1 else None


def _dense(xs: list[Any], first: int) -> bool:
    """Whether the ops' indices are ``first, first + 1, ...`` (compared in C)."""
    return list(map(_index, xs)) == list(range(first, first + len(xs)))


_index = attrgetter("index")


class _Blocks:
    """Runs of ops on consecutive lines: op ``first[b] + j`` is line ``line[b] + j``,
    the ``j``-th line from byte ``offset[b]`` (three integers per ~1 MB of file)."""

    def __init__(self) -> None:
        self.first, self.offset, self.line = array("q"), array("q"), array("q")

    def add(self, first: int, offset: int, line: int) -> None:
        self.first.append(first)
        self.offset.append(offset)
        self.line.append(line)

    def find(self, i: int) -> int:
        return bisect_right(self.first, i) - 1

    def read(self, path: str, b: int, count: int) -> list[bytes]:
        """Block ``b``'s lines (of ``count`` ops in all): one line per op, no blank line
        between, and never more than a chunk's (~``CHUNK`` bytes)."""
        end = self.first[b + 1] if b + 1 < len(self.first) else count
        with open(path, "rb") as f:
            f.seek(self.offset[b])
            return [f.readline() for _ in range(end - self.first[b])]


class _ClientCounter:
    """``count_client_ops`` over the chunks as they are scanned."""

    def __init__(self) -> None:
        self.count = 0
        self.open: set[Any] = set()

    def add(self, xs: list[Any]) -> None:
        count, open_ = self.count, self.open
        for x in xs:
            process = x.process
            if process != NEMESIS:
                if x.type == "invoke":
                    count += 1
                    open_.add(process)
                elif process in open_:
                    open_.discard(process)
                else:
                    count += 1
        self.count = count


class _PartCounter(_ClientCounter):
    """``_ClientCounter`` over a part of the file that does not start it: a completion
    of a process the part has not met yet is counted here, and also noted (``orphans``),
    since the part before may hold its invocation (then ``join`` takes it back)."""

    def __init__(self) -> None:
        super().__init__()
        self.met: set[Any] = set()
        self.orphans: list[Any] = []

    def add(self, xs: list[Any]) -> None:
        met, orphans = self.met, self.orphans
        for x in xs:
            process = x.process
            if process != NEMESIS and process not in met:
                met.add(process)
                if x.type != "invoke":
                    orphans.append(process)
        super().add(xs)


def _decode_other(raw: bytes) -> Any:
    """A line whose value is not of the txn shape (or that is not a line we read)."""
    try:
        return _decode_any(raw)
    except msgspec.DecodeError as e:
        raise CompactUnsupported(str(e)) from None


def count_client_ops(ops: Any) -> int:
    """Client operations among ``ops`` (see ``CompactHistory.client_op_count``)."""
    count, open_ = 0, set()
    for op in ops:
        if op.process == NEMESIS:
            continue
        if op.type == "invoke":
            count += 1
            open_.add(op.process)
        elif op.process in open_:
            open_.discard(op.process)
        else:
            count += 1
    return count


def _read_all(path: str) -> list[Op]:
    was_enabled = gc.isenabled()
    gc.disable()  # as read_history: parsing makes no garbage
    try:
        return list(iter_history(path, "jsonl"))
    finally:
        if was_enabled:
            gc.enable()


def read_compact(path: str | os.PathLike[str], format: str | None = None) -> History | None:
    """A ``CompactHistory`` of a JSONL file (or a run directory's ``history.jsonl``), or
    ``None`` when ``path`` is anything else: the caller reads it with ``read_history``,
    which also reports every error (no such file, an unknown format, ...)."""
    p = os.fspath(path)
    if os.path.isdir(p):
        p = os.path.join(p, "history.jsonl")
    if format not in (None, "jsonl") or not os.path.isfile(p):
        return None
    if format is None:
        try:
            if detect_format(p, _first_nonblank_line(p)).name != "jsonl":
                return None
        except (HistoryFormatError, OSError):  # read_history names the problem
            return None
    return CompactHistory(p)
