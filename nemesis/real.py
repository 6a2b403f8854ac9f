"""Nemesis packages for real datastores: the simulated packages' schedules, real faults.

Theory of operation
-------------------
A real run (the runner in its real environment, ``ddialab.runner._real``) takes the
same ``--nemesis`` names as a simulated one, and ``build_real_nemesis`` builds the very
same ``NemesisPackage`` (generator, final heals, ``--schedule`` replay) with
``build_nemesis``; only the nemesis that performs the ops is swapped for
``RealNemesis``, which calls the system's optional abilities instead of changing a
simulated world:

* ``kill`` / ``start``: ``system.kill(node)`` (SIGKILL) and ``system.start(node)``
  (restart on the same data);
* ``pause`` / ``resume``: ``system.pause(node)`` (SIGSTOP) and ``system.resume(node)``;
* ``start-partition`` / ``stop-partition``: ``system.cut(grudge)`` (``grudge``: node ->
  the nodes it must not hear from, as ``Network.partition`` takes) or, for isolating
  nodes only, ``system.partition(nodes)``; ``system.heal()``.

Targets (``one``, ``minority``, ``primaries``, ...) and partition kinds (``halves``,
``bridge``, ``one-way``, ...) are resolved with the simulated nemeses' own helpers
(``pick_nodes``, ``grudge_for``) from an RNG seeded by the run's seed, and each
completion's value is explicit (the nodes, the grudge), so ``schedule.json`` records
what was done and ``--replay`` does it again.  Faults are blocking calls: the runner
invokes ``RealNemesis.invoke`` in a worker thread.

Fail closed: a package whose faults the system cannot suffer (it lacks the ability, or
the fault is a simulated-world one such as ``clock``) is a ``UsageError`` before anything
starts.  A system with ``partition(nodes)`` but no ``cut(grudge)`` only takes the
``partition-isolate`` kinds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from ddialab import vocabulary
from ddialab.errors import UsageError
from nemesis._core import NemesisPackage
from nemesis._faults import grudge_for, pick_nodes
from nemesis._packages import build_nemesis
from nemesis._schedule import ReplayingNemesis

#: fault ``f`` -> the system abilities it needs (any one tuple suffices); one entry for
#: each start and heal ``f`` of the kinds ``ddialab.vocabulary`` declares ``real``
ABILITIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "kill": (("kill", "start"),),
    "start": (("kill", "start"),),
    "pause": (("pause", "resume"),),
    "resume": (("pause", "resume"),),
    "start-partition": (("cut", "heal"), ("partition", "heal")),
    "stop-partition": (("cut", "heal"), ("partition", "heal")),
}
ISOLATE_KINDS = ("isolate", "isolate-primary")


def abilities_missing(system: Any, f: str) -> str | None:
    """``None`` if the system can suffer fault ``f``; else what it lacks."""
    declared = vocabulary.band_of(f)
    if declared is None or not declared[0].real:
        return f"{f!r} is a fault of the simulated world only"
    options = ABILITIES[f]
    for needed in options:
        if all(callable(getattr(system, a, None)) for a in needed):
            return None
    return " or ".join("/".join(f"{a}()" for a in needed) for needed in options)


class RealNemesis:
    """Kills, pauses and partitions real servers through the system's abilities."""

    fs = frozenset(ABILITIES)

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(f"{seed}/nemesis")
        self.down: list[str] = []
        self.paused: list[str] = []

    def setup(self, world: Any, system: Any) -> None:
        pass

    def teardown(self, world: Any, system: Any) -> None:
        pass

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        f = op["f"]
        if f in ("kill", "pause"):
            return self._strike(system, f, op.get("value"))
        if f in ("start", "resume"):
            return self._restore(system, f)
        if f == "stop-partition":
            system.heal()
            return {"type": "info", "value": "healed"}
        return self._partition(system, op.get("value"))

    def _strike(self, system: Any, f: str, spec: Any) -> dict[str, Any]:
        victims = pick_nodes(None, system, self.rng, spec if spec is not None else "one")
        done = self.down if f == "kill" else self.paused
        for node in victims:
            getattr(system, f)(node)
            if node not in done:
                done.append(node)
        return {"type": "info", "value": victims}

    def _restore(self, system: Any, f: str) -> dict[str, Any]:
        nodes = self.down if f == "start" else self.paused
        restored = sorted(nodes)
        for node in restored:
            getattr(system, f)(node)
        nodes.clear()
        return {"type": "info", "value": restored}

    def _partition(self, system: Any, value: Any) -> dict[str, Any]:
        can_cut = callable(getattr(system, "cut", None))
        if value is None:
            kinds = ["random-halves", "isolate"] if can_cut else ["isolate"]
            value = self.rng.choice(kinds if len(system.node_names()) > 1 else ["isolate"])
        if isinstance(value, Mapping):
            return self._explicit(system, value)
        if value in ISOLATE_KINDS:
            spec = "primaries" if value == "isolate-primary" else "one"
            victims = pick_nodes(None, system, self.rng, spec)
            self._isolate(system, victims)
            return {"type": "info", "value": {"kind": value, "isolated": victims}}
        if not can_cut:
            return {"type": "info", "value": value, "error": f"{system.name} cannot {value}"}
        grudge = grudge_for(value, sorted(system.node_names()), self.rng)
        cut = {n: sorted(g) for n, g in sorted(grudge.items())}
        system.cut(cut)
        return {"type": "info", "value": {"kind": value, "grudge": cut}}

    def _explicit(self, system: Any, value: Mapping[str, Any]) -> dict[str, Any]:
        if "isolated" in value:
            self._isolate(system, list(value["isolated"]))
        else:
            system.cut({n: sorted(g) for n, g in (value.get("grudge") or {}).items()})
        return {"type": "info", "value": dict(value)}

    @staticmethod
    def _isolate(system: Any, victims: list[str]) -> None:
        if callable(getattr(system, "cut", None)):
            nodes = system.node_names()
            others = {n: [v for v in victims if v != n] for n in nodes if n not in victims}
            system.cut({**{v: [n for n in nodes if n != v] for v in victims}, **others})
        else:
            system.partition(victims)


def build_real_nemesis(names: Sequence[str], spec: Any, system: Any) -> NemesisPackage:
    """The named packages (or ``spec.schedule``) with ``RealNemesis`` doing the faults."""
    package = build_nemesis(names, spec)
    for f in sorted(package.nemesis.fs):
        lacking = abilities_missing(system, f)
        if lacking is not None:
            raise UsageError(
                f"{system.name} cannot suffer {f!r} (nemesis {','.join(names)}): {lacking}; "
                f"real datastores take kill*, pause* and partition* packages"
            )
    nemesis = RealNemesis(int(getattr(spec, "seed", 0)))
    if isinstance(package.nemesis, ReplayingNemesis):
        package.nemesis.inner = nemesis
    else:
        package.nemesis = nemesis
    return package


__all__ = ["ABILITIES", "RealNemesis", "abilities_missing", "build_real_nemesis"]
