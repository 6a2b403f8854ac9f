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
result is independent of the executor and of the order runs finish in: which seeds of a
probe run depends only on that probe's earlier summaries, which are pure functions of
their specs.  That is also why the waves need no barrier: on the local worker pool the
search is *pipelined* -- a probe's next seed is queued the moment its previous run
returns, so no worker idles while a wave's slowest run (a 10 s scenario) finishes -- and
it runs exactly the runs the waves would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ddialab.matrix._execute import execute, pipeline
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
    if run is execute and executor.get("pool") is not None:
        _pipelined(all_probes, seeds, root, executor["pool"], seen, progress)
        return [s for p in all_probes for s in sorted(seen[p.key], key=_seed)]
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


def _pipelined(
    all_probes: Sequence[Probe],
    seeds: int,
    root: str,
    pool: Any,
    seen: dict[str, list[dict[str, Any]]],
    progress: Progress | None,
) -> None:
    """The waves without their barrier: each probe's next seed follows its last run."""
    by_key = {p.key: p for p in all_probes}

    def after(summary: dict[str, Any]) -> tuple[Any, str] | None:
        p = by_key[summary["probe"]]
        seen[p.key].append(summary)
        if progress:
            progress(summary)
        seed = int(summary["spec"]["seed"]) + 1
        go_on = not finished(p, seen[p.key]) and seed < p.seeds(seeds)
        return (p.spec(seed), p.label) if go_on else None

    first = [(p.spec(0), p.label) for p in all_probes if p.seeds(seeds) > 0]
    pipeline(pool, root, first, after)


def finished(probe: Probe, runs: list[dict[str, Any]]) -> bool:
    """Whether another seed of ``probe`` could show anything new."""
    violated = {g for r in runs for g, v in r["verdicts"].items() if v is False}
    if probe.hazard is not None and probe.hazard in violated:
        return True
    spoken = {g for r in runs for g in r["verdicts"]}
    return bool(spoken) and spoken <= violated


def _seed(summary: dict[str, Any]) -> int:
    return int(summary["spec"]["seed"])
