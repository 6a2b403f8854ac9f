"""A client op as its invocation and completion: the unit most checkers fold a history into."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ddialab.history import NEMESIS, History, Op

__all__ = ["Pair", "client_pairs"]


@dataclass(frozen=True, slots=True)
class Pair:
    """A client op: its invocation, its completion (if any) and its outcome."""

    inv: Op
    comp: Op | None

    @property
    def outcome(self) -> str:
        return self.comp.type if self.comp is not None else "info"

    @property
    def start(self) -> int:
        return self.inv.index

    @property
    def end(self) -> float:
        """Index of the completion; infinity when the op never completed."""
        return self.comp.index if self.comp is not None else float("inf")

    @property
    def op(self) -> int:
        return (self.comp or self.inv).index

    @property
    def value(self) -> Any:
        """The completion's value when ok, else the invocation's."""
        if self.comp is not None and self.comp.type == "ok":
            return self.comp.value
        return self.inv.value

    def extra(self, name: str) -> Any:
        if self.comp is not None and name in self.comp.extra:
            return self.comp.extra[name]
        return self.inv.extra.get(name)


def client_pairs(history: History, fs: tuple[str, ...] | None = None) -> Iterator[Pair]:
    for inv, comp in history.completed_pairs():
        if inv.process != NEMESIS and (fs is None or inv.f in fs):
            yield Pair(inv, comp)
