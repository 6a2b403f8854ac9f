"""``run_matrix``: probe, search (locally or on Dask), aggregate, shrink each demonstrated
hazard, write matrix.json/html.  One worker pool serves the search's waves and the shrinks."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ddialab.matrix._cells import build_rows, claimed_violations, matrix_document, run_key
from ddialab.matrix._execute import worker_pool
from ddialab.matrix._plan import MatrixOptions, not_run, probes, select_systems
from ddialab.matrix._search import search
from ddialab.matrix._shrink import shrink_hazards


@dataclass
class MatrixResult:
    out_dir: str
    document: dict[str, Any]
    bugs: list[tuple[str, str]]
    runs: int
    seconds: float
    #: one summary per shrunk hazard cell (``run_dir`` of the shrunk run, or ``error``)
    shrunk: list[dict[str, Any]]


def run_matrix(
    options: MatrixOptions,
    out_dir: str,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> MatrixResult:
    found = probes(options)
    runs_root = os.path.join(out_dir, "runs")
    os.makedirs(runs_root, exist_ok=True)
    jobs = options.jobs or (os.cpu_count() or 1)
    t0 = time.perf_counter()
    with worker_pool(jobs, executor) as pool:
        summaries = search(found, options.seeds, runs_root, progress=progress, jobs=jobs,
                           executor=executor, scheduler=scheduler, pool=pool)  # fmt: skip
        rows = build_rows(select_systems(options.systems, options.real), summaries)
        shrunk = shrink_hazards(rows, pool) if options.shrink else []
    seconds = time.perf_counter() - t0
    description = (
        f"{len(found)} probes (scenarios and the common partition/kill/pause mix), each "
        f"trying up to {options.seeds} seed(s) until it shows its hazard; "
        f"{len(summaries)} runs"
    )
    doc = matrix_document(rows, description, not_run(options.systems, options.real))
    _write(out_dir, doc, summaries)
    return MatrixResult(out_dir, doc, claimed_violations(rows), len(summaries), seconds, shrunk)


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
