"""Micro-op shapes the Elle-family checkers accept, validated and frozen.

Theory of operation
-------------------
A txn's value is a list of micro-ops ``[f, k, v]``.  Before any analysis each txn op's
micro-ops pass through ``txn_mops``, which either returns them *frozen* (ready to be dict
keys) or raises ``HistoryFormatError`` naming the file, the op and what was expected, so
a malformed history never yields a traceback, nor a verdict about data we misread.

Accepted (as Elle accepts them):

* ``f``: one of the workload's micro-op names (``append``/``r`` for list-append,
  ``w``/``r`` for rw-register and long-fork);
* ``k``: a scalar (string, number, boolean) or a vector of them, nested at will
  (``["append", ["k", 1], 5]``); vectors are frozen to tuples so they can key indices;
* a write's ``v`` (append or w): a scalar, never null, list or map;
* a read's ``v``: ``null`` (unknown in an invocation, the initial state in a completion),
  for list-append a list of scalars, for rw-register and long-fork a scalar.
  ``["r", k]`` (the value left out) is a read of ``null`` in an invocation, as Elle's
  destructuring reads it; in an ``ok`` completion it is rejected: what the read returned
  is the one thing the checker needs, and guessing ``null`` could invent an anomaly.

Ops with no list value (``null``, as an ``info`` or ``fail`` completion may carry) have no
micro-ops.  Maps anywhere in a micro-op are rejected: they have no order Elle could use.
"""

from __future__ import annotations

from typing import Any

from ddialab.errors import HistoryFormatError

#: Micro-op names per workload model (the checker's ``model`` option).
MOP_NAMES: dict[str, frozenset[str]] = {
    "list-append": frozenset(("append", "r")),
    "rw-register": frozenset(("w", "r")),
    "long-fork": frozenset(("w", "r")),
}
_SCALARS = (str, int, float, bool)
_TYPES = frozenset(_SCALARS)


class Source:
    """Where ops come from, for error messages: the history's path, if it has one."""

    __slots__ = ("model", "names", "path")

    def __init__(self, path: str | None, model: str) -> None:
        self.path = path
        self.model = model
        self.names = MOP_NAMES[model]

    def error(self, op: Any, what: str) -> HistoryFormatError:
        line = getattr(op, "line", None)
        return HistoryFormatError(self.path, line, f"op {op.index} ({self.model} txn): {what}")


def freeze(x: Any) -> Any:
    """A hashable form of a key: lists (nested) become tuples; scalars stay."""
    if isinstance(x, list | tuple):
        return tuple(freeze(y) for y in x)
    return x


def _is_key(k: Any) -> bool:
    if isinstance(k, _SCALARS):
        return True
    return isinstance(k, list | tuple) and all(_is_key(x) for x in k)


def _is_scalar(v: Any) -> bool:
    return isinstance(v, _SCALARS)


def txn_mops(op: Any, src: Source) -> list[Any]:
    """The op's micro-ops, checked and frozen; ``[]`` when the op carries none."""
    value = op.value
    if value is None and op.type != "ok":
        return []
    if not isinstance(value, list):
        raise src.error(op, f"expected a list of [f, k, v] micro-ops, got {_show(value)}")
    names, appends = src.names, src.model == "list-append"
    if _plain_txn(value, names, appends):
        return value  # as it is: checkers never mutate a history
    return [m if _plain(m, names, appends) else _mop(op, i, m, src) for i, m in enumerate(value)]


def _plain_txn(value: list[Any], names: frozenset[str], appends: bool) -> bool:
    """Is every micro-op of ``value`` one ``_plain`` keeps as it is?  The same test as
    ``_plain``'s, inlined over the whole txn: one call per op instead of one per micro-op
    (the hot loop of every Elle check)."""
    types = _TYPES
    for m in value:
        if type(m) is not list or len(m) != 3:
            return False
        f, k, v = m
        if type(f) is not str or f not in names or type(k) not in types:
            return False
        if f != "r":
            if type(v) not in types:
                return False
        elif v is not None and not (
            type(v) is list and types.issuperset(map(type, v)) if appends else type(v) in types
        ):
            return False
    return True


def _plain(m: Any, names: frozenset[str], appends: bool) -> bool:
    """Is ``m`` a well-formed ``[f, scalar k, v]`` as it is?  The fast path: the list
    itself is kept (checkers never mutate a history); anything else goes to ``_mop``."""
    if type(m) is not list or len(m) != 3 or type(m[0]) is not str or type(m[1]) not in _TYPES:
        return False
    f, _, v = m
    if f not in names:
        return False
    if f != "r":
        return type(v) in _TYPES
    if v is None:
        return True
    if appends:
        return type(v) is list and _TYPES.issuperset(map(type, v))
    return type(v) in _TYPES


def _mop(op: Any, i: int, m: Any, src: Source) -> list[Any]:
    if not isinstance(m, list | tuple) or not 2 <= len(m) <= 3:
        raise src.error(op, f"micro-op {i} is {_show(m)}; expected [f, k, v]")
    f, k = m[0], m[1]
    if not isinstance(f, str) or f not in src.names:
        known = ", ".join(sorted(src.names))
        raise src.error(op, f"micro-op {i} has unknown f {_show(f)}; expected one of {known}")
    if not _is_key(k):
        raise src.error(op, f"micro-op {i} has key {_show(k)}; expected a scalar or a vector")
    if len(m) == 2:
        if f != "r" or op.type == "ok":
            raise src.error(op, f"micro-op {i} {_show(m)} has no value; expected [f, k, v]")
        return ["r", freeze(k), None]
    v = m[2]
    if f != "r":
        if not _is_scalar(v):
            raise src.error(op, f"micro-op {i} writes {_show(v)}; expected a scalar value")
    elif not _read_ok(v, src.model):
        want = "null or a list of scalars" if src.model == "list-append" else "null or a scalar"
        raise src.error(op, f"micro-op {i} reads {_show(v)}; expected {want}")
    return [f, freeze(k), v]


def _read_ok(v: Any, model: str) -> bool:
    if v is None:
        return True
    if model == "list-append":
        return isinstance(v, list) and all(_is_scalar(x) for x in v)
    return _is_scalar(v)


def _show(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
