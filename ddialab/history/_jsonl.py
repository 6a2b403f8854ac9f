"""JSON Lines: ddialab's native history format (one op per line, written as it happens).

Reading is the hot path of every ``ddialab check`` on a run directory (parsing was 60% of
an Elle check end to end), so lines go through up to three decoders, fastest first:

1. msgspec straight into ``_Line``, a typed struct of exactly the contract's fields (no
   dict per line, no key look-ups; the C decoder checks the types).  Any other key, a
   missing one or a wrong type is a ``ValidationError``: the line falls to step 2, and
   once step 2 builds an op step 1 refused, so does every later line of the file (a
   history with extras has them on every op; a blank line does not switch).
2. msgspec into a dict, and ``_fast_op`` builds a well-formed op from it.
3. Anything unusual -- a line msgspec rejects (bad JSON, NaN), a missing key, a value of
   the wrong type -- goes through the stdlib decoder and ``op_from_mapping``, which accept
   exactly what they always did and name the file, line and what was expected.

Each step accepts a subset of the next and builds the identical op
(tests/history/test_jsonl_fast.py holds them to it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import IO, Annotated, Any, Literal

import msgspec

from ddialab.errors import HistoryFormatError
from ddialab.history._op import CORE_KEYS, NEMESIS, NO_EXTRA, OP_TYPES, OPTIONAL_KEYS, Op
from ddialab.history._validate import op_from_mapping

_decode = msgspec.json.Decoder().decode


class _Line(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line holding exactly the contract's keys, well typed (step 1 above)."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    time: Annotated[int, msgspec.Meta(ge=0)]
    type: Literal["invoke", "ok", "fail", "info"]
    process: int | Literal["nemesis"]
    f: str
    value: Any = None
    node: str | None = None
    error: Any = None


_decode_line = msgspec.json.Decoder(_Line).decode


def iter_jsonl(lines: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """Decode ops from JSON lines, checking that indices are dense from 0."""
    expected, typed = 0, True
    for lineno, line in enumerate(lines, 1):
        op = _typed_op(line, lineno) if typed else None
        if op is None:
            op = _dict_op(line, lineno)
            typed = typed and op is None  # a good op step 1 refused: extras, likely on all
        if op is None:
            if not line.strip():
                continue
            op = _slow_op(line, path, lineno)
        if op.index != expected:
            raise HistoryFormatError(
                path, lineno, f"expected op index {expected}, got {op.index} (indices are dense)"
            )
        expected += 1
        yield op


def _typed_op(line: str, lineno: int) -> Op | None:
    """The op of a line of exactly the contract's keys, or ``None`` (steps 2 and 3)."""
    try:
        x = _decode_line(line)
    except msgspec.DecodeError:  # ValidationError included
        return None
    f = _names.get(x.f) or _name(x.f)  # one str per name, not per op (10 MB per 100k txns)
    return Op(x.index, x.time, x.type, x.process, f, x.value, x.node, x.error, NO_EXTRA, lineno)


#: Op names seen so far, each kept once (``type`` is a literal: msgspec interns it).
_names: dict[str, str] = {}


def _name(f: str) -> str:
    if len(_names) < 256:  # a history has a handful; a fuzzed one must not grow this
        _names[f] = f
    return f


def _dict_op(line: str, lineno: int) -> Op | None:
    try:
        return _fast_op(_decode(line), lineno)
    except msgspec.DecodeError:
        return None


def _fast_op(d: Any, lineno: int) -> Op | None:
    """The op of a well-formed decoded line, or ``None`` to leave it to ``_slow_op``."""
    if type(d) is not dict:
        return None
    index, time, typ, process, f = (
        d.get("index"), d.get("time"), d.get("type"), d.get("process"), d.get("f")
    )  # fmt: skip
    if not (type(index) is int and type(time) is int and index >= 0 and time >= 0):
        return None
    if type(typ) is not str or typ not in OP_TYPES or type(f) is not str:
        return None
    if type(process) is not int and process != NEMESIS:
        return None
    value, node, error = d.get("value"), d.get("node"), d.get("error")
    known = 5 + ("value" in d) + ("node" in d) + ("error" in d)
    extra = {} if len(d) == known else {k: v for k, v in d.items() if k not in _ALL_KEYS}
    return Op(index, time, typ, process, f, value, node, error, extra, lineno)


def _slow_op(line: str, path: str | None, lineno: int) -> Op:
    """Decode and validate one line with precise errors (the reference behaviour)."""
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        msg = f"invalid JSON: {e.msg} (column {e.colno})"
        raise HistoryFormatError(path, lineno, msg) from None
    op = op_from_mapping(d, path, lineno)
    op.line = lineno
    return op


_ALL_KEYS = frozenset(CORE_KEYS + OPTIONAL_KEYS)


def dumps_op(op: Op) -> str:
    """One op as a canonical JSON line (stable key order, no spaces: byte-reproducible)."""
    return json.dumps(op.to_dict(), separators=(",", ":"))


def write_jsonl(ops: Iterable[Op], out: IO[str]) -> None:
    for op in ops:
        out.write(dumps_op(op))
        out.write("\n")


class JsonlRecorder:
    """Appends ops to a JSON Lines file as they happen.

    Each op is written and flushed to the OS immediately, so a run killed with SIGKILL
    leaves a valid prefix (at worst a torn final line, which ``read_history`` reports).
    ``fsync`` at every op is optional (``durable=True``) because it costs ~1 ms per op.
    """

    def __init__(self, path: str | os.PathLike[str], durable: bool = False) -> None:
        self.path = os.fspath(path)
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        self._durable = durable
        self.count = 0

    def record(self, op: Op) -> None:
        self._file.write(dumps_op(op) + "\n")
        self._file.flush()
        if self._durable:
            os.fsync(self._file.fileno())
        self.count += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> JsonlRecorder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
