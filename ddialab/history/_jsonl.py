"""JSON Lines: ddialab's native history format (one op per line, written as it happens)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ddialab.errors import HistoryFormatError
from ddialab.history._op import Op
from ddialab.history._validate import op_from_mapping


def iter_jsonl(lines: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """Decode ops from JSON lines, checking that indices are dense from 0."""
    expected = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            msg = f"invalid JSON: {e.msg} (column {e.colno})"
            raise HistoryFormatError(path, lineno, msg) from None
        op = op_from_mapping(d, path, lineno)
        op.line = lineno
        if op.index != expected:
            raise HistoryFormatError(
                path, lineno, f"expected op index {expected}, got {op.index} (indices are dense)"
            )
        expected += 1
        yield op


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
