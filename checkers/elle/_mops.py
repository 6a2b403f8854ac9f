"""Micro-op shapes the Elle-family checkers accept, validated and frozen.

Theory of operation
-------------------
A txn's value is a list of micro-ops ``[f, k, v]``.  Before any analysis each txn op's
micro-ops pass through ``txn_mops``, which either returns them *frozen* (ready to be dict
keys) or raises ``HistoryFormatError`` naming the file, the op and what was expected, so
a malformed history never yields a traceback, nor a verdict about data we misread.  The
parsing itself is the checkers' one micro-op parser (``checkers.parse_mops``); this module
holds Elle's grammars for it.

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

from checkers import (
    KEY,
    NULL_OR_SCALAR,
    NULL_OR_SCALARS,
    SCALAR,
    Grammar,
    MopError,
    parse_mops,
    plain_txn,
)
from ddialab.errors import HistoryFormatError
from ddialab.history import op_error


def _grammar(names: tuple[str, ...], read: Any, freeze: Any = None) -> Grammar:
    return Grammar(frozenset(names), KEY, SCALAR, read, plain=plain_txn, freeze_value=freeze)


def _plain_list(v: Any) -> Any:
    """A read's list as a plain ``list``: a subclass passes the grammar's ``isinstance``
    test, but the list-append analysis takes a read only when ``type(v) is list`` and
    would skip it, missing what it proves."""
    return list(v) if isinstance(v, list) and type(v) is not list else v


#: Elle's grammar per workload model (the checker's ``model`` option).
GRAMMARS: dict[str, Grammar] = {
    "list-append": _grammar(("append", "r"), NULL_OR_SCALARS, _plain_list),
    "rw-register": _grammar(("w", "r"), NULL_OR_SCALAR),
    "long-fork": _grammar(("w", "r"), NULL_OR_SCALAR),
}
#: Micro-op names per workload model.
MOP_NAMES: dict[str, frozenset[str]] = {m: g.names for m, g in GRAMMARS.items()}


class Source:
    """Where ops come from, for error messages: the history's path, if it has one."""

    __slots__ = ("grammar", "model", "path")

    def __init__(self, path: str | None, model: str) -> None:
        self.path = path
        self.model = model
        self.grammar = GRAMMARS[model]

    def error(self, op: Any, what: str) -> HistoryFormatError:
        return op_error(self.path, op, what, f"{self.model} txn")

    def mops(self, op: Any) -> list[Any]:
        """``txn_mops(op, self)``, with the types-only test of a whole txn (the grammar's
        ``plain``) tried first, here: the hot loop of every Elle check, two calls an op."""
        value = op.value
        if type(value) is list and plain_txn(value, self.grammar):
            return value
        return txn_mops(op, self)


def txn_mops(op: Any, src: Source) -> list[Any]:
    """The op's micro-ops, checked and frozen; ``[]`` when the op carries none."""
    value = op.value
    if value is None and op.type != "ok":
        return []
    try:
        return parse_mops(value, src.grammar, op.type)
    except MopError as e:
        raise src.error(op, e.what) from None
