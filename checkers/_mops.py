"""Micro-ops: the one parser of a transaction's value, for every checker that reads txns.

Theory of operation
-------------------
A txn op's value is a list of micro-ops ``[f, k, v]`` (Elle's and Jepsen's shape).  What
each part may hold depends on the checker, so a checker states it once as a ``Grammar``:

* ``names``: the micro-op names it reads (``append``/``r`` for list-append; the session
  checker reads ``r``, ``w``, ``append`` and ``add``);
* ``key``, ``write``, ``read``: ``Shape``s (a predicate and the words for it) of a key, a
  written value and a read value;
* ``short_reads``: whether ``["r", k]`` (the value left out) is a read of ``null`` in an
  invocation, as Elle's destructuring reads it (in an ``ok`` completion it never is: what
  the read returned is the one thing a checker needs, and guessing ``null`` could invent
  an anomaly);
* ``freeze_key``/``freeze_value``: how a key and a value become hashable (``None``: kept
  as they are).

``parse_mops(value, grammar, op_type)`` returns the micro-ops as ``[f, k, v]`` lists,
frozen, or raises ``MopError`` saying which micro-op is wrong and what was expected; the
caller names the file and line (``ddialab.history.op_error``).  A grammar with a ``plain``
test (``plain_txn``: types only, one call per txn) keeps a txn that passes it as it is --
the op's own list, no copy -- which is the hot loop of every Elle check; anything the test
refuses takes the full path, which accepts exactly what it always did
(tests/checkers/test_mops.py holds the two paths to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ddialab.history import Shape

_SCALARS = (str, int, float, bool)
_TYPES = frozenset(_SCALARS)
_SEQUENCES = (list, tuple)


class MopError(Exception):
    """A txn's value is malformed; ``what`` says which micro-op and how, for the message."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def freeze_vectors(x: Any) -> Any:
    """A hashable form of a key: lists (nested) become tuples; scalars stay."""
    if isinstance(x, list | tuple):
        return tuple(freeze_vectors(y) for y in x)
    return x


def _is_scalar(v: Any) -> bool:
    return isinstance(v, _SCALARS)


def _is_key(k: Any) -> bool:
    if isinstance(k, _SCALARS):
        return True
    return isinstance(k, list | tuple) and all(_is_key(x) for x in k)


#: Elle's parts: a scalar is a string, number or boolean (never null, a list or a map).
SCALAR = Shape(_is_scalar, "a scalar value")
KEY = Shape(_is_key, "a scalar or a vector")
NULL_OR_SCALAR = Shape(lambda v: v is None or _is_scalar(v), "null or a scalar")
NULL_OR_SCALARS = Shape(
    lambda v: v is None or (isinstance(v, list) and all(_is_scalar(x) for x in v)),
    "null or a list of scalars",
)
ANYTHING = Shape(lambda v: True, "any value")


@dataclass(frozen=True)
class Grammar:
    """What a checker accepts as a micro-op (see the module docstring)."""

    names: frozenset[str]
    key: Shape
    write: Shape
    read: Shape
    short_reads: bool = True
    freeze_key: Callable[[Any], Any] | None = freeze_vectors
    freeze_value: Callable[[Any], Any] | None = None
    #: The types-only test of a whole txn kept as it is, or ``None`` (always the full path).
    plain: Callable[[list[Any], Grammar], bool] | None = None


def parse_mops(value: Any, grammar: Grammar, op_type: str) -> list[Any]:
    """The micro-ops of a txn value, checked and frozen (``MopError`` if malformed)."""
    if not isinstance(value, list):
        raise MopError(f"expected a list of [f, k, v] micro-ops, got {show(value)}")
    if grammar.plain is not None and grammar.plain(value, grammar):
        return value  # as it is: checkers never mutate a history
    return [parse_mop(i, m, grammar, op_type) for i, m in enumerate(value)]


def parse_mop(i: int, m: Any, g: Grammar, op_type: str) -> list[Any]:
    """Micro-op ``i`` as ``[f, frozen k, frozen v]``, or ``MopError``.  (A part whose shape
    is ``ANYTHING`` is not tested: the session checker's every micro-op comes here.)"""
    if not isinstance(m, _SEQUENCES) or not 2 <= len(m) <= 3:
        raise MopError(f"micro-op {i} is {show(m)}; expected [f, k, v]")
    f, k = m[0], m[1]
    if not isinstance(f, str) or f not in g.names:
        known = ", ".join(sorted(g.names))
        raise MopError(f"micro-op {i} has unknown f {show(f)}; expected one of {known}")
    if g.key is not ANYTHING and not g.key(k):
        raise MopError(f"micro-op {i} has key {show(k)}; expected {g.key.text}")
    fk, fv = g.freeze_key, g.freeze_value
    if len(m) == 2:
        if not g.short_reads or f != "r" or op_type == "ok":
            raise MopError(f"micro-op {i} {show(m)} has no value; expected [f, k, v]")
        return ["r", k if fk is None else fk(k), None]
    v = m[2]
    shape = g.write if f != "r" else g.read
    if shape is not ANYTHING and not shape(v):
        did = "writes" if f != "r" else "reads"
        raise MopError(f"micro-op {i} {did} {show(v)}; expected {shape.text}")
    return [f, k if fk is None else fk(k), v if fv is None else fv(v)]


def plain_txn(value: list[Any], g: Grammar) -> bool:
    """Is every micro-op of ``value`` a ``[f, scalar k, v]`` the full path would keep as
    it is (a scalar write; a read of null, or of a scalar -- of a list of scalars when
    ``"append"`` is a name)?  Types only, inlined over the whole txn: one call per op
    instead of one per micro-op (the hot loop of every Elle check)."""
    types, names, appends = _TYPES, g.names, "append" in g.names
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


def show(x: Any) -> str:
    """A value for a message, cut at 60 characters."""
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
