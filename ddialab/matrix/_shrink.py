"""Shrinking each demonstrated hazard to a small counterexample.

Theory of operation
-------------------
A hazard cell's ✗ links the first violating run of its probes (the lowest seed).  That run
is usually seconds of traffic under many faults; the shrinker (``ddialab shrink``) re-runs
it with fewer faults, less time, fewer clients and fewer ops while the same anomaly type
stays, and writes the smallest failing run beside it (``RUN_DIR-shrunk``).  The matrix
shrinks only hazard cells (the demonstrations it exists for), each within ``MAX_RUNS``
simulations so the default matrix stays within its time budget; the shrinker is
deterministic, so the shrunk run is a pure function of the cell's run, like everything
else in ``matrix.json``.

The tasks run on the matrix's one worker pool.  A shrink that cannot proceed (the anomaly
did not reproduce from the saved schedule, a real system's run) is recorded on the cell
as ``{"error": ...}``: the ✗ and its seed stand, only the link is missing.
"""

from __future__ import annotations

import os
from typing import Any

from ddialab.errors import DdialabError
from ddialab.matrix._execute import map_tasks

#: simulations one hazard cell's shrink may spend
MAX_RUNS = 12


def shrink_hazards(rows: list[dict[str, Any]], pool: Any = None) -> list[dict[str, Any]]:
    """Shrink the run behind every violated hazard cell; put ``shrunk`` on the cell and
    return the shrink summaries (one per cell, in row order)."""
    cells = [c for r in rows for c in _hazard_cells(r)]
    # the biggest histories first, so the pool's last task is a short one
    order = sorted(range(len(cells)), key=lambda i: -_size(cells[i]["run_dir"]))
    tasks = [(cells[i]["run_dir"], _target(cells[i])) for i in order]
    for i, summary in zip(order, map_tasks(_shrink_task, tasks, pool), strict=True):
        cells[i]["shrunk"] = summary
    return [c["shrunk"] for c in cells]


def _size(run_dir: str) -> int:
    path = os.path.join(run_dir, "history.jsonl")
    return os.path.getsize(path) if os.path.exists(path) else 0


def _hazard_cells(row: dict[str, Any]) -> list[dict[str, Any]]:
    cells = [row["cells"][g] for g in row.get("hazards", [])]
    return [c for c in cells if isinstance(c, dict) and c.get("status") == "violated"]


def _target(cell: dict[str, Any]) -> str | None:
    """The anomaly to keep: the first one behind this guarantee's ✗ (else the run's first)."""
    anomalies = cell.get("anomalies") or []
    return str(anomalies[0]) if anomalies else None


def _shrink_task(task: tuple[str, str | None]) -> dict[str, Any]:
    run_dir, anomaly = task
    try:
        summary = shrink_one(run_dir, anomaly)
    except DdialabError as e:
        return {"source": run_dir, "error": str(e)}
    keep = ("source", "run_dir", "anomaly", "reproduced", "before", "after", "runs")
    return {k: summary[k] for k in keep}


def shrink_one(run_dir: str, anomaly: str | None) -> dict[str, Any]:
    """The one call of the shrinker's library function (``RUN_DIR-shrunk``)."""
    from ddialab.runner import shrink_run

    return shrink_run(run_dir, anomaly=anomaly, max_runs=MAX_RUNS)
