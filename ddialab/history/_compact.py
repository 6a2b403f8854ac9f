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
consumer keeps what it needs (Elle: the completions' micro-ops) and drops the rest, so
nothing per op outlives the pass but two integers: the line's byte offset and its line
number.  ``op(i)`` re-reads one line from the file and builds the exact ``Op`` the full
reader would, for the few ops a message or a witness names.

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
import os
from array import array
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import msgspec

from ddialab.errors import HistoryFormatError
from ddialab.history._formats import _first_nonblank_line, detect_format, iter_history
from ddialab.history._jsonl import _typed_op
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


class _AnyLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The same line with any value (a nemesis op's map, a non-txn op's scalar)."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    time: Annotated[int, msgspec.Meta(ge=0)]
    type: Literal["invoke", "ok", "fail", "info"]
    process: int | Literal["nemesis"]
    f: str
    value: Any = None
    node: str | None = None
    error: Any = None


_decode_txn = msgspec.json.Decoder(_TxnLine).decode
_decode_any = msgspec.json.Decoder(_AnyLine).decode

#: One scanned op: index, type, process, f, value, line number.
Row = tuple[int, str, "int | str", str, Any, int]


class CompactUnsupported(Exception):
    """The file has a line the compact scan does not read exactly: use the full reader."""


class CompactHistory(History):
    """A JSONL history read lazily: ``scan()`` streams compact rows, iteration reads ops."""

    __slots__ = ("_clients", "_full", "_lines", "_offsets")

    def __init__(self, path: str) -> None:
        super().__init__((), source=path)
        self._full: list[Op] | None = None
        self._offsets = array("q")
        self._lines = array("q")
        self._clients = -1

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
                for _ in self.scan():
                    pass
            except CompactUnsupported:
                return len(self._ops)
        return len(self._offsets) if self._full is None else len(self._full)

    def __repr__(self) -> str:
        return f"CompactHistory({self.source!r})"

    def client_op_count(self) -> int:
        """Client operations, counted as ``ddialab check`` prints them: each invocation,
        and each completion with no invocation before it (nemesis events are not ops)."""
        len(self)  # scans to the end if no scan has
        return self._clients if self._clients >= 0 else count_client_ops(self._ops)

    def op(self, i: int) -> Op:
        """Op ``i`` exactly as the full reader builds it, re-read from its line."""
        if self._full is not None or not self._offsets:
            return self._ops[i]
        with open(self.source or "", "rb") as f:
            f.seek(self._offsets[i])
            text = f.readline().decode("utf-8")
        op = _typed_op(text, self._lines[i])
        assert op is not None, "a scanned line decodes as it did in the scan"
        return op

    # -- the compact pass ------------------------------------------------------------

    def scan(self) -> Iterator[Row]:
        """Each op's row, in order (see the module docstring); ``CompactUnsupported`` at
        the first line it does not read exactly as the full reader.  (One loop, the
        client count inlined: this is the whole read of an Elle check.)"""
        offsets = self._offsets = array("q")  # op(i) works for every op scanned so far
        lines = self._lines = array("q")
        self._clients = -1
        count, open_ = 0, set()  # count_client_ops, inline
        expected = offset = 0
        with open(self.source or "", "rb") as f:
            for lineno, raw in enumerate(f, 1):
                at = offset
                offset += len(raw)
                if raw == b"\n":
                    continue
                if b"\r" in raw:  # text mode (the full reader) would split the line there
                    raise CompactUnsupported(f"line {lineno}: a carriage return")
                try:
                    x = _decode_txn(raw)
                except msgspec.DecodeError:
                    x = _decode_other(raw)
                if x.index != expected:
                    raise CompactUnsupported(f"line {lineno}: index out of order")
                expected += 1
                offsets.append(at)
                lines.append(lineno)
                typ, process = x.type, x.process
                if process != NEMESIS:
                    if typ == "invoke":
                        count += 1
                        open_.add(process)
                    elif process in open_:
                        open_.discard(process)
                    else:
                        count += 1
                yield x.index, typ, process, x.f, x.value, lineno
        self._clients = count


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
