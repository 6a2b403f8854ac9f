"""Named fault packages and their schedules: what ``--nemesis a,b`` builds.

Each package alternates "fault on" and "fault off" every ``nemesis_interval`` seconds
(Jepsen's default rhythm), and names the final ops that heal it.  Packages compose: their
schedules interleave and all their final ops run after the main phase.  ``mix`` is
Jepsen's combined package: one fault kind after another (partition, kill, pause, clock,
network), each healed before the next.

A spec with an explicit ``schedule`` (a list of timed fault events, see
``nemesis._schedule``) replaces every package's generator with that schedule, keeping the
named packages' nemeses and final ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ddialab import generator as g
from ddialab.errors import UsageError
from ddialab.vocabulary import FAULT_KINDS
from nemesis._core import ComposedNemesis, NemesisPackage, compose
from nemesis._faults import ClockNemesis, KillNemesis, PartitionNemesis, PauseNemesis
from nemesis._quality import DiskNemesis, NetworkNemesis
from nemesis._schedule import ReplayingNemesis, ScheduleGen, parse_schedule
from nemesis._upgrade import UpgradeNemesis


@dataclass(frozen=True)
class Alternate(g.Generator):
    """Fault at ``interval``, heal at ``2 * interval``, fault again ... forever.

    ``ops`` cycle: ``(fault, heal)`` alternates one fault kind; a longer tuple interleaves
    several kinds; a 1-tuple repeats a fault that needs no heal.  Ops are emitted with
    future times rather than as sleeps, so several packages composed with ``any_of`` share
    the one nemesis thread without delaying each other.
    """

    ops: tuple[dict[str, Any], ...]
    interval_ns: int
    i: int = 0
    next_time: int | None = None
    #: first fault at ``interval * (1 + offset)``, so composed packages do not coincide
    offset: float = 0.0

    def op(self, ctx: g.Context) -> Any:
        # The first fault is due one interval after time 0 (the start of a simulated run);
        # it must not be computed from ctx.time, which moves while the op waits.
        first = int(self.interval_ns * (1 + self.offset))
        due = self.next_time if self.next_time is not None else first
        d = {**self.ops[self.i % len(self.ops)], "time": max(due, ctx.time)}
        filled = g.fill_in_op(d, ctx)
        if filled is None:
            return g.PENDING, self
        nxt = replace(self, i=self.i + 1, next_time=filled["time"] + self.interval_ns)
        return filled, nxt

    def update(self, ctx: g.Context, event: dict[str, Any]) -> Any:
        return self


def alternate(start: dict[str, Any], stop: dict[str, Any], interval_s: float) -> Alternate:
    """Fault, heal, fault, ... every ``interval_s`` seconds (cut by the time limit)."""
    return Alternate((start, stop), g.secs_to_ns(interval_s))


@dataclass(frozen=True)
class NemesisEntry:
    name: str
    description: str
    build: Callable[[Any], NemesisPackage]


#: nemesis class for every fault ``f`` (a schedule may name any of them)
NEMESIS_CLASSES: tuple[type, ...] = (
    PartitionNemesis,
    KillNemesis,
    PauseNemesis,
    ClockNemesis,
    NetworkNemesis,
    DiskNemesis,
    UpgradeNemesis,
)


def final_heal(fs: frozenset[str]) -> dict[str, Any] | None:
    """The op that heals, at the end of every run, the faults of a nemesis handling ``fs``
    (from the fault vocabulary; ``None``: nothing to heal, or left as is, as versions)."""
    heals = sorted({k.heal for k in FAULT_KINDS if k.f in fs and k.heal and k.heal_at_end})
    if len(heals) > 1:
        raise ValueError(f"a nemesis has one final heal, not {heals}")
    return {"f": heals[0]} if heals else None


#: the op that heals each nemesis class's faults (None: nothing to heal)
HEALS: dict[type, dict[str, Any] | None] = {
    cls: final_heal(cls.fs)  # type: ignore[attr-defined]
    for cls in NEMESIS_CLASSES
}


def _package(name: str, cls: type, fault: dict[str, Any]) -> Callable[[Any], NemesisPackage]:
    def build(spec: Any) -> NemesisPackage:
        heal = HEALS[cls]
        ops = (fault, heal) if heal else (fault,)
        gen = Alternate(ops, g.secs_to_ns(spec.nemesis_interval))
        return NemesisPackage(name, cls(), gen, [heal] if heal else [])

    return build


def _mix(spec: Any) -> NemesisPackage:
    faults = [
        (PartitionNemesis, {"f": "start-partition"}),
        (KillNemesis, {"f": "kill", "value": "one"}),
        (PauseNemesis, {"f": "pause", "value": "one"}),
        (ClockNemesis, {"f": "bump-clock"}),
        (NetworkNemesis, {"f": "degrade-network"}),
    ]
    ops = tuple(op for cls, fault in faults for op in (fault, HEALS[cls]) if op)
    gen = Alternate(ops, g.secs_to_ns(spec.nemesis_interval))
    nemesis = ComposedNemesis([cls() for cls, _ in faults])
    return NemesisPackage("mix", nemesis, gen, [h for cls, _ in faults if (h := HEALS[cls])])


def _rolling(spec: Any) -> NemesisPackage:
    """Upgrade three nodes one at a time, then downgrade them one at a time, and again."""
    ops = ({"f": "upgrade"},) * 3 + ({"f": "downgrade"},) * 3
    gen = Alternate(ops, g.secs_to_ns(spec.nemesis_interval))
    return NemesisPackage("upgrade", UpgradeNemesis(), gen, [])


def _entries() -> list[NemesisEntry]:
    P, K, Z, C = PartitionNemesis, KillNemesis, PauseNemesis, ClockNemesis
    table: list[tuple[str, str, type, dict[str, Any]]] = [
        ("partition", "network partitions: random halves, or isolate a node", P,
         {"f": "start-partition"}),
        ("partition-halves", "cut the cluster into two fixed halves", P,
         {"f": "start-partition", "value": "halves"}),
        ("partition-random-halves", "cut into two random halves", P,
         {"f": "start-partition", "value": "random-halves"}),
        ("partition-ring", "majorities ring: each node sees a different majority", P,
         {"f": "start-partition", "value": "majorities-ring"}),
        ("partition-bridge", "two halves and one bridge node that sees both", P,
         {"f": "start-partition", "value": "bridge"}),
        ("partition-one-way", "one node hears nobody, everyone hears it (asymmetric)", P,
         {"f": "start-partition", "value": "one-way"}),
        ("partition-one-way-out", "nobody hears one node, it hears everyone", P,
         {"f": "start-partition", "value": "one-way-out"}),
        ("partition-isolate", "isolate one random node", P,
         {"f": "start-partition", "value": "isolate"}),
        ("partition-primary", "isolate the primaries (leaders) of a system with roles", P,
         {"f": "start-partition", "value": "isolate-primary"}),
        ("kill", "crash a node (volatile state and unsynced disk lost), restart", K,
         {"f": "kill", "value": "one"}),
        ("kill-torn", "crash a node with a torn final write, restart", K,
         {"f": "kill", "value": {"nodes": "one", "torn": True}}),
        ("pause", "pause a node (SIGSTOP-like), resume", Z, {"f": "pause", "value": "one"}),
        ("clock", "bump clocks of a minority of nodes by up to 2 s, reset", C,
         {"f": "bump-clock"}),
        ("clock-set", "set clock offsets of a minority of nodes, reset", C,
         {"f": "set-clock"}),
        ("clock-strobe", "strobe a minority's clocks back and forth for 1 s, reset", C,
         {"f": "strobe-clock"}),
        ("clock-drift", "make one node's clock run 1% fast, reset", C,
         {"f": "drift-clock"}),
        ("disk-lose", "power-cut a node: unsynced writes lost, restart at once",
         DiskNemesis, {"f": "lose-unsynced", "value": "one"}),
        ("disk-torn", "power-cut a node with a torn final write, restart at once",
         DiskNemesis, {"f": "torn-crash", "value": "one"}),
        ("bitflip", "flip a bit in a random file of a random node (bitflip:FILE: in files "
         "named FILE...)", DiskNemesis,
         {"f": "flip-bit"}),
    ]  # fmt: skip
    for target, what in [("minority", "a minority"), ("majority", "a majority"),
                         ("all", "every node"), ("primaries", "the primaries")]:  # fmt: skip
        suffix = "primary" if target == "primaries" else target
        table.append((f"kill-{suffix}", f"crash {what}, restart", K,
                      {"f": "kill", "value": target}))  # fmt: skip
        table.append((f"pause-{suffix}", f"pause {what}, resume", Z,
                      {"f": "pause", "value": target}))  # fmt: skip
    for kind, what in [("loss", "drop 30% of messages"), ("duplicate", "duplicate 30%"),
                       ("delay", "delay spikes of 100-200 ms"),
                       ("reorder", "0-50 ms jitter: messages overtake each other")]:  # fmt: skip
        table.append((kind, f"on a minority's links: {what}; heal", NetworkNemesis,
                      {"f": "degrade-network", "value": kind}))  # fmt: skip
    entries = [NemesisEntry(n, d, _package(n, cls, op)) for n, d, cls, op in table]
    entries.append(NemesisEntry("mix", "Jepsen's combined package: partition, kill, pause, "
                                "clock and network faults in turn, each healed", _mix))  # fmt: skip
    rolling = "rolling upgrade: nodes restart one at a time on the next schema version; back"
    entries.append(NemesisEntry("upgrade", rolling, _rolling))
    return entries


NEMESES: dict[str, NemesisEntry] = {e.name: e for e in _entries()}


def _named_packages(names: Sequence[str], spec: Any) -> list[NemesisPackage]:
    packages = []
    for i, name in enumerate(names):
        base, _, arg = name.partition(":")
        entry = NEMESES.get(base)
        if entry is None or (arg and base != "bitflip"):
            raise UsageError(f"unknown nemesis {name!r}; known: {', '.join(NEMESES)}")
        package = entry.build(spec)
        if arg:  # bitflip:FILE flips bits in files whose name starts with FILE
            fault = {"f": "flip-bit", "value": {"file": arg}}
            package = _package(name, DiskNemesis, fault)(spec)
        if isinstance(package.generator, Alternate):
            package.generator = replace(package.generator, offset=i / len(names))
        packages.append(package)
    return packages


def build_nemesis(names: Sequence[str], spec: Any) -> NemesisPackage:
    packages = _named_packages(names, spec)
    schedule = getattr(spec, "schedule", None)
    if schedule is None:
        return compose(packages)
    return schedule_package(packages, parse_schedule(schedule))


def schedule_package(
    packages: list[NemesisPackage], events: list[dict[str, Any]]
) -> NemesisPackage:
    """The named packages' nemeses and heals, driven by an explicit schedule instead."""
    handled = {f for p in packages for f in p.nemesis.fs}
    extra = []
    for cls in NEMESIS_CLASSES:
        fs: frozenset[str] = cls.fs  # type: ignore[attr-defined]
        if any(e["f"] in fs and e["f"] not in handled for e in events):
            heal = HEALS[cls]
            extra.append(NemesisPackage(cls.__name__, cls(), None, [heal] if heal else []))
            handled |= fs
    unknown = sorted({e["f"] for e in events} - handled)
    if unknown:
        raise UsageError(f"schedule names faults no nemesis handles: {', '.join(unknown)}")
    for p in packages:
        p.generator = None
    composed = compose([*packages, *extra])
    composed.nemesis = ReplayingNemesis(composed.nemesis, events)
    composed.generator = ScheduleGen(tuple(events)) if events else None
    return composed
