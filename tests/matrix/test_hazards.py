"""Every named hazard is found by the matrix's own plan within its default budget.

Guards the scenario declarations (a scenario that stops exposing its system's hazard, or a
hazard whose column no checker speaks for, fails here) and the search (a probe must stop
on its hazard's first violation, and not before one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ddialab.matrix import MatrixOptions
from ddialab.matrix._plan import probes
from ddialab.matrix._search import search
from systems import SYSTEMS

HAZARDOUS = [e for e in SYSTEMS.values() if e.hazards]
BUDGET = MatrixOptions().seeds


def test_the_named_unsafe_systems_declare_hazards() -> None:
    """Guards that the coverage figure counts every system named unsafe in its description."""
    named = {e.name for e in SYSTEMS.values() if "named unsafe" in e.description}
    # not yet demonstrated by any scenario (reported as open work, not hidden)
    undeclared = {"multi-leader-no-resolution", "bitcask-unsafe-tombstones"}
    assert named - {e.name for e in HAZARDOUS} == undeclared
    assert len(HAZARDOUS) >= 14


@pytest.mark.parametrize("entry", HAZARDOUS, ids=lambda e: e.name)
def test_the_default_plan_demonstrates_the_hazard(entry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Runs the system's hazard probes as the default matrix does; the hazard column is
    violated within the budget and the probe stopped at that seed (not the budget's end)."""
    found = [p for p in probes(MatrixOptions(systems=(entry.name,))) if p.hazard]
    assert {p.hazard for p in found} == set(entry.hazards)
    runs = search(found, BUDGET, str(tmp_path), jobs=1)
    for hazard in entry.hazards:
        hits = [r for r in runs if r["verdicts"].get(hazard) is False]
        assert hits, f"{entry.name}: {hazard} not violated in {BUDGET} seeds"
        last = max(r["spec"]["seed"] for r in runs if r["label"] == hits[0]["label"])
        assert last == hits[0]["spec"]["seed"]  # the search stopped on the first violation
        assert hits[0]["replay"].startswith(f"ddialab run --system {entry.name}")
