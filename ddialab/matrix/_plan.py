"""What the matrix runs: every system (each option set) x its workloads x K seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ddialab.errors import UsageError
from ddialab.runner import TestSpec
from ddialab.vocabulary import unknown_name
from systems import SYSTEMS, SystemEntry
from workloads import get_workload

#: the faults every matrix run suffers unless a system entry names its own
DEFAULT_NEMESES = ("partition", "kill", "pause")


@dataclass(frozen=True)
class MatrixOptions:
    seeds: int = 3
    time_limit: float = 5.0
    systems: tuple[str, ...] = ()
    jobs: int = 0
    rate: float = 50.0
    concurrency: int = 5


def select_systems(names: Sequence[str]) -> list[SystemEntry]:
    if not names:
        return list(SYSTEMS.values())
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise UsageError(unknown_name("system", unknown[0], list(SYSTEMS)))
    return [SYSTEMS[n] for n in names]


def plan(options: MatrixOptions) -> list[TestSpec]:
    """Every run of the matrix, in a deterministic order."""
    specs = []
    for entry in select_systems(options.systems):
        nemeses = list(getattr(entry, "nemeses", DEFAULT_NEMESES))
        for workload in entry.workloads:
            get_workload(workload)  # a missing one is a bug (tests/registry), not a skip
            for seed in range(options.seeds):
                specs.append(
                    TestSpec(
                        system=entry.name,
                        workload=workload,
                        nemesis=nemeses,
                        seed=seed,
                        time_limit=options.time_limit,
                        rate=options.rate,
                        concurrency=options.concurrency,
                        nemesis_interval=max(0.5, options.time_limit / 5),
                        workload_options=dict(entry.workload_options.get(workload, {})),
                    )
                )
    return specs
