"""A system claims every matrix column that one of its claims implies (the lattice).

Before, a system claiming ``serializable`` showed "not demonstrated" for repeatable read
and read uncommitted, and a violation there was not counted as a bug.  These tests guard
the closure (``claimed_columns``) and that rows, cells and bugs are judged by it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ddialab.matrix._cells import build_rows, claimed_violations
from ddialab.matrix._guarantees import NAMES, claimed_columns
from ddialab.vocabulary import MODELS, weaker
from systems import SYSTEMS


def test_serializable_claims_the_weaker_isolation_levels() -> None:
    """Guards the closure against a hand table or none at all: pinned literally."""
    assert claimed_columns({"serializable"}) == {
        "serializable", "snapshot-isolation", "repeatable-read", "read-committed",
        "read-uncommitted"}  # fmt: skip
    assert claimed_columns({"read-committed"}) == {"read-committed", "read-uncommitted"}
    assert "read-your-writes" in claimed_columns({"linearizable"})
    assert claimed_columns({"convergence", "no-lost-updates"}) == {
        "convergence", "no-lost-updates"}  # fmt: skip


@given(st.sets(st.sampled_from(NAMES)))
def test_the_closure_is_closed_and_adds_only_implied_columns(claims: set[str]) -> None:
    """Guards both directions: nothing a claim implies is left out, and nothing is added
    that no claim implies (a column stronger than every claim stays unclaimed)."""
    closed = claimed_columns(claims)
    assert claims <= closed
    for c in closed & MODELS.keys():
        assert weaker([c]) & set(NAMES) <= closed
    for added in closed - claims:
        assert any(c in MODELS and added in weaker([c]) for c in claims), added


def _run(verdicts: dict[str, Any]) -> dict[str, Any]:
    spec = {"system": "sqlite", "workload": "list-append", "seed": 1}
    return {"spec": spec, "verdicts": verdicts, "run_dir": "r", "replay": "x",
            "results": {"checkers": {}}}  # fmt: skip


def test_a_serializable_row_holds_and_is_held_to_repeatable_read() -> None:
    """Guards the matrix row: sqlite claims only ``serializable``, yet its repeatable-read
    and read-uncommitted cells are claimed -- held when the runs show no violation, a bug
    when they show one."""
    entry = SYSTEMS["sqlite"]
    assert entry.claims == {"serializable"}
    ok = {g: True for g in ("serializable", "repeatable-read", "read-uncommitted")}
    (row,) = build_rows([entry], [_run(ok)])
    assert {"repeatable-read", "read-uncommitted", "read-committed"} <= set(row["claims"])
    assert row["cells"]["repeatable-read"]["status"] == "held"
    assert row["cells"]["read-uncommitted"]["status"] == "held"
    assert "strict-serializable" not in row["claims"]
    (bad,) = build_rows([entry], [_run({**ok, "repeatable-read": False})])
    assert bad["cells"]["repeatable-read"]["expected"] == "held"
    assert claimed_violations([bad]) == [("sqlite", "repeatable-read")]
