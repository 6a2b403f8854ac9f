"""What the matrix runs: every system under its scenarios and the common fault mix.

Theory of operation
-------------------
A *probe* is one way of running one system: a workload, a fault mix and options.  Each
system entry declares ``scenarios`` (``systems.Scenario``: the faults and options that
exercise its mechanisms -- clock faults for leases, the lock workload for fencing, ...);
unless the entry says ``common_mix=False`` the system is also probed under the common mix
(``DEFAULT_NEMESES``) over every workload it declares.  A probe's runs differ only in the
seed; ``MatrixOptions.seeds`` is the *maximum* number of seeds a probe tries (the search in
``_search`` stops a probe early once it has shown what it can show).

Real datastores (``systems.external``) are probed only with ``MatrixOptions.real``; they
start servers, so without it they are listed as not run, never as rows of empty cells.
A real probe runs once (``max_seeds=1``): a real server is not driven by the seed, so
more seeds would repeat the same experiment at the cost of seconds of wall time each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ddialab.errors import UsageError
from ddialab.runner import TestSpec
from ddialab.vocabulary import unknown_name
from systems import SYSTEMS, Scenario, SystemEntry
from systems.external import REAL_ENTRIES, workloads_of
from workloads import get_workload

#: the faults every system suffers in its common probes (unless its entry opts out)
DEFAULT_NEMESES = ("partition", "kill", "pause")
#: the label of the common-mix probes
COMMON = "common"
REAL_NAMES = frozenset(e.name for e in REAL_ENTRIES)


@dataclass(frozen=True)
class MatrixOptions:
    #: the maximum number of seeds each probe tries
    seeds: int = 4
    time_limit: float = 5.0
    systems: tuple[str, ...] = ()
    jobs: int = 0
    rate: float = 50.0
    concurrency: int = 5
    #: also run the real datastores (starts servers)
    real: bool = False
    #: shrink the first violating run of each demonstrated hazard (``matrix._shrink``)
    shrink: bool = True


@dataclass(frozen=True)
class Probe:
    """One system x workload x fault mix x options; ``spec(seed)`` is one of its runs."""

    system: str
    label: str
    workload: str
    nemesis: tuple[str, ...]
    hazard: str | None = None
    time_limit: float = 5.0
    rate: float = 50.0
    nemesis_interval: float = 1.0
    concurrency: int = 5
    workload_options: dict[str, Any] = field(default_factory=dict)
    system_options: dict[str, Any] = field(default_factory=dict)
    op_timeout: float | None = None
    #: at most this many seeds, whatever the matrix's budget (``None``: the budget)
    max_seeds: int | None = None

    @property
    def key(self) -> str:
        return f"{self.system}/{self.label}"

    def seeds(self, budget: int) -> int:
        return budget if self.max_seeds is None else min(budget, self.max_seeds)

    def spec(self, seed: int) -> TestSpec:
        timeout: dict[str, Any] = {} if self.op_timeout is None else {"op_timeout": self.op_timeout}
        return TestSpec(system=self.system, workload=self.workload, nemesis=list(self.nemesis),
                        seed=seed, time_limit=self.time_limit, rate=self.rate,
                        concurrency=self.concurrency, nemesis_interval=self.nemesis_interval,
                        workload_options=dict(self.workload_options),
                        system_options=dict(self.system_options), **timeout)  # fmt: skip


def select_systems(names: Sequence[str], real: bool = False) -> list[SystemEntry]:
    """The systems named (all simulated ones, plus the real ones with ``real``)."""
    if not names:
        return [e for e in SYSTEMS.values() if real or e.name not in REAL_NAMES]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise UsageError(unknown_name("system", unknown[0], list(SYSTEMS)))
    chosen = [SYSTEMS[n] for n in names]
    skipped = [e.name for e in chosen if e.name in REAL_NAMES and not real]
    if skipped:
        raise UsageError(f"{skipped[0]} is a real datastore: pass --real to run it")
    return chosen


def not_run(names: Sequence[str], real: bool) -> list[dict[str, str]]:
    """The real datastores left out of a matrix without ``real`` (listed, not rows)."""
    if real or names:
        return []
    return [{"system": e.name, "reason": "not run: pass --real"} for e in REAL_ENTRIES]


def probes(options: MatrixOptions) -> list[Probe]:
    """Every probe of the matrix, in a deterministic order (scenarios first)."""
    out: list[Probe] = []
    for entry in select_systems(options.systems, options.real):
        out += [_scenario_probe(entry, s, options) for s in entry.scenarios]
        if entry.common_mix:
            out += [_common_probe(entry, w, options) for w in workloads_of(entry)]
    return out


def _common_probe(entry: SystemEntry, workload: str, options: MatrixOptions) -> Probe:
    get_workload(workload)  # a missing one is a bug (tests/registry), not a skip
    nemesis = () if entry.name in REAL_NAMES else DEFAULT_NEMESES
    return Probe(entry.name, f"{COMMON}-{workload}", workload, nemesis,
                 time_limit=options.time_limit, rate=options.rate,
                 concurrency=options.concurrency,
                 nemesis_interval=max(0.5, options.time_limit / 5),
                 workload_options=dict(entry.workload_options.get(workload, {})),
                 max_seeds=_max_seeds(entry))  # fmt: skip


def _max_seeds(entry: SystemEntry) -> int | None:
    return 1 if entry.name in REAL_NAMES else None


def _scenario_probe(entry: SystemEntry, s: Scenario, options: MatrixOptions) -> Probe:
    get_workload(s.workload)
    limit = s.time_limit or options.time_limit
    wopts = {**entry.workload_options.get(s.workload, {}), **s.workload_options}
    return Probe(entry.name, s.name, s.workload, tuple(s.nemesis), s.hazard, limit,
                 s.rate or options.rate, s.nemesis_interval or max(0.5, limit / 5),
                 s.concurrency or options.concurrency, json.loads(json.dumps(wopts)),
                 dict(s.system_options), s.op_timeout, _max_seeds(entry))  # fmt: skip


def plan(options: MatrixOptions) -> list[TestSpec]:
    """The most the matrix can run: every probe at every seed of the budget."""
    return [p.spec(seed) for p in probes(options) for seed in range(p.seeds(options.seeds))]
