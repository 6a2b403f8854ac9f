"""Named fault packages and their schedules: what ``--nemesis a,b`` builds.

Each package alternates "fault on" and "fault off" every ``nemesis_interval`` seconds
(Jepsen's default rhythm), and names the final ops that heal it.  Packages compose: their
schedules interleave and all their final ops run after the main phase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ddialab import generator as g
from ddialab.errors import UsageError
from nemesis._core import NemesisPackage, compose
from nemesis._faults import ClockNemesis, KillNemesis, PartitionNemesis, PauseNemesis


@dataclass(frozen=True)
class Alternate(g.Generator):
    """Fault at ``interval``, heal at ``2 * interval``, fault again ... forever.

    Ops are emitted with future times rather than as sleeps, so several packages composed
    with ``any_of`` share the one nemesis thread without delaying each other.
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


def _partition(spec: Any) -> NemesisPackage:
    stop = {"f": "stop-partition"}
    gen = alternate({"f": "start-partition"}, stop, spec.nemesis_interval)
    return NemesisPackage("partition", PartitionNemesis(), gen, [stop])


def _kill(spec: Any) -> NemesisPackage:
    stop = {"f": "start"}
    gen = alternate({"f": "kill", "value": "one"}, stop, spec.nemesis_interval)
    return NemesisPackage("kill", KillNemesis(), gen, [stop])


def _pause(spec: Any) -> NemesisPackage:
    stop = {"f": "resume"}
    gen = alternate({"f": "pause", "value": "one"}, stop, spec.nemesis_interval)
    return NemesisPackage("pause", PauseNemesis(), gen, [stop])


def _clock(spec: Any) -> NemesisPackage:
    stop = {"f": "reset-clock"}
    gen = alternate({"f": "bump-clock"}, stop, spec.nemesis_interval)
    return NemesisPackage("clock", ClockNemesis(), gen, [stop])


NEMESES: dict[str, NemesisEntry] = {
    e.name: e
    for e in [
        NemesisEntry(
            "partition", "network partitions: random halves, or isolate a node", _partition
        ),
        NemesisEntry(
            "kill", "crash a node (volatile state and unsynced disk lost), restart", _kill
        ),
        NemesisEntry("pause", "pause a node (SIGSTOP-like), resume", _pause),
        NemesisEntry("clock", "bump clocks of a minority of nodes by up to 2 s, reset", _clock),
    ]
}


def build_nemesis(names: Sequence[str], spec: Any) -> NemesisPackage:
    packages = []
    for i, name in enumerate(names):
        entry = NEMESES.get(name)
        if entry is None:
            raise UsageError(f"unknown nemesis {name!r}; known: {', '.join(NEMESES)}")
        package = entry.build(spec)
        if isinstance(package.generator, Alternate):
            package.generator = replace(package.generator, offset=i / len(names))
        packages.append(package)
    return compose(packages)
