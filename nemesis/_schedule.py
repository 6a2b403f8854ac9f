"""Explicit fault schedules: a list of timed fault events, as data.

A schedule is what ``schedule.json`` in a run directory holds and what ``ddialab run
--schedule`` replays::

    {"version": 1, "events": [{"time_ns": 2000000000, "f": "kill", "value": ["n1"]},
                              {"time_ns": 4000000000, "f": "start", "value": null}]}

``time_ns`` counts from the start of the run (``time`` in seconds is accepted too).
``value`` is what the fault was invoked with; where that was a spec to resolve (``"one"``,
``"isolate"``), ``applied`` holds the explicit value the fault actually used (the nodes,
grudge or deltas).  A replay invokes each fault with its ``value``, so the history's
invocation is the original one, and performs it with its ``applied`` value, so nothing is
drawn at random: the same seed and options give a byte-identical history.  ``ScheduleGen`` plays the
events on the nemesis thread, each at its time (or as soon after as the thread is free).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ddialab import generator as g
from ddialab import vocabulary
from ddialab.errors import UsageError

SCHEDULE_VERSION = 1


def _event(i: int, e: Any) -> dict[str, Any]:
    if not isinstance(e, Mapping) or not isinstance(e.get("f"), str):
        raise UsageError(f"schedule event {i}: expected {{'time_ns', 'f', 'value'}}, got {e!r}")
    if "time_ns" in e:
        t = e["time_ns"]
    elif "time" in e:
        t = round(float(e["time"]) * 1e9)
    else:
        raise UsageError(f"schedule event {i}: no time_ns (or time, in seconds)")
    if not isinstance(t, int) or t < 0:
        raise UsageError(f"schedule event {i}: time must be a non-negative integer of ns")
    event = {"time_ns": t, "f": e["f"], "value": e.get("value")}
    if "applied" in e:
        event["applied"] = e["applied"]
    return event


def parse_schedule(data: Any) -> list[dict[str, Any]]:
    """Normalize a schedule (the dict form or a bare list of events), sorted by time."""
    events = data.get("events") if isinstance(data, Mapping) else data
    if not isinstance(events, list):
        raise UsageError("a schedule is {'events': [...]} or a list of events")
    parsed = [_event(i, e) for i, e in enumerate(events)]
    return sorted(parsed, key=lambda e: e["time_ns"])  # stable: same-time order kept


def schedule_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": SCHEDULE_VERSION, "events": parse_schedule(events)}


@dataclass(frozen=True)
class ScheduleGen(g.Generator):
    """Emit each event at its time on whichever thread takes it (wrap in ``g.nemesis``)."""

    events: tuple[dict[str, Any], ...]
    i: int = 0

    def op(self, ctx: g.Context) -> Any:
        if self.i >= len(self.events):
            return None
        e = self.events[self.i]
        d = {"f": e["f"], "value": e["value"], "time": max(e["time_ns"], ctx.time)}
        filled = g.fill_in_op(d, ctx)
        if filled is None:
            return g.PENDING, self
        return filled, replace(self, i=self.i + 1)

    def update(self, ctx: g.Context, event: dict[str, Any]) -> Any:
        return self


def fault_units(events: list[dict[str, Any]], heals: frozenset[str]) -> list[list[int]]:
    """Group event indices into units a shrinker removes together: a fault with the heals
    that follow it up to the next fault (removing a heal alone would prolong a fault)."""
    units: list[list[int]] = []
    for i, e in enumerate(events):
        if e["f"] in heals and units:
            units[-1].append(i)
        else:
            units.append([i])
    return units


#: every heal ``f`` (declared once, in ``ddialab.vocabulary.FAULT_KINDS``)
HEAL_FS = vocabulary.HEAL_FS


class ReplayingNemesis:
    """Performs a schedule's faults with their ``applied`` values, in schedule order.

    The nemesis thread runs one fault at a time and ``ScheduleGen`` emits the events in
    order, so the n-th scheduled invocation of a fault is the n-th event; each is handed to
    the inner nemesis with its explicit value instead of the spec it was invoked with.
    Ops the schedule does not name (the final heals) pass through unchanged.
    """

    def __init__(self, inner: Any, events: list[dict[str, Any]]) -> None:
        self.inner = inner
        self.fs = inner.fs
        self._pending = [e for e in reversed(events)]

    def setup(self, world: Any, system: Any) -> None:
        self.inner.setup(world, system)

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if self._pending and self._pending[-1]["f"] == op["f"]:
            event = self._pending.pop()
            if "applied" in event:
                op = {**op, "value": event["applied"]}
        result: dict[str, Any] = self.inner.invoke(world, system, op)
        return result

    def teardown(self, world: Any, system: Any) -> None:
        self.inner.teardown(world, system)
