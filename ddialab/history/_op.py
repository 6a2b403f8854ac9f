"""Operations and histories: the contract every other part of ddialab speaks.

Theory of operation
-------------------
A history is the ordered list of events a test observed, exactly as Jepsen records them.
Every client operation appears twice: once as an ``invoke`` when the client starts it, and
once as its completion when the client learns the outcome:

* ``ok``   -- the operation definitely took effect (and ``value`` is its result);
* ``fail`` -- the operation definitely did *not* take effect;
* ``info`` -- the outcome is unknown: it may have taken effect, at any time after its
  invocation, or never.  A process whose op ends in ``info`` never invokes again; the
  client continues under a fresh process id.

An invocation without any completion is treated like ``info``.  Nemesis (fault) events use
``process == "nemesis"`` and are ignored by the consistency checkers.

``Op`` is a slotted dataclass rather than a dict because checkers touch millions of fields
on 100k-op histories; attribute access on slots is the cheapest thing Python offers.
Fields that a format carries but the contract does not name live in ``extra`` and are
written back out unchanged.  An op read from a file that carries none shares the one
read-only empty ``NO_EXTRA`` (a dict: it compares, copies and serialises like ``{}``;
storing into it raises ``TypeError``), which spares a dict per op (64 bytes, 13 MB at
100k txns); to give such an op extras, assign a new dict (``op.extra = {...}``).  ``line``
remembers where a reader found the op, so that a checker rejecting its shape can name the
file and line (``ddialab.history.bad_op``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

OpType = Literal["invoke", "ok", "fail", "info"]
OP_TYPES: frozenset[str] = frozenset(("invoke", "ok", "fail", "info"))
NEMESIS = "nemesis"

#: The contract's own keys, in the order they are written.
CORE_KEYS = ("index", "time", "type", "process", "f", "value")
OPTIONAL_KEYS = ("node", "error")


class _NoExtra(dict[str, Any]):
    """The empty ``extra`` that read ops share: a dict that refuses to be written."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this op's extra is the shared empty NO_EXTRA; assign a new dict")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = setdefault = pop = popitem = clear = _refuse

    def __reduce__(self) -> Any:
        return (_no_extra, ())


def _no_extra() -> dict[str, Any]:
    return NO_EXTRA


#: The shared read-only empty ``extra`` of ops read without extras (see the docstring).
NO_EXTRA: dict[str, Any] = _NoExtra()


@dataclass(slots=True, eq=True)
class Op:
    """One event of a history (an invocation or a completion)."""

    index: int
    time: int
    type: str
    process: int | str
    f: str
    value: Any = None
    node: str | None = None
    error: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The line of the source file the op was read from (``None`` when built in memory);
    #: for messages only: not written out, not compared.
    line: int | None = field(default=None, compare=False, repr=False)

    @property
    def is_invoke(self) -> bool:
        return self.type == "invoke"

    @property
    def is_client(self) -> bool:
        return self.process != NEMESIS

    def to_dict(self) -> dict[str, Any]:
        """The op as a JSON-ready dict: core keys first, then optional, then extras."""
        d: dict[str, Any] = {
            "index": self.index,
            "time": self.time,
            "type": self.type,
            "process": self.process,
            "f": self.f,
            "value": self.value,
        }
        if self.node is not None:
            d["node"] = self.node
        if self.error is not None:
            d["error"] = self.error
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Op:
        """Build an op from a dict already known to be well formed (see ``validate_op_dict``)."""
        extra = {k: v for k, v in d.items() if k not in _ALL_KEYS}
        return cls(
            index=d["index"],
            time=d["time"],
            type=d["type"],
            process=d["process"],
            f=d["f"],
            value=d.get("value"),
            node=d.get("node"),
            error=d.get("error"),
            extra=extra,
        )


_ALL_KEYS = frozenset(CORE_KEYS + OPTIONAL_KEYS)


class History(Sequence[Op]):
    """An immutable-by-convention list of ops with cheap derived views.

    ``History`` is a thin sequence: ``history[i]`` is the op with index ``i`` (indices are
    dense from 0).  Derived structures (pairs, client ops) are computed once, lazily.
    """

    __slots__ = ("_ops", "_pairs", "source")

    def __init__(self, ops: Iterable[Op] = (), source: str | None = None) -> None:
        self._ops: list[Op] = list(ops)
        self._pairs: list[int] | None = None
        #: Where the history was read from (a path), for messages and reports.
        self.source = source

    @overload
    def __getitem__(self, i: int) -> Op: ...
    @overload
    def __getitem__(self, i: slice) -> list[Op]: ...
    def __getitem__(self, i: int | slice) -> Op | list[Op]:
        return self._ops[i]

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[Op]:
        return iter(self._ops)

    def __repr__(self) -> str:
        return f"History({len(self._ops)} ops, source={self.source!r})"

    @property
    def ops(self) -> list[Op]:
        return self._ops

    def pairs(self) -> list[int]:
        """For each op, the index of its partner (invoke <-> completion), or -1.

        An invoke pairs with the next non-invoke op of the same process.  If the process
        invokes again first (which a well-formed history never does), the earlier
        invocation stays unpaired, i.e. indeterminate.
        """
        if self._pairs is None:
            self._pairs = _compute_pairs(self._ops)
        return self._pairs

    def completion(self, op: Op) -> Op | None:
        """The completion of an invocation (``None`` if it never completed)."""
        j = self.pairs()[op.index]
        return self._ops[j] if j >= 0 else None

    def invocation(self, op: Op) -> Op | None:
        """The invocation of a completion."""
        j = self.pairs()[op.index]
        return self._ops[j] if j >= 0 else None

    def client_ops(self) -> list[Op]:
        return [op for op in self._ops if op.process != NEMESIS]

    def nemesis_ops(self) -> list[Op]:
        return [op for op in self._ops if op.process == NEMESIS]

    def completed_pairs(self) -> Iterator[tuple[Op, Op | None]]:
        """Each client invocation with its completion (``None`` when it never completed)."""
        pairs = self.pairs()
        for op in self._ops:
            if op.type == "invoke" and op.process != NEMESIS:
                j = pairs[op.index]
                yield op, (self._ops[j] if j >= 0 else None)


def _compute_pairs(ops: list[Op]) -> list[int]:
    pairs = [-1] * len(ops)
    open_by_process: dict[int | str, int] = {}
    for i, op in enumerate(ops):
        if op.type == "invoke":
            open_by_process[op.process] = i
            continue
        j = open_by_process.pop(op.process, -1)
        if j >= 0:
            pairs[i] = j
            pairs[j] = i
    return pairs


def reindex(ops: Iterable[Op]) -> History:
    """A history whose indices are made dense from 0 in the given order."""
    out = []
    for i, op in enumerate(ops):
        op.index = i
        out.append(op)
    return History(out)
