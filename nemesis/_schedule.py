"""Explicit fault schedules: a list of timed fault events, as data.

A schedule is what ``schedule.json`` in a run directory holds and what ``ddialab run
--schedule`` replays::

    {"version": 1, "events": [{"time_ns": 2000000000, "f": "kill", "value": ["n1"]},
                              {"time_ns": 4000000000, "f": "start", "value": null}]}

``time_ns`` counts from the start of the run (``time`` in seconds is accepted too).  The
values are explicit (the nodes, grudges and deltas a fault actually used), so replaying a
schedule with the same seed and options gives the same history.  ``ScheduleGen`` plays the
events on the nemesis thread, each at its time (or as soon after as the thread is free).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ddialab import generator as g
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
    return {"time_ns": t, "f": e["f"], "value": e.get("value")}


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


HEAL_FS = frozenset({"stop-partition", "start", "resume", "reset-clock", "heal-network"})
