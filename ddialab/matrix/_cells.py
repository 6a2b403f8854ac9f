"""From run summaries to the matrix: one row per system, one cell per guarantee.

A cell compares what the system *claims* with what the runs *showed*:

* ``violated``         -- some run violated the guarantee (the first such run, by seed, is
  linked with its replay command).  If the system claims it, that is a bug in the system
  (``expected: held``); if not, the weakness was demonstrated (``expected: violated``);
* ``held``             -- claimed, and every run that could tell found no violation;
* ``not-demonstrated`` -- not claimed and no violation found in the runs, or the checks
  were inconclusive (``unknown``);
* ``not-applicable``   -- no run of this system had a checker that speaks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ddialab.matrix._guarantees import GUARANTEES, NAMES, anomalies_for
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
    return spec["system"], spec["workload"], spec["seed"]


def _row(entry: SystemEntry, runs: list[dict[str, Any]]) -> dict[str, Any]:
    claims = entry.build().claims  # the system as the matrix runs it (its defaults)
    return {
        "system": entry.name,
        "label": entry.name,
        "options": dict(entry.defaults),
        "claims": sorted(claims),
        "note": entry.description,
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


def matrix_document(rows: list[dict[str, Any]], description: str) -> dict[str, Any]:
    return {
        "title": "ddialab: systems × guarantees",
        "description": description,
        "guarantees": GUARANTEES,
        "rows": rows,
    }
