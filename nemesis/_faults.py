"""Fault nemeses for simulated systems: partitions, process crashes and pauses, clocks.

Each nemesis draws its choices (which nodes, which halves) from its own seeded RNG
(``world.rng_for("nemesis/<name>")``), so a run's faults are a function of its seed.
Targets are given as a *spec*: ``one``, ``minority``, ``majority``, ``all``,
``primaries`` (for systems with roles), or an explicit list of node names.

Every fault op's completion value is *explicit*: the nodes, grudge or deltas actually
used.  Given back as an op's value it performs exactly that fault again, with no random
choice; this is how a recorded schedule (``schedule.json``) replays.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from systems import Primaries

TARGETS = ("one", "minority", "majority", "all", "primaries")


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
    if kind == "one-way":
        # shuffled[0] hears nobody, but everyone still hears it (an asymmetric partition)
        return {shuffled[0]: set(shuffled[1:])}
    if kind == "one-way-out":
        # nobody hears shuffled[0], but it still hears everyone
        return {n: {shuffled[0]} for n in shuffled[1:]}
    raise ValueError(f"unknown partition kind {kind!r}")


PARTITION_KINDS = (
    "halves",
    "random-halves",
    "majorities-ring",
    "bridge",
    "one-way",
    "one-way-out",
    "isolate",
    "isolate-primary",
)


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
    """``start-partition`` (value: a kind, or an explicit ``{"grudge": ...}`` /
    ``{"isolated": [...]}``) and ``stop-partition`` (heal)."""

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
        value = op.get("value") or self.rng.choice(self._applicable(system))
        if isinstance(value, Mapping):
            return self._explicit(world, value)
        if value in ("isolate", "isolate-primary"):
            spec = "primaries" if value == "isolate-primary" else "one"
            victims = pick_nodes(world, system, self.rng, spec)
            world.network.isolate(victims)
            return {"type": "info", "value": {"kind": value, "isolated": victims}}
        grudge = grudge_for(value, sorted(system.node_names()), self.rng)
        world.network.partition(grudge)
        cut = {n: sorted(g) for n, g in sorted(grudge.items())}
        return {"type": "info", "value": {"kind": value, "grudge": cut}}

    def _explicit(self, world: Any, value: Mapping[str, Any]) -> dict[str, Any]:
        if "isolated" in value:
            world.network.isolate(list(value["isolated"]))
        else:
            world.network.partition(value.get("grudge") or {})
        return {"type": "info", "value": dict(value)}

    def _applicable(self, system: Any) -> list[str]:
        if len(system.node_names()) < 2:
            return ["isolate"]
        return list(self.kinds)

    def teardown(self, world: Any, system: Any) -> None:
        world.network.heal()


def _kill_args(value: Any, default: Any) -> tuple[Any, bool]:
    if isinstance(value, Mapping):
        return value.get("nodes", default), bool(value.get("torn", False))
    return value or default, False


class KillNemesis:
    """``kill`` (value: a target spec, or ``{"nodes": spec, "torn": bool}``) crashes
    nodes (volatile state and unsynced writes lost; ``torn`` keeps a torn prefix of the
    last write); ``start`` restarts every crashed node."""

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
        spec, torn = _kill_args(op.get("value"), self.target)
        victims = pick_nodes(world, system, self.rng, spec)
        for n in victims:
            world.host(n).crash(torn=torn)
        value: Any = {"nodes": victims, "torn": True} if torn else victims
        return {"type": "info", "value": value}

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
    """Per-node clock faults.

    ``bump-clock`` (value ``{node: delta_ns}`` or random), ``set-clock`` (value
    ``{node: offset_ns}`` or random), ``strobe-clock`` (value ``{"nodes": [...], "delta":
    ns, "period": ns, "duration": ns}`` or random), ``drift-clock`` (value ``{node: rate}``
    or random), ``reset-clock`` (every clock back to true time).
    """

    fs = frozenset({"bump-clock", "set-clock", "strobe-clock", "drift-clock", "reset-clock"})

    def __init__(self, max_skew_ns: int = 2_000_000_000) -> None:
        self.max_skew_ns = max_skew_ns
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/clock")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        f, value = op["f"], op.get("value")
        if f == "reset-clock":
            for h in world.nodes.values():
                h.clock.reset()
            return {"type": "info", "value": "reset"}
        if f == "strobe-clock":
            return self._strobe(world, system, value)
        if f == "drift-clock":
            rates = value or {n: 0.01 for n in pick_nodes(world, system, self.rng, "one")}
            for node, rate in sorted(rates.items()):
                world.host(node).clock.set_drift(float(rate))
            return {"type": "info", "value": rates}
        deltas = value or self._random_deltas(world, system)
        for node, delta in sorted(deltas.items()):
            clock = world.host(node).clock
            if f == "set-clock":
                clock.set_offset(int(delta))
            else:
                clock.bump(int(delta))
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
