"""The nemesis protocol and how nemeses compose.

A ``Nemesis`` performs fault ops on the simulated world: ``invoke(world, system, op)``
applies ``op["f"]`` (e.g. ``start-partition``) and returns the completion's fields.  A
``NemesisPackage`` bundles a nemesis with the generator that schedules its faults and the
final ops that heal everything before the workload's final reads (Jepsen's
``:final-generator``).  Every fault goes through the runner's nemesis thread, so each one
is recorded in the history as a nemesis invoke/info pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ddialab.errors import UsageError


class Nemesis(Protocol):
    #: the ``f`` values this nemesis handles
    fs: frozenset[str]

    def setup(self, world: Any, system: Any) -> None: ...
    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]: ...
    def teardown(self, world: Any, system: Any) -> None: ...


@dataclass
class NemesisPackage:
    name: str
    nemesis: Nemesis
    #: a generator of nemesis ops (see ``ddialab.generator``); ``None`` for no faults
    generator: Any
    #: ops that undo every fault, run after the main phase
    final_ops: list[dict[str, Any]] = field(default_factory=list)


class ComposedNemesis:
    """Routes each op to the one nemesis that handles its ``f``."""

    def __init__(self, nemeses: Sequence[Nemesis]) -> None:
        self.nemeses = list(nemeses)
        self.fs = frozenset().union(*(n.fs for n in self.nemeses)) if nemeses else frozenset()
        self._by_f: dict[str, Nemesis] = {}
        for n in self.nemeses:
            for f in n.fs:
                if f in self._by_f:
                    raise UsageError(f"two nemeses both handle {f!r}; compose distinct ones")
                self._by_f[f] = n

    def setup(self, world: Any, system: Any) -> None:
        for n in self.nemeses:
            n.setup(world, system)

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        nemesis = self._by_f.get(op["f"])
        if nemesis is None:
            return {"type": "info", "value": op.get("value"), "error": f"no nemesis for {op['f']}"}
        return nemesis.invoke(world, system, op)

    def teardown(self, world: Any, system: Any) -> None:
        for n in self.nemeses:
            n.teardown(world, system)


def _flatten(nemeses: Sequence[Nemesis]) -> list[Nemesis]:
    """Composed nemeses flattened; one nemesis per class (ops carry explicit values, so
    two packages of one class, e.g. ``kill`` and ``kill-primary``, share a nemesis)."""
    out: list[Nemesis] = []
    for n in nemeses:
        for m in n.nemeses if isinstance(n, ComposedNemesis) else [n]:
            if all(type(m) is not type(o) for o in out):
                out.append(m)
    return out


def compose(packages: Sequence[NemesisPackage]) -> NemesisPackage:
    """One package from many: faults interleave, each final op runs (once) in the end."""
    from ddialab.generator import any_of

    gens = [p.generator for p in packages if p.generator is not None]
    finals: list[dict[str, Any]] = []
    for op in (op for p in packages for op in p.final_ops):
        if op not in finals:
            finals.append(op)
    return NemesisPackage(
        "+".join(p.name for p in packages) or "none",
        ComposedNemesis(_flatten([p.nemesis for p in packages])),
        any_of(*gens) if len(gens) > 1 else (gens[0] if gens else None),
        finals,
    )
