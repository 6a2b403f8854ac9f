"""The table of history formats: how each is detected, read and written.

Every reader is streaming: it takes a text stream and yields ``Op``s one by one, so a large
history is decoded once and never held twice.  A format that carries its own semantics
(Porcupine's etcd logs, Knossos's nil reads) maps them to the contract in its reader; see
``docs/history.md``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from ddialab.errors import HistoryFormatError, UsageError
from ddialab.history._jepsen import (
    iter_edn,
    iter_jepsen_log,
    iter_json_array,
    sniff_edn,
    sniff_jepsen_log,
    sniff_json_array,
    write_edn,
)
from ddialab.history._jsonl import iter_jsonl, write_jsonl
from ddialab.history._op import History, Op
from ddialab.history._porcupine import iter_porcupine_kv, sniff_porcupine_kv

Reader = Callable[[IO[str], "str | None"], Iterator[Op]]
Writer = Callable[[Iterable[Op], IO[str]], None]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    extensions: tuple[str, ...]
    reader: Reader
    writer: Writer | None
    #: Given the first non-blank line, does this look like the format?
    sniff: Callable[[str], bool]


def _read_jsonl(stream: IO[str], path: str | None) -> Iterator[Op]:
    return iter_jsonl(stream, path)


FORMATS: dict[str, Format] = {
    "jsonl": Format(
        "jsonl",
        "ddialab JSON Lines: one op object per line (native)",
        (".jsonl", ".ndjson"),
        _read_jsonl,
        write_jsonl,
        lambda first: first.lstrip().startswith('{"'),
    ),
    # Sniffed in this order: the specific json and porcupine-kv before the generic edn.
    "json": Format(
        "json",
        "a JSON array of op objects (elle-cli); ops mapped as for edn",
        (".json",),
        iter_json_array,
        None,
        sniff_json_array,
    ),
    "porcupine-kv": Format(
        "porcupine-kv",
        "Porcupine key-value test histories: {:process 0, :type :invoke, :f :get, :key ..}",
        (".txt",),
        iter_porcupine_kv,
        None,
        sniff_porcupine_kv,
    ),
    "edn": Format(
        "edn",
        "EDN op maps (Jepsen, Knossos, Elle): one a line, or one vector of maps",
        (".edn",),
        iter_edn,
        write_edn,
        sniff_edn,
    ),
    "jepsen-log": Format(
        "jepsen-log",
        "Jepsen/Knossos log lines (INFO jepsen.util - 3<TAB>:invoke<TAB>:read<TAB>nil)",
        (".log",),
        iter_jepsen_log,
        None,
        sniff_jepsen_log,
    ),
}


def register_format(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt


def detect_format(path: str, first_line: str) -> Format:
    """Pick a format by content first (the first non-blank line), then by extension."""
    for fmt in FORMATS.values():
        if first_line and fmt.sniff(first_line):
            return fmt
    ext = os.path.splitext(path)[1].lower()
    for fmt in FORMATS.values():
        if ext in fmt.extensions:
            return fmt
    names = ", ".join(FORMATS)
    raise HistoryFormatError(
        path, 1, f"cannot tell the history format; pass --format (one of: {names})"
    )


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        names = ", ".join(FORMATS)
        raise UsageError(f"unknown history format {name!r}; known formats: {names}") from None


def _first_nonblank_line(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                return line
    return ""


def iter_history(path: str | os.PathLike[str], format: str | None = None) -> Iterator[Op]:
    """Stream the ops of a history file, detecting its format unless one is given."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise HistoryFormatError(p, None, "no such file")
    if os.path.isdir(p):
        p = _history_in_run_dir(p)
    fmt = get_format(format) if format else detect_format(p, _first_nonblank_line(p))
    with open(p, encoding="utf-8") as stream:
        try:
            yield from fmt.reader(stream, p)
        except UnicodeDecodeError as e:
            raise HistoryFormatError(p, None, f"not UTF-8 text ({e.reason})") from None


def _history_in_run_dir(d: str) -> str:
    for name in ("history.jsonl", "history.edn"):
        candidate = os.path.join(d, name)
        if os.path.exists(candidate):
            return candidate
    raise HistoryFormatError(d, None, "a directory, but not a run directory (no history.jsonl)")


def read_history(path: str | os.PathLike[str], format: str | None = None) -> History:
    """Read a whole history file (any known format) into a ``History``.

    The cyclic garbage collector is paused while reading: parsing allocates millions of
    small objects and none of them are garbage, so a collection pass finds nothing and
    costs about 40% of the parse time on a 100k-op history (bench/bench_elle.py).
    """
    source = os.fspath(path)
    if os.path.isdir(source):
        source = _history_in_run_dir(source)  # messages name the file, not the directory
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return History(iter_history(source, format), source=source)
    finally:
        if was_enabled:
            gc.enable()


def write_history(ops: Iterable[Op], path: str | os.PathLike[str], format: str = "jsonl") -> None:
    fmt = get_format(format)
    if fmt.writer is None:
        raise UsageError(f"format {format!r} can be read but not written")
    with open(path, "w", encoding="utf-8") as out:
        fmt.writer(ops, out)
