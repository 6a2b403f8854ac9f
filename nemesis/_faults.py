"""Fault nemeses for simulated systems: partitions, process crashes and pauses, clocks.

Each nemesis draws its choices (which nodes, which halves) from its own seeded RNG
(``world.rng_for("nemesis/<name>")``), so a run's faults are a function of its seed.
Targets are given as a *spec*: ``one``, ``minority``, ``majority``, ``all``,
``primaries`` (for systems with roles), or an explicit list of node names.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from systems import Primaries


def pick_nodes(world: Any, system: Any, rng: random.Random, spec: Any) -> list[str]:
    nodes = sorted(system.node_names())
    if isinstance(spec, list):
        return [n for n in spec if n in nodes]
    shuffled = rng.sample(nodes, len(nodes))
    if spec == "one":
        return shuffled[:1]
    if spec == "minority":
        return shuffled[: max(1, (len(nodes) - 1) // 2)] if len(nodes) > 1 else shuffled[:1]
    if spec == "majority":
        return shuffled[: len(nodes) // 2 + 1]
    if spec == "primaries" and isinstance(system, Primaries):
        return sorted(system.primaries(world))
    return nodes  # "all" or anything else


def grudge_for(kind: str, nodes: list[str], rng: random.Random) -> dict[str, set[str]]:
    """The grudge for a partition kind over the given nodes (see ``Network.partition``)."""
    shuffled = rng.sample(nodes, len(nodes))
    if kind == "halves":
        half = len(nodes) // 2
        return _cut([set(nodes[:half]), set(nodes[half:])])
    if kind == "random-halves":
        half = len(nodes) // 2
        return _cut([set(shuffled[:half]), set(shuffled[half:])])
    if kind == "majorities-ring":
        return _majorities_ring(shuffled)
    if kind == "bridge":
        half = len(nodes) // 2
        # shuffled[half] is the bridge: in neither side, so it talks to both
        left, right = set(shuffled[:half]), set(shuffled[half + 1 :])
        return _cut([left, right])
    raise ValueError(f"unknown partition kind {kind!r}")


def _cut(components: list[set[str]]) -> dict[str, set[str]]:
    grudge: dict[str, set[str]] = {}
    for comp in components:
        others = set().union(*(c for c in components if c is not comp))
        for n in comp:
            grudge[n] = set(others)
    return grudge


def _majorities_ring(ring: list[str]) -> dict[str, set[str]]:
    """Each node sees a majority, but no two nodes see the same majority (Jepsen's ring)."""
    n = len(ring)
    k = n // 2 + 1
    grudge = {}
    for i, node in enumerate(ring):
        visible = {ring[(i + j) % n] for j in range(-(k // 2), k - k // 2)}
        grudge[node] = set(ring) - visible
    return grudge


class PartitionNemesis:
    """``start-partition`` (value: a kind or ``isolate``) and ``stop-partition``."""

    fs = frozenset({"start-partition", "stop-partition"})

    def __init__(self, kinds: tuple[str, ...] = ("random-halves", "isolate")) -> None:
        self.kinds = kinds
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/partition")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "stop-partition":
            world.network.heal()
            return {"type": "info", "value": "healed"}
        kind = op.get("value") or self.rng.choice(self._applicable(system))
        if kind == "isolate":
            victims = pick_nodes(world, system, self.rng, "one")
            world.network.isolate(victims)
            return {"type": "info", "value": {"kind": kind, "isolated": victims}}
        grudge = grudge_for(kind, sorted(system.node_names()), self.rng)
        world.network.partition(grudge)
        cut = {n: sorted(g) for n, g in sorted(grudge.items())}
        return {"type": "info", "value": {"kind": kind, "grudge": cut}}

    def _applicable(self, system: Any) -> list[str]:
        if len(system.node_names()) < 2:
            return ["isolate"]
        return list(self.kinds)

    def teardown(self, world: Any, system: Any) -> None:
        world.network.heal()


class KillNemesis:
    """``kill`` (value: a target spec) crashes nodes; ``start`` restarts every crashed node."""

    fs = frozenset({"kill", "start"})

    def __init__(self, target: Any = "one") -> None:
        self.target = target
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/kill")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "start":
            started = [n for n, h in sorted(world.nodes.items()) if h.state == "down"]
            for n in started:
                world.host(n).start()
            return {"type": "info", "value": started}
        victims = pick_nodes(world, system, self.rng, op.get("value") or self.target)
        for n in victims:
            world.host(n).crash()
        return {"type": "info", "value": victims}

    def teardown(self, world: Any, system: Any) -> None:
        for h in world.nodes.values():
            if h.state == "down":
                h.start()


class PauseNemesis:
    """``pause`` (value: a target spec) stops nodes as SIGSTOP would; ``resume`` wakes all."""

    fs = frozenset({"pause", "resume"})

    def __init__(self, target: Any = "one") -> None:
        self.target = target
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/pause")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "resume":
            paused = [n for n, h in sorted(world.nodes.items()) if h.state == "paused"]
            for n in paused:
                world.host(n).resume()
            return {"type": "info", "value": paused}
        victims = pick_nodes(world, system, self.rng, op.get("value") or self.target)
        for n in victims:
            world.host(n).pause()
        return {"type": "info", "value": victims}

    def teardown(self, world: Any, system: Any) -> None:
        for h in world.nodes.values():
            h.resume()


class ClockNemesis:
    """``bump-clock`` (value ``{node: delta_ns}`` or random), ``strobe-clock`` (value
    ``{"nodes": [...], "delta": ns, "period": ns, "duration": ns}`` or random),
    ``drift-clock`` (value ``{node: rate}``), ``reset-clock``."""

    fs = frozenset({"bump-clock", "strobe-clock", "drift-clock", "reset-clock"})

    def __init__(self, max_skew_ns: int = 2_000_000_000) -> None:
        self.max_skew_ns = max_skew_ns
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/clock")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "reset-clock":
            for h in world.nodes.values():
                h.clock.reset()
            return {"type": "info", "value": "reset"}
        if op["f"] == "strobe-clock":
            return self._strobe(world, system, op.get("value"))
        if op["f"] == "drift-clock":
            rates = op.get("value") or {n: 0.01 for n in pick_nodes(world, system, self.rng, "one")}
            for node, rate in sorted(rates.items()):
                world.host(node).clock.set_drift(float(rate))
            return {"type": "info", "value": rates}
        deltas = op.get("value") or self._random_deltas(world, system)
        for node, delta in sorted(deltas.items()):
            world.host(node).clock.bump(int(delta))
        return {"type": "info", "value": deltas}

    def _strobe(self, world: Any, system: Any, value: Any) -> dict[str, Any]:
        v = dict(value or {})
        nodes = v.get("nodes") or pick_nodes(world, system, self.rng, "minority")
        delta = int(v.get("delta", self.rng.randint(1, self.max_skew_ns)))
        period = int(v.get("period", 10_000_000))
        duration = int(v.get("duration", 1_000_000_000))
        for n in nodes:
            world.host(n).clock.strobe(delta, period, duration)
        spec = {"nodes": nodes, "delta": delta, "period": period, "duration": duration}
        return {"type": "info", "value": spec}

    def _random_deltas(self, world: Any, system: Any) -> dict[str, int]:
        nodes = pick_nodes(world, system, self.rng, "minority")
        return {n: self.rng.randint(-self.max_skew_ns, self.max_skew_ns) for n in nodes}

    def teardown(self, world: Any, system: Any) -> None:
        for h in world.nodes.values():
            h.clock.reset()
