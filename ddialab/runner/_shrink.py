"""Shrinking a failing run: search for a smaller run that fails the same way.

``shrink_run(run_dir, ...)`` is the library entry point (``ddialab shrink RUN_DIR`` is a
thin wrapper around it, in ``ddialab/_cli_shrink.py``).

Theory of operation
-------------------
A failing run is a spec (seed and options) plus its fault schedule (``schedule.json``).
Every candidate is that spec with a smaller dimension, run from scratch (simulated, or
against the real servers for a real system: ``ddialab.runner.execute``) with the
same seed and an explicit schedule, then checked; it is *failing* iff some checker still
reports the target anomaly type (by default the first one the original run reported).
The search is greedy and deterministic -- no wall clock, no randomness of its own -- so
the same run directory always shrinks to the same result:

1. time: bisect the main phase's ``time_limit`` (faults after it are dropped), then
   bisect a shift of every fault (and the end) towards the start of the run;
2. faults: none at all if that still fails, else delta debugging (``nemesis.ddmin``)
   over fault units (a fault and the heals that follow it);
3. concurrency: the lowest client count that still fails;
4. rate: the lowest of 1, 2, 4, 8, 16 ops/s that still fails, then halve the rate
   while the run still fails, then take quarters off (fewer ops);

and again from 1 while a pass made progress, within ``--max-runs`` simulations.  Why
ddmin rather than hypothesis's shrinker: a candidate costs a whole simulation, and ddmin
on a handful of fault units plus a bisection per number needs tens of runs; hypothesis
replays from a byte buffer, so a small change in the choices reshuffles the whole run,
and its shrinker spends hundreds of runs and is not deterministic across versions.

The minimal run is written as a new run directory by ``ddialab.runner.run`` (history,
test.json with the schedule, results.json, report.html, schedule.json), plus
``shrink.json``: the target anomaly, the dimensions before and after, and every step.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from ddialab.errors import DdialabError, UsageError
from ddialab.runner._api import execute, run
from ddialab.runner._check import checker_specs, run_checkers
from ddialab.runner._schedule import load_schedule, run_schedule
from ddialab.runner._spec import TestSpec
from ddialab.runner._store import load_spec, read_json, write_json
from nemesis import HEAL_FS, ddmin, fault_units


@dataclass
class Shrinker:
    target: str
    max_runs: int
    runs: int = 0
    steps: list[dict[str, Any]] = field(default_factory=list)
    _cache: dict[str, bool] = field(default_factory=dict)

    def fails(self, spec: TestSpec) -> bool:
        key = json.dumps(spec.to_dict(), sort_keys=True, default=str)
        if key not in self._cache:
            if self.runs >= self.max_runs:
                return False
            self.runs += 1
            self._cache[key] = self.target in finding_types(_check(spec))
        return self._cache[key]

    def accept(self, step: str, spec: TestSpec, best: TestSpec) -> TestSpec:
        if spec != best and self.fails(spec):
            self.steps.append({"step": step, **dimensions(spec)})
            return spec
        return best

    def shrink(self, spec: TestSpec) -> TestSpec:
        while True:
            before = spec
            spec = self.shrink_time(spec)
            spec = self.shrink_shift(spec)
            spec = self.shrink_faults(spec)
            spec = self.shrink_concurrency(spec)
            spec = self.shrink_rate(spec)
            if spec == before or self.runs >= self.max_runs:
                return spec

    def shrink_time(self, spec: TestSpec) -> TestSpec:
        lo, hi = 0.0, spec.time_limit
        while hi - lo > max(0.25, spec.time_limit / 64) and self.runs < self.max_runs:
            mid = round((lo + hi) / 2, 2)
            cand = self.accept("time", with_time(spec, mid), spec)
            if cand is spec:
                lo = mid
            else:
                spec, hi = cand, mid
        return spec

    def shrink_shift(self, spec: TestSpec) -> TestSpec:
        """Move every fault earlier, and the end with them: less time before the fault."""
        events = events_of(spec)
        lo, hi = 0.0, round(events[0]["time_ns"] / 1e9, 2) if events else 0.0
        while hi - lo > 0.1 and self.runs < self.max_runs:
            mid = round((lo + hi) / 2, 2)
            cand = self.accept("shift", shifted(spec, mid), spec)
            if cand is spec:
                hi = mid
            else:
                spec, lo, hi = cand, 0.0, hi - mid
        return spec

    def shrink_faults(self, spec: TestSpec) -> TestSpec:
        events = events_of(spec)
        units = fault_units(events, HEAL_FS)
        if not units:
            return spec

        def fails(kept: list[list[int]]) -> bool:
            return self.fails(with_events(spec, [events[i] for u in kept for i in u]))

        if fails([]):  # many anomalies need no fault at all: one run to find out
            spec = with_events(spec, [])
            self.steps.append({"step": "faults", **dimensions(spec)})
            return spec
        kept = ddmin(units, fails, budget=max(0, self.max_runs - self.runs))
        if len(kept) < len(units) and fails(kept):
            spec = with_events(spec, [events[i] for u in kept for i in u])
            self.steps.append({"step": "faults", **dimensions(spec)})
        return spec

    def shrink_concurrency(self, spec: TestSpec) -> TestSpec:
        for c in range(1, spec.concurrency):
            cand = self.accept("concurrency", replace(spec, concurrency=c), spec)
            if cand is not spec:
                return cand
        return spec

    def shrink_rate(self, spec: TestSpec) -> TestSpec:
        for low in (1.0, 2.0, 4.0, 8.0, 16.0):  # the lowest rate that fails, first
            if low >= spec.rate:
                break
            cand = self.accept("rate", replace(spec, rate=low), spec)
            if cand is not spec:
                spec = cand
                break
        for factor in (0.5, 0.75):
            while spec.rate * factor >= 0.5 and self.runs < self.max_runs:
                rate = round(spec.rate * factor, 3)
                cand = self.accept("rate", replace(spec, rate=rate), spec)
                if cand is spec:
                    break
                spec = cand
        return spec


def hypothesis_shrink(spec: TestSpec, shrinker: Shrinker) -> TestSpec:
    """The same dimensions searched by ``hypothesis.find`` (derandomized, no database):
    a keep-mask over fault units, the time limit, concurrency and rate.  For comparison
    with the default search; see docs/nemesis.md."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    events = events_of(spec)
    units = fault_units(events, HEAL_FS)

    def build(t: tuple[list[bool], int, int, int]) -> TestSpec:
        mask, centis, concurrency, rate = t
        kept = [events[i] for u, keep in zip(units, mask, strict=True) if keep for i in u]
        small = with_time(with_events(spec, kept), centis / 100)
        return replace(small, concurrency=concurrency, rate=float(rate))

    strategy = st.tuples(
        st.lists(st.booleans(), min_size=len(units), max_size=len(units)),
        st.integers(1, round(spec.time_limit * 100)),
        st.integers(1, spec.concurrency),
        st.integers(1, max(1, int(spec.rate))),
    )
    config = settings(
        max_examples=shrinker.max_runs,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    try:
        found = find(strategy, lambda t: shrinker.fails(build(t)), settings=config)
    except NoSuchExample:
        return spec
    return build(found)


def events_of(spec: TestSpec) -> list[dict[str, Any]]:
    return list((spec.schedule or {}).get("events", []))


def with_events(spec: TestSpec, events: list[dict[str, Any]]) -> TestSpec:
    return replace(spec, schedule={"version": 1, "events": events})


def with_time(spec: TestSpec, seconds: float) -> TestSpec:
    end = round(seconds * 1e9)
    return with_events(
        replace(spec, time_limit=seconds), [e for e in events_of(spec) if e["time_ns"] < end]
    )


def shifted(spec: TestSpec, seconds: float) -> TestSpec:
    d = round(seconds * 1e9)
    events = [{**e, "time_ns": e["time_ns"] - d} for e in events_of(spec)]
    return with_events(replace(spec, time_limit=round(spec.time_limit - seconds, 2)), events)


def dimensions(spec: TestSpec) -> dict[str, Any]:
    events = events_of(spec)
    return {
        "time_limit": spec.time_limit,
        "concurrency": spec.concurrency,
        "rate": spec.rate,
        "faults": sum(1 for e in events if e["f"] not in HEAL_FS),
        "events": len(events),
    }


def _check(spec: TestSpec) -> dict[str, Any]:
    outcome = execute(spec)
    return run_checkers(outcome.history, checker_specs(spec))


def anomaly_types(results: dict[str, Any]) -> list[str]:
    found = {t for r in results.get("checkers", {}).values() for t in r.get("anomaly_types") or []}
    return sorted(found)


def finding_types(results: dict[str, Any]) -> list[str]:
    """What a run can be shrunk to keep: its anomaly types, then its checkers' named
    *findings* (counted but not anomalies, such as the set checker's ``stale`` elements,
    which the matrix's index-consistency column counts as a violation)."""
    checkers = results.get("checkers", {}).values()
    findings = {t for r in checkers for t in r.get("findings") or []}
    return anomaly_types(results) + sorted(findings - set(anomaly_types(results)))


def client_ops(run_dir: str) -> int:
    with open(os.path.join(run_dir, "history.jsonl"), encoding="utf-8") as f:
        return sum(1 for line in f if '"type":"invoke"' in line and '"nemesis"' not in line)


def original_spec(run_dir: str) -> TestSpec:
    """The run's spec with its schedule made explicit (re-derived if schedule.json is
    missing, as in run directories from before schedules were saved)."""
    spec = load_spec(run_dir)
    if os.path.exists(os.path.join(run_dir, "schedule.json")):
        return replace(spec, schedule=load_schedule(run_dir))
    if spec.schedule is None:
        spec = replace(spec, schedule=run_schedule(execute(spec).history, spec))
    return spec


def shrink_run(
    run_dir: str,
    out: str | None = None,
    anomaly: str | None = None,
    max_runs: int = 60,
    engine: str = "ddmin",
) -> dict[str, Any]:
    """Shrink a failing run directory; return the summary (also in ``out``/shrink.json)."""
    results = read_json(os.path.join(run_dir, "results.json"))
    found = finding_types(results)
    if not found or (anomaly is None and not anomaly_types(results)):
        raise UsageError(f"{run_dir}: the run found no anomaly; nothing to shrink")
    target = anomaly or found[0]
    if target not in found:
        raise UsageError(f"{run_dir}: no {target!r} anomaly; it found {', '.join(found)}")
    spec = original_spec(run_dir)
    shrinker = Shrinker(target, max_runs)
    if not shrinker.fails(spec):
        raise DdialabError(f"{run_dir}: replaying its schedule did not reproduce {target!r}")
    small = hypothesis_shrink(spec, shrinker) if engine == "hypothesis" else shrinker.shrink(spec)
    out = out or run_dir.rstrip("/") + "-shrunk"
    result = run(small, out=out)
    summary = {
        "source": run_dir,
        "run_dir": result.run_dir,
        "anomaly": target,
        "reproduced": target in finding_types(result.results),
        "before": {**dimensions(spec), "ops": client_ops(run_dir)},
        "after": {**dimensions(small), "ops": client_ops(result.run_dir)},
        "engine": engine,
        "runs": shrinker.runs,
        "steps": shrinker.steps,
    }
    write_json(os.path.join(result.run_dir, "shrink.json"), summary)
    return summary
