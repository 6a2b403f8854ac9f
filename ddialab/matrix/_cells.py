"""From run summaries to the matrix: one row per system, one cell per guarantee.

A cell compares what the system *claims* with what the runs *showed*:

* ``violated``         -- some run violated the guarantee (the first such run, by seed, is
  linked with its replay command).  If the system claims it, that is a bug in the system
  (``expected: held``); if not, the weakness was demonstrated (``expected: violated``);
* ``held``             -- claimed, and every run that could tell found no violation;
* ``not-demonstrated`` -- not claimed and no violation found in the runs, or the checks
  were inconclusive (``unknown``);
* ``not-applicable``   -- no run of this system had a checker that speaks for it.

A system's claims here are those of the system as built plus the entry's ``promises``
(columns beyond the twelve guarantees, e.g. ``no-lost-updates`` for a fenced lock),
closed under implication (``claimed_columns``): a system claiming serializable is
judged on repeatable-read, read-committed and read-uncommitted too.
*Coverage* counts the entries' declared ``hazards``: a hazard is demonstrated when its
cell is ``violated``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ddialab.matrix._guarantees import GUARANTEES, NAMES, anomalies_for, claimed_columns
from systems import SystemEntry


def build_rows(
    entries: Iterable[SystemEntry], summaries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    ordered = sorted(summaries, key=run_key)
    rows = []
    for entry in entries:
        runs = [s for s in ordered if s["spec"]["system"] == entry.name]
        rows.append(_row(entry, runs))
    return rows


def run_key(summary: dict[str, Any]) -> tuple[str, str, int]:
    spec = summary["spec"]
    return spec["system"], summary.get("label") or spec["workload"], spec["seed"]


def _row(entry: SystemEntry, runs: list[dict[str, Any]]) -> dict[str, Any]:
    # the system as the matrix runs it (its defaults), and what the entry promises, with
    # every column those imply (the lattice): the row's claims are the closure
    claims = claimed_columns(entry.build().claims | entry.promises)
    return {
        "system": entry.name,
        "label": entry.name,
        "options": dict(entry.defaults),
        "claims": sorted(claims),
        "note": entry.description,
        "hazards": list(entry.hazards),
        "scenarios": [s.name for s in entry.scenarios],
        "cells": {g: _cell(g, g in claims, runs) for g in NAMES},
    }


def _cell(guarantee: str, claimed: bool, runs: list[dict[str, Any]]) -> Any:
    seen = [(r, r["verdicts"][guarantee]) for r in runs if guarantee in r["verdicts"]]
    if not seen:
        return "not-applicable"
    base: dict[str, Any] = {"runs": len(seen)}
    bad = [r for r, v in seen if v is False]
    if bad:
        first = bad[0]
        return {
            **base,
            "status": "violated",
            "expected": "held" if claimed else "violated",
            "run_dir": first["run_dir"],
            "seed": first["spec"]["seed"],
            "replay": first["replay"],
            "shrink": first.get("shrink"),
            "probe": first.get("label"),
            "anomalies": anomalies_for(first["results"], guarantee),
            "note": f"violated in {len(bad)} of {len(seen)} runs",
        }
    unknown = sum(1 for _, v in seen if v is not True)
    if claimed and not unknown:
        return {**base, "status": "held", "expected": "held"}
    note = f"{unknown} of {len(seen)} runs inconclusive" if unknown else "no violation found"
    return {**base, "status": "not-demonstrated", "note": note}


def claimed_violations(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(system, guarantee) pairs where a claimed guarantee was violated: bugs."""
    out = []
    for row in rows:
        for g, cell in row["cells"].items():
            if isinstance(cell, dict) and cell.get("status") == "violated" and g in row["claims"]:
                out.append((row["system"], g))
    return out


def coverage(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How many of the rows' declared hazards have a ✗ cell, and which have not."""
    known = [(r["system"], g) for r in rows for g in r.get("hazards", [])]
    missing = [f"{s}: {g}" for s, g in known if _status(_row_of(rows, s)["cells"][g]) != "violated"]
    return {"known": len(known), "demonstrated": len(known) - len(missing), "missing": missing}


def _row_of(rows: list[dict[str, Any]], system: str) -> dict[str, Any]:
    return next(r for r in rows if r["system"] == system)


def _status(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(cell["status"])


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Cells by outcome: held, violated (as expected), claimed-and-violated (bugs), not
    demonstrated, not applicable."""
    out = dict.fromkeys(("held", "violated", "claimed-and-violated", "not-demonstrated",
                         "not-applicable"), 0)  # fmt: skip
    for r in rows:
        for g, c in r["cells"].items():
            status = _status(c)
            bug = status == "violated" and g in r["claims"]
            out["claimed-and-violated" if bug else status] += 1
    return out


def matrix_document(
    rows: list[dict[str, Any]], description: str, not_run: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "title": "ddialab: systems × guarantees",
        "description": description,
        "guarantees": GUARANTEES,
        "rows": rows,
        "coverage": coverage(rows),
        "counts": counts(rows),
        "not_run": not_run or [],
    }
