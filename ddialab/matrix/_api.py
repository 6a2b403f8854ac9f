"""``run_matrix``: plan, execute (locally or on Dask), aggregate, write matrix.json/html."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ddialab.matrix._cells import build_rows, claimed_violations, matrix_document, run_key
from ddialab.matrix._execute import execute
from ddialab.matrix._plan import MatrixOptions, plan, select_systems


@dataclass
class MatrixResult:
    out_dir: str
    document: dict[str, Any]
    bugs: list[tuple[str, str]]
    runs: int
    seconds: float


def run_matrix(
    options: MatrixOptions,
    out_dir: str,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> MatrixResult:
    specs = plan(options)
    runs_root = os.path.join(out_dir, "runs")
    os.makedirs(runs_root, exist_ok=True)
    jobs = options.jobs or (os.cpu_count() or 1)
    t0 = time.perf_counter()
    summaries = []
    for summary in execute(specs, runs_root, jobs, executor, scheduler):
        summaries.append(summary)
        if progress:
            progress(summary)
    seconds = time.perf_counter() - t0
    rows = build_rows(select_systems(options.systems), summaries)
    description = (
        f"{options.seeds} seed(s) per system and workload, {options.time_limit:g} s of "
        f"simulated time each, {len(specs)} runs"
    )
    doc = matrix_document(rows, description)
    _write(out_dir, doc, summaries)
    return MatrixResult(out_dir, doc, claimed_violations(rows), len(specs), seconds)


def _write(out_dir: str, doc: dict[str, Any], summaries: list[dict[str, Any]]) -> None:
    with open(os.path.join(out_dir, "matrix.json"), "w", encoding="utf-8") as f:
        json.dump({**doc, "runs": _sorted(summaries)}, f, indent=1, sort_keys=True, default=str)
        f.write("\n")
    try:
        from reports import render_matrix
    except ImportError:
        return
    render_matrix(doc, os.path.join(out_dir, "matrix.html"))


def _sorted(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(summaries, key=run_key)
