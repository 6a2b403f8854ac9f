"""Shared vocabulary of the session checks: guarantee names and the per-guarantee tally."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from checkers.session._model import Txn
from checkers.session._order import Decision, KeyFacts, Scalar
from ddialab.vocabulary import show, thaw

RYW = "read-your-writes"
MR = "monotonic-reads"
MW = "monotonic-writes"
WFR = "writes-follow-reads"
CP = "consistent-prefix"
GUARANTEES = (RYW, MR, MW, WFR, CP)
MAX_EXAMPLES = 5
MAX_FRONTIER = 16


class OutOfTime(Exception):
    """The time limit ran out in the middle of a guarantee."""


@dataclass
class Tally:
    """Violations, undecided comparisons and evidence counts for one guarantee."""

    name: str
    max_witnesses: int
    witnesses: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    undecided: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    evidence: Counter[str] = field(default_factory=Counter)
    _seen: set[Any] = field(default_factory=set)
    deadline: float | None = None
    _ticks: int = 0

    def tick(self) -> None:
        """Called once per unit of work; raises ``OutOfTime`` past the deadline."""
        self._ticks += 1
        late = self.deadline is not None and not self._ticks & 1023
        if late and time.monotonic() > self.deadline:  # type: ignore[operator]
            raise OutOfTime(self.name)

    def decided(self, d: Decision) -> bool | None:
        self.evidence[d[1]] += 1
        return d[0]

    def unknown(self, example: dict[str, Any]) -> None:
        self.undecided += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def violation(self, dedupe: Any, witness: dict[str, Any]) -> None:
        if dedupe in self._seen:
            return
        self._seen.add(dedupe)
        self.total += 1
        if witness.get("cycle", ()) is None:  # an op of it is unknown: the schema wants a list
            del witness["cycle"]
        if len(self.witnesses) < self.max_witnesses:
            self.witnesses.append(witness)

    @property
    def verdict(self) -> bool | str:
        if self.total:
            return False
        return "unknown" if self.undecided else True


def undecided(key: Any, read: Txn, w: Any, what: str) -> dict[str, Any]:
    w = w.value if isinstance(w, Scalar) else w
    return {
        "key": thaw(key),
        "op": read.op,
        "value": thaw(w),
        "explanation": f"op {read.op}: nothing in the history orders {show(w)} ({what}) "
        f"against the value read from key {show(key)}",
    }


NOTHING: Any = object()


def append_missing(k: KeyFacts, earlier: Any, later: Any) -> Any:
    """An element the earlier append-list read has and the later lacks (or NOTHING)."""
    if isinstance(earlier, int) and isinstance(later, int):
        return k.G[later] if later < earlier else NOTHING
    kinds = tuple | frozenset | int
    if not isinstance(earlier, kinds) or not isinstance(later, kinds):
        return None
    e = k.G[:earlier] if isinstance(earlier, int) else earlier
    lset = set(k.G[:later] if isinstance(later, int) else later)
    return next((x for x in e if x not in lset), NOTHING)


def cycle(*steps: Any) -> list[Any] | None:
    """A dependency cycle as [op, edge, op, edge, ..., op]; None if an op is unknown (the
    witness then has no ``cycle``: ``Tally.violation`` leaves it out)."""
    return None if any(x is None for x in steps) else list(steps)
