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
from systems import SYSTEMS, SystemEntry

HAZARDOUS = [e for e in SYSTEMS.values() if e.hazards]
BUDGET = MatrixOptions().seeds


#: what a system's name says it breaks: name fragment -> the guarantee column
NAMED_BREAKS = {
    "ack-before-fsync": "durability", "no-wal": "durability",
    "unsafe-tombstones": "deletes-stay-deleted", "no-resolution": "convergence",
    "careless-failover": "convergence", "non-idempotent": "convergence",
    "dual-writes": "convergence", "upgrade-drops-unknown": "field-preservation",
    "forced-incompatible": "field-preservation", "lease-unsafe": "linearizable",
    "unfenced": "no-lost-updates", "commit-before-process": "messages-processed",
    "global-index": "index-consistency", "term-index-async": "index-consistency",
    "sync-nonatomic": "index-consistency",
    "no-txn": "multi-object-invariants", "leaderless-lww": "writes-follow-reads",
}  # fmt: skip


def _marked_unsafe(entry: SystemEntry) -> bool:
    return (
        "named unsafe" in entry.description
        or "(named:" in entry.description
        or any(fragment in entry.name for fragment in NAMED_BREAKS)
    )


@pytest.mark.parametrize("entry", [e for e in SYSTEMS.values() if _marked_unsafe(e)],
                         ids=lambda e: e.name)  # fmt: skip
def test_every_system_marked_unsafe_declares_the_hazard_its_name_says(entry: SystemEntry) -> None:
    """Guards the coverage figure: every entry whose name or description marks it unsafe
    declares a hazard (so a missing demonstration is counted, never invisible), and the
    one its name says it breaks (an ack-before-fsync system breaks durability, whatever
    else a crash also breaks)."""
    named = [g for fragment, g in NAMED_BREAKS.items() if fragment in entry.name]
    assert entry.hazards, f"{entry.name} is marked unsafe but declares no hazard"
    assert named, f"{entry.name}: add what its name says it breaks to NAMED_BREAKS"
    assert set(named) <= set(entry.hazards)


def test_every_declared_hazard_is_a_marked_unsafe_system() -> None:
    """Guards the enumeration above against drift: a system gaining a hazard but no unsafe
    marking (or a fragment in NAMED_BREAKS) is not silently left out of it."""
    assert {e.name for e in HAZARDOUS} == {e.name for e in SYSTEMS.values() if _marked_unsafe(e)}
    assert len(HAZARDOUS) >= 18


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
