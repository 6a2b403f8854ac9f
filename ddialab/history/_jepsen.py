"""Jepsen's history formats: EDN op maps (Jepsen, Knossos, Elle) and Jepsen's log lines.

Theory of operation
-------------------
Both readers turn foreign ops into contract ``Op``s one at a time, numbering them densely
from 0 in file order.  The rules (see ``docs/history.md`` for the full table):

EDN (``iter_edn``): each op is a map with ``:type``, ``:f``, ``:process`` and usually
``:value``; keywords become strings.  ``:index`` is replaced by the dense index (a different
original goes to ``extra["jepsen_index"]``); a missing ``:time`` becomes the dense index.
Knossos's convention that an ``:ok :read`` of ``nil`` constrains nothing becomes an ``info``
completion with ``extra["unknown_read"] = True``.  Files written by ``write_edn`` start with
the ``EXACT_HEADER`` comment; for them that convention is off, so they round-trip exactly.

Jepsen log (``iter_jepsen_log``): ``INFO  jepsen.util - 3\\t:invoke\\t:read\\tnil``, with
Porcupine's etcd semantics: ``:fail :cas`` ran and returned false (an ``ok`` with
``extra["result"] = False``); a ``:timed-out`` completion, and any other ``:fail``, has an
unknown outcome (``info``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

import msgspec

from ddialab.errors import HistoryFormatError
from ddialab.history._edn import (
    dumps,
    is_keyword_name,
    iter_forms,
    keyword,
    loads_all,
    read_pieces,
)
from ddialab.history._op import NEMESIS, OP_TYPES, Op

#: First line of every EDN history ddialab writes: no foreign conventions apply to it.
EXACT_HEADER = ";; ddialab history (edn, exact: no Knossos nil-read convention)"
_TYPES_TEXT = ":invoke, :ok, :fail or :info"
_OP_TYPE = {t: t for t in OP_TYPES}


# --- EDN ---------------------------------------------------------------------------------


def iter_edn(stream: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """Stream ops from an EDN history: op maps one per line, or one vector of maps."""
    lines = read_pieces(stream)
    first = next(lines, "")
    exact = first.startswith(EXACT_HEADER)
    mapper = _EdnOpMapper(path, exact)
    for index, (form, line) in enumerate(iter_forms(itertools.chain((first,), lines), path, True)):
        yield mapper.op(form, index, line)


class _EdnOpMapper:
    """Maps decoded EDN op maps to ``Op``s, remembering file-wide facts."""

    def __init__(self, path: str | None, exact: bool) -> None:
        self.path = path
        self.exact = exact
        #: Elle's hand-written examples omit :process on every op: one implicit process.
        self.no_process: bool | None = None
        #: Op names seen so far, each kept once (a history has a handful).
        self.names: dict[str, str] = {}

    def fail(self, line: int, message: str) -> HistoryFormatError:
        return HistoryFormatError(self.path, line, message)

    def op(self, d: Any, index: int, line: int) -> Op:
        if type(d) is not dict:
            raise self.fail(
                line, f"expected an op map {{:type .. :f .. :process ..}}, got {d!r:.60}"
            )
        pop = d.pop
        given = pop("type", None)
        typ = _OP_TYPE.get(given) if type(given) is str else None  # one str per type
        if typ is None:
            if given is None:
                raise self.fail(line, "op is missing :type")
            raise self.fail(line, f"unknown op type {given!r} (expected {_TYPES_TEXT})")
        value = pop("value", None)
        f = pop("f", None)
        if type(f) is not str:
            f = self._f(f, value, line)
        f = self.names.setdefault(f, f) if len(self.names) < 256 else f  # one str per name
        process = pop("process", _MISSING)
        if type(process) is not int or self.no_process:
            process = self._process(process, line)
        elif self.no_process is None:
            self.no_process = False
        time = pop("time", index)
        if type(time) is not int or time < 0:
            raise self.fail(line, f":time must be a non-negative integer (ns), got {time!r:.40}")
        original = pop("index", index)
        node = pop("node", None)
        error = pop("error", None)
        # what is left: the format's own keys (a fresh dict when none: the emptied map
        # keeps its table, ~200 bytes an op)
        extra = d if d else {}
        if original != index:
            extra["jepsen_index"] = original
        if typ == "ok" and f == "read" and value is None and not self.exact:
            typ = "info"
            extra["unknown_read"] = True
        if node is not None and type(node) is not str:
            node = dumps(node)
        return Op(index, time, typ, process, f, value, node, error, extra, line)

    def _f(self, f: Any, value: Any, line: int) -> str:
        if f is None:
            if _is_txn(value):
                return "txn"  # Elle's examples leave out :f :txn
            raise self.fail(line, "op is missing :f")
        raise self.fail(line, f":f must be a keyword or string, got {dumps(f):.40}")

    def _process(self, p: Any, line: int) -> int | str:
        missing = p is _MISSING
        if self.no_process is None:
            self.no_process = missing
        if missing:
            if self.no_process:
                return 0
            raise self.fail(line, "op is missing :process")
        if self.no_process:
            raise self.fail(line, "op has :process, but the ops before it had none")
        if type(p) is int or p == NEMESIS:
            return p
        raise self.fail(line, f":process must be an integer or :nemesis, got {dumps(p):.40}")


_MISSING = object()


def _is_txn(value: Any) -> bool:
    """Is ``value`` a transaction: a list of micro-ops like ``["append", k, v]``?"""
    return (
        type(value) is list
        and len(value) > 0
        and all(type(m) is list and m and type(m[0]) is str for m in value)
    )


def write_edn(ops: Iterable[Op], out: IO[str]) -> None:
    """One EDN op map a line, after ``EXACT_HEADER``.

    Keywords: ``:type``, ``:f`` (when a valid keyword name), the micro-op names of a
    ``txn`` value, map keys, and ``:nemesis``.  Every other string stays a string.
    """
    out.write(EXACT_HEADER + "\n")
    for op in ops:
        out.write(dumps_edn_op(op))
        out.write("\n")


def dumps_edn_op(op: Op) -> str:
    process = ":nemesis" if op.process == NEMESIS else dumps(op.process)
    value = _dumps_txn(op.value) if op.f == "txn" and _is_txn(op.value) else dumps(op.value)
    parts = [
        f"{{:index {op.index}, :time {op.time}, :type {keyword(op.type)}, :process {process}",
        f":f {keyword(op.f)}, :value {value}",
    ]
    if op.node is not None:
        parts.append(f":node {dumps(op.node)}")
    if op.error is not None:
        parts.append(f":error {dumps(op.error)}")
    parts.extend(f"{keyword(k)} {dumps(v)}" for k, v in op.extra.items())
    return ", ".join(parts) + "}"


def _dumps_txn(value: list[list[Any]]) -> str:
    micro = []
    for m in value:
        name = ":" + m[0] if is_keyword_name(m[0]) else dumps(m[0])
        micro.append("[" + " ".join([name, *(dumps(x) for x in m[1:])]) + "]")
    return "[" + " ".join(micro) + "]"


_SNIFF_EDN = re.compile(r"\s*(?:;|#|[\[(]\s*\{\s*:|\{\s*:)")


def sniff_edn(first: str) -> bool:
    """A comment, a tag, or a map with keyword keys (alone or opening a vector/list)."""
    return _SNIFF_EDN.match(first) is not None


# --- JSON arrays of op objects (elle-cli) ---------------------------------------------------

_JSON_SPACE = re.compile(r"\s*")
_JSON_MAX_OP = 64 << 20  # an op object larger than this is an error, not a reason to read on


def iter_json_array(stream: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """Stream ops from a JSON array of op objects, mapped exactly like EDN op maps.

    elle-cli writes one op object a line (``[{..},`` / ``{..},`` / ``{..}]``): such lines
    are decoded by msgspec, one object at a time (``_array_lines``).  At the first line of
    any other layout -- several ops on a line, an op across lines, a comment-like stray,
    anything msgspec refuses -- the rest goes to ``_scan_array``, the general scanner
    (``json``'s ``raw_decode`` from a buffer holding at most the current op), which
    accepts and rejects exactly what this reader always did, with the same messages.
    """
    mapper = _EdnOpMapper(path, False)
    yield from _array_lines(read_pieces(stream), mapper, path)


def _array_lines(pieces: Iterator[str], mapper: _EdnOpMapper, path: str | None) -> Iterator[Op]:
    state, line, index = "start", 1, 0
    for piece in pieces:
        got = _array_line(piece, state) if piece.endswith("\n") else None
        if got is None:
            pieces = itertools.chain((piece,), pieces)
            break
        state, body = got
        if body is not None:
            yield mapper.op(body, index, line)
            index += 1
        line += 1
    yield from _scan_array(pieces, mapper, path, (state, line, index))


def _array_line(piece: str, state: str) -> tuple[str, Any] | None:
    """The state after one whole line of the one-op-a-line layout, and the op object it
    holds (``None``: none); ``None`` instead when the line does not fit the layout."""
    s = piece.strip()
    if not s:
        return state, None
    if state == "start":
        if s[0] != "[":
            return None
        s, state = s[1:].lstrip(), "first"
        if not s:
            return state, None
    if state not in ("first", "item") or s[0] != "{":
        return None
    state = {",": "item", "]": "end"}.get(s[-1], "after")
    try:
        body = _decode_object(s if state == "after" else s[:-1])
    except msgspec.DecodeError:
        return None
    return (state, body) if type(body) is dict else None


_decode_object = msgspec.json.Decoder().decode


def _scan_array(
    pieces: Iterator[str], mapper: _EdnOpMapper, path: str | None, at: tuple[str, int, int]
) -> Iterator[Op]:
    """The general scanner, from state ``at`` = (state, line, index) at a line's start."""
    decode = json.JSONDecoder().raw_decode
    state, line, index = at
    buf, pos = "", 0
    while True:
        end = _JSON_SPACE.match(buf, pos).end()  # type: ignore[union-attr]
        line += buf.count("\n", pos, end)
        pos = end
        if pos == len(buf):
            piece = next(pieces, None)
            if piece is None:
                break
            buf, pos = buf[pos:] + piece, 0
            continue
        state, pos = _json_punctuation(state, buf[pos], pos, path, line)
        if state != "decode":
            continue
        try:
            obj, end = decode(buf, pos)
        except json.JSONDecodeError as e:
            piece = next(pieces, None) if len(buf) - pos < _JSON_MAX_OP else None
            if piece is None:
                raise HistoryFormatError(
                    path, line + buf.count("\n", pos, e.pos), f"invalid JSON: {e.msg}"
                ) from None
            buf, pos, state = buf[pos:] + piece, 0, "item"
            continue
        yield mapper.op(obj, index, line)
        index += 1
        line += buf.count("\n", pos, end)
        pos, state = end, "after"
    if state not in ("start", "end"):
        raise HistoryFormatError(path, line, "the JSON array is never closed (expected ']')")


def _json_punctuation(state: str, c: str, pos: int, path: str | None, line: int) -> tuple[str, int]:
    """The next state of the array scanner at character ``c`` ("decode": an op starts)."""
    if state == "start":
        if c != "[":
            raise HistoryFormatError(path, line, "expected '[' (a JSON array of op objects)")
        return "first", pos + 1
    if c == "]" and state in ("first", "after"):
        return "end", pos + 1
    if state == "end":
        raise HistoryFormatError(path, line, "text after the closing ']' of the array")
    if state == "after":
        if c != ",":
            raise HistoryFormatError(path, line, "expected ',' or ']' after an op")
        return "item", pos + 1
    return "decode", pos


def sniff_json_array(first: str) -> bool:
    return first.lstrip().startswith(('[{"', '[ {"'))


# --- Jepsen log lines ---------------------------------------------------------------------

_PREFIX = re.compile(r"jepsen\.util(?:\s+-|:)?\s+")
_OP_START = re.compile(r"\s*(\d+|:nemesis)\s+(:\S+)\s*(.*)", re.S)
_SNIFF_LOG = re.compile(r"(?:.*jepsen\.util\b.*|\s*(?:\d+|:nemesis)\t:(?:invoke|ok|fail|info)\t.*)")
_TIMED_OUT = "timed-out"


def iter_jepsen_log(stream: Iterable[str], path: str | None = None) -> Iterator[Op]:
    """Stream ops from Jepsen log lines (``<process>\\t:<type>\\t:<f>\\t<value>``).

    Lines that are not op lines (no ``<process> :<type>`` after the ``jepsen.util`` logger
    name, or no logger name and no leading ``<process>\\t:``) are skipped.
    """
    opened: dict[int | str, Any] = {}  # process -> value of its open invocation
    index = 0
    for lineno, line in enumerate(stream, 1):
        fields = _op_fields(line, path, lineno)
        if fields is None:
            continue
        process, typ, f, value, error = fields
        if process == NEMESIS:
            op = Op(index, index, typ, process, f, value, error=error)
        else:
            op = _etcd_op(index, process, typ, f, value, error, opened)
        op.line = lineno
        yield op
        index += 1


def _op_fields(line: str, path: str | None, lineno: int) -> tuple[Any, ...] | None:
    """(process, type, f, value, error) of an op line, or None for other lines."""
    p = line.find("jepsen.util")
    m = _PLAIN_LINE.fullmatch(line, p) if p >= 0 else None
    if m is not None:
        return _plain_fields(m)
    return _general_fields(line, path, lineno)


def _general_fields(line: str, path: str | None, lineno: int) -> tuple[Any, ...] | None:
    """``_op_fields`` of any line: the value read as EDN."""
    p = line.find("jepsen.util")
    if p >= 0:
        m = _PREFIX.match(line, p)
        rest = line[m.end() :] if m else ""
        if not rest[:1].isdigit() and not rest.startswith(":nemesis"):
            return None  # some other message of the jepsen.util logger
    elif "\t:" in line and (line.lstrip()[:1].isdigit() or line.lstrip().startswith(":nem")):
        rest = line
    else:
        return None
    m = _OP_START.match(rest)
    if m is None:
        raise HistoryFormatError(path, lineno, "expected '<process> :<type> :<f> <value>'")
    proc_text, type_text, tail = m.groups()
    typ = type_text[1:]
    if typ not in OP_TYPES:
        raise HistoryFormatError(path, lineno, f"unknown op type {type_text} ({_TYPES_TEXT})")
    try:
        forms = loads_all(tail, path) if tail.strip() else []
    except HistoryFormatError as e:
        raise HistoryFormatError(path, lineno, e.message) from None
    if not forms or type(forms[0]) is not str:
        raise HistoryFormatError(path, lineno, "expected the op's :f after its type")
    process: int | str = NEMESIS if proc_text == ":nemesis" else int(proc_text)
    f, value = forms[0], forms[1] if len(forms) > 1 else None
    error = forms[2] if len(forms) == 3 else (forms[2:] or None)
    return process, typ, f, value, error


#: The common op line -- ``jepsen.util - <process>\t:<type>\t:<f>\t<value>`` with a
#: value nil, an integer, ``[a b]`` of integers or a keyword -- read by one regex (~3x
#: the general path, which tokenizes the value as EDN); any other line takes that path.
_PLAIN_LINE = re.compile(
    r"jepsen\.util - ([0-9]+)\t:(invoke|ok|fail|info)\t:([a-z][a-z-]*)\t(?:(nil)"
    r"|(0|-?[1-9][0-9]*)|\[(0|-?[1-9][0-9]*) (0|-?[1-9][0-9]*)\]|:([a-z][a-z-]*))\s*"
)


def _plain_fields(m: re.Match[str]) -> tuple[Any, ...]:
    """(process, type, f, value, error) of a ``_PLAIN_LINE`` match."""
    proc, typ, f, nil, n, a, b, kw = m.groups()
    if n is not None:
        value: Any = int(n)
    elif a is not None:
        value = [int(a), int(b)]
    else:
        value = None if nil else kw
    return int(proc), typ, f, value, None


def _etcd_op(
    index: int, process: Any, typ: str, f: str, value: Any, error: Any, opened: dict[Any, Any]
) -> Op:
    """An op with Porcupine's etcd semantics (see ``docs/history.md``)."""
    extra: dict[str, Any] = {}
    if typ == "invoke":
        opened[process] = value
        return Op(index, index, typ, process, f, value)
    invoked = opened.pop(process, None)
    if value == _TIMED_OUT and error is None:
        value, error = invoked, _TIMED_OUT  # old Jepsen logged the error in the value column
    if typ == "fail" and f == "cas" and error is None:
        typ, extra["result"] = "ok", False  # the CAS ran and found another value
    elif typ == "fail":
        typ = "info"  # Porcupine leaves these open: the outcome is unknown
        if f == "read":
            value = None
    return Op(index, index, typ, process, f, value, error=error, extra=extra)


def sniff_jepsen_log(first: str) -> bool:
    return _SNIFF_LOG.match(first) is not None
