"""Op shapes a checker declares, checked before it looks at a history.

Theory of operation
-------------------
The history contract (``_validate``) fixes the keys every op has; what ``value`` holds
depends on the checker.  Each checker declares a table ``{(f, type): Shape}``: the shape
the value of a client op with that ``f`` and ``type`` must have (``type`` is ``invoke``,
``ok`` or ``*`` for every type).  ``check_shapes`` walks the history once and raises
``HistoryFormatError`` naming the file, the line (``Op.line``, or the op index when the
history was built in memory) and what was expected -- so a cut-short micro-op or an
object where a scalar belongs is bad input (exit 3), never a traceback or a verdict.

``require_invocations`` rejects a completion that no invocation opened: such an op has no
start, so a checker that reasons about real time cannot place it soundly.

A ``Shape`` is a predicate with the words that describe it; shapes compose
(``pair_of``, ``list_of``, ``one_of``) and the description composes with them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.errors import HistoryFormatError
from ddialab.history._op import NEMESIS, History, Op


@dataclass(frozen=True)
class Shape:
    """A predicate over op values, with the words that describe it."""

    test: Callable[[Any], bool]
    text: str

    def __call__(self, value: Any) -> bool:
        return self.test(value)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | int | float | str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


ANY = Shape(lambda v: True, "any value")
SCALAR = Shape(_is_scalar, "a scalar (number, string, boolean or null)")
INT = Shape(_is_int, "an integer")
NULL = Shape(lambda v: v is None, "null")
PRESENT = Shape(lambda v: v is not None, "a value (not null or missing)")
STRING = Shape(lambda v: isinstance(v, str), "a string")
OBJECT = Shape(lambda v: isinstance(v, dict), "a JSON object")


def _hashable(v: Any) -> bool:
    if isinstance(v, list):
        return all(_hashable(x) for x in v)
    return _is_scalar(v)


#: Scalars, or arrays of them (nested): what a register may hold.  No objects.
PLAIN = Shape(_hashable, "a scalar or an array (no objects)")


def list_of(item: Shape) -> Shape:
    return Shape(
        lambda v: isinstance(v, list) and all(item(x) for x in v), f"an array of {item.text}"
    )


def tuple_of(*items: Shape) -> Shape:
    """An array of exactly ``len(items)`` elements, each of its shape (``[k, v]``...)."""

    def test(v: Any) -> bool:
        if not (isinstance(v, list) and len(v) == len(items)):
            return False
        return all(shape(x) for shape, x in zip(items, v, strict=True))

    return Shape(test, "[" + ", ".join(s.text for s in items) + "]")


def pair_of(first: Shape, second: Shape) -> Shape:
    return tuple_of(first, second)


def fields(**shapes: Shape) -> Shape:
    """A JSON object holding (at least) these keys, each of its shape."""

    def test(v: Any) -> bool:
        return isinstance(v, dict) and all(k in v and s(v[k]) for k, s in shapes.items())

    inner = ", ".join(f'"{k}": {s.text}' for k, s in shapes.items())
    return Shape(test, "{" + inner + "}")


#: ``[key, value]``: the keyed values of the KV workloads.
KEY_VALUE = Shape(pair_of(ANY, ANY).test, "[key, value]")


def literal(*names: str) -> Shape:
    """One of the given strings (a micro-op's kind, say)."""
    return Shape(lambda v: v in names, " | ".join(f'"{n}"' for n in names))


def one_of(*shapes: Shape) -> Shape:
    return Shape(lambda v: any(s(v) for s in shapes), " or ".join(s.text for s in shapes))


def where(op: Op, what: str | None = None) -> str:
    """``op N (ok read)``: how a message names an op (``what`` replaces ``ok read``)."""
    return f"op {op.index} ({what or f'{op.type} {op.f}'})"


def op_error(path: str | None, op: Op, message: str, what: str | None = None) -> HistoryFormatError:
    """The one formatting of a bad op: ``PATH:LINE: op N (WHAT): MESSAGE``.

    ``what`` says how the reader saw the op (``list-append txn``, ``bank read``); by
    default its type and ``f``.  The line is ``op.line`` (absent for a history built in
    memory: then the op index alone places it).  Every checker that rejects an op's
    value, and ``bad_op``, formats through here."""
    return HistoryFormatError(path, getattr(op, "line", None), f"{where(op, what)}: {message}")


def bad_op(history: History, op: Op, message: str) -> HistoryFormatError:
    """A ``HistoryFormatError`` naming ``op``'s file and line (or index) and ``message``."""
    return op_error(history.source, op, message)


ShapeTable = Mapping[tuple[str, str], Shape]


def check_shapes(history: History, table: ShapeTable, checker: str) -> None:
    """Raise on the first client op whose value does not have its declared shape."""
    for op in history:
        if op.process == NEMESIS:
            continue
        shape = table.get((op.f, op.type)) or table.get((op.f, "*"))
        if shape is not None and not shape(op.value):
            got = _show(op.value)
            raise bad_op(history, op, f"the {checker} checker expects {shape.text}; got {got}")


def require_invocations(history: History, checker: str) -> None:
    """Raise on the first client completion that no invocation of its process opened."""
    pairs = history.pairs()
    for op in history:
        if op.type != "invoke" and op.process != NEMESIS and pairs[op.index] < 0:
            raise bad_op(
                history,
                op,
                f"a completion with no invocation (process {op.process!r} has no open "
                f"invoke before it); the {checker} checker needs every completion to "
                "follow its invocation",
            )


def _show(v: Any) -> str:
    text = json.dumps(v, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."
