"""Porcupine's key-value test histories (``porcupine/kv/*.txt``).

Theory of operation
-------------------
One EDN map a line, ``{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}``,
with ``:f`` one of ``:get``, ``:put``, ``:append`` and only ``:invoke``/``:ok`` types.  Each
becomes a keyed op in Jepsen's "independent" style: ``value = [key, v]``; a ``get``
invocation carries ``[key, None]`` and its completion ``[key, <string read>]``.  Indices
are dense from 0 and ``time`` is the index (the files carry no times).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ddialab.errors import HistoryFormatError
from ddialab.history._edn import dumps, iter_forms, read_pieces
from ddialab.history._op import Op

_FS = frozenset(("get", "put", "append"))
_TYPES = frozenset(("invoke", "ok"))
_SNIFF = re.compile(r"\s*\{.*:f\s+:(?:get|put|append)\b.*:key\s")


#: A line exactly as Porcupine writes one (no escapes in strings, no other keys): read
#: without the EDN reader.  Anything else sends the rest of the file to the EDN reader.
_LINE = re.compile(
    r"\{:process (0|[1-9][0-9]*), :type :(invoke|ok), :f :(get|put|append), "
    r':key "([^"\\]*)"(?:, :value (?:nil|"([^"\\]*)"))?\}\s*'
)


def iter_porcupine_kv(stream: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """The ops of a log; lines in Porcupine's own shape are matched by one regex (the EDN
    reader is ~4x slower a line), the rest of the file, from the first line that is not,
    goes through the EDN reader (blank lines in front keep its line numbers exact)."""
    lines = read_pieces(stream)  # a piece without its newline is part of a long line
    for index, line in enumerate(lines):
        m = _LINE.fullmatch(line) if line.endswith("\n") else None
        if m is None:
            rest = itertools.chain(itertools.repeat("\n", index), (line,), lines)
            yield from _edn_ops(rest, path, index)
            return
        p, typ, f, key, value = m.groups()
        d = {"process": int(p), "type": typ, "f": f, "key": key, "value": value}
        yield _op(d, index, index + 1, path)


def _edn_ops(lines: Iterable[str], path: str | None, first: int = 0) -> Iterator[Op]:
    """The ops of the forms in ``lines``, numbered from ``first``."""
    for index, (form, line) in enumerate(iter_forms(lines, path), first):
        yield _op(form, index, line, path)


def _op(d: Any, index: int, line: int, path: str | None) -> Op:
    if type(d) is not dict:
        raise HistoryFormatError(
            path, line, f"expected an op map {{:process .. :f ..}}, got {d!r:.40}"
        )
    for key in ("process", "type", "f", "key"):
        if key not in d:
            raise HistoryFormatError(path, line, f"op is missing :{key}")
    typ, f, process = d["type"], d["f"], d["process"]
    if typ not in _TYPES:
        raise HistoryFormatError(path, line, f"type must be :invoke or :ok, got {dumps(typ):.40}")
    if f not in _FS:
        raise HistoryFormatError(path, line, f"f must be :get, :put or :append, got {dumps(f):.40}")
    if type(process) is not int:
        raise HistoryFormatError(
            path, line, f":process must be an integer, got {dumps(process):.40}"
        )
    value = d.get("value")
    if f == "get" and typ == "invoke":
        value = None
    extra = {k: v for k, v in d.items() if k not in ("process", "type", "f", "key", "value")}
    return Op(index, index, typ, process, f, [d["key"], value], extra=extra, line=line)


def sniff_porcupine_kv(first: str) -> bool:
    return _SNIFF.match(first) is not None
