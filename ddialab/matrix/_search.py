"""The matrix's search: each probe tries seeds until it has shown what it can, or its
budget (``MatrixOptions.seeds``) is spent.

Theory of operation
-------------------
The search runs in *waves*: wave ``k`` runs seed ``k`` of every probe still searching, all
at once (on the local pool or Dask), then decides which probes stop.  A probe stops early

* when it names a ``hazard`` and a run violated that guarantee (the cell has its ✗ with a
  seed to replay), or
* when every guarantee its runs speak for has been violated by one of them (nothing left
  for another seed to find).

A probe of a safe system therefore uses the whole budget: "held" rests on every seed.  The
waves make the result independent of the executor and of the order runs finish in: which
seeds run depends only on the summaries of earlier waves, which are pure functions of
their specs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ddialab.matrix._execute import execute
from ddialab.matrix._plan import Probe

Progress = Callable[[dict[str, Any]], None]


def search(
    all_probes: Sequence[Probe],
    seeds: int,
    root: str,
    run: Callable[..., Any] = execute,
    progress: Progress | None = None,
    **executor: Any,
) -> list[dict[str, Any]]:
    """Every run the search made (its summary carries ``probe``, the probe's key)."""
    seen: dict[str, list[dict[str, Any]]] = {p.key: [] for p in all_probes}
    active = list(all_probes)
    for seed in range(seeds):
        if not active:
            break
        args = [(p.spec(seed), p.label) for p in active]
        for summary in run(args, root, **executor):
            seen[summary["probe"]].append(summary)
            if progress:
                progress(summary)
        active = [p for p in active if not finished(p, seen[p.key]) and seed + 1 < p.seeds(seeds)]
    return [s for p in all_probes for s in sorted(seen[p.key], key=_seed)]


def finished(probe: Probe, runs: list[dict[str, Any]]) -> bool:
    """Whether another seed of ``probe`` could show anything new."""
    violated = {g for r in runs for g, v in r["verdicts"].items() if v is False}
    if probe.hazard is not None and probe.hazard in violated:
        return True
    spoken = {g for r in runs for g in r["verdicts"]}
    return bool(spoken) and spoken <= violated


def _seed(summary: dict[str, Any]) -> int:
    return int(summary["spec"]["seed"])
