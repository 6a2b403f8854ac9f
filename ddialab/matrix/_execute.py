"""Running the matrix's independent runs: in-process, on a local process pool, or on Dask.

Every run is a pure function of its spec (deterministic simulation, pure checkers), so
where it runs cannot change its result: ``run_one`` returns the same summary on a worker
process, on a Dask worker, or here.  Workers return small summaries, not histories.

One local pool (``worker_pool``) serves the whole matrix: every wave of the search and
the shrinking after it (starting spawned workers costs about a second each, which a pool
per wave paid again and again).
"""

from __future__ import annotations

import os
import queue
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.pool import Pool
from typing import Any

from ddialab.errors import UsageError
from ddialab.matrix._guarantees import verdicts
from ddialab.runner import TestSpec, run


def run_one(spec_dict: dict[str, Any], root: str, label: str = "") -> dict[str, Any]:
    """Run one spec of the probe ``label`` into ``root``; return its summary (picklable,
    small).  ``probe`` in the summary is ``system/label``."""
    spec = TestSpec.from_dict(spec_dict)
    out = os.path.join(root, _run_name(spec, label))
    result = run(spec, out=out)
    from ddialab.runner import replay_command

    return {
        "probe": f"{spec.system}/{label}",
        "label": label,
        "spec": spec.to_dict(),
        "run_dir": result.run_dir,
        "valid": result.valid,
        "verdicts": verdicts(result.results),
        "results": _slim(result.results),
        "replay": replay_command(spec),
        "shrink": f"ddialab shrink {result.run_dir}",
        "ops": result.ops,
    }


def _run_name(spec: TestSpec, label: str) -> str:
    return f"{spec.system}__{label or spec.workload}__seed{spec.seed}"


def _slim(results: dict[str, Any]) -> dict[str, Any]:
    keep = ("valid", "anomaly_types", "not", "also_not", "guarantees", "counts", "findings")
    return {
        "checkers": {
            name: {k: r[k] for k in keep if k in r} for name, r in results["checkers"].items()
        }
    }


def execute(
    specs: Sequence[tuple[TestSpec, str]],
    root: str,
    jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    pool: Pool | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield each (spec, probe label)'s summary as it finishes (order depends on the
    executor); on ``pool`` when given (see ``worker_pool``)."""
    args = [(s.to_dict(), root, label) for s, label in specs]
    if executor == "dask":
        yield from _dask(args, scheduler)
    elif executor != "local":
        raise UsageError(f"unknown executor {executor!r}; use local or dask")
    elif pool is not None:
        yield from pool.imap_unordered(_run_one_args, args)
    elif jobs <= 1:
        for a in args:
            yield run_one(*a)
    else:
        with worker_pool(jobs) as own:
            yield from execute(specs, root, pool=own)


@contextmanager
def worker_pool(jobs: int, executor: str = "local") -> Iterator[Pool | None]:
    """One pool of ``jobs`` spawned workers for a whole matrix (``None`` when runs stay in
    this process or go to Dask).  The workers ignore SIGINT: Ctrl-C reaches only this
    process, whose ``with`` exit terminates the pool at once (no queued run starts)."""
    if executor != "local" or jobs <= 1:
        yield None
        return
    with get_context("spawn").Pool(jobs, initializer=_ignore_sigint) as pool:
        yield pool


def pipeline(
    pool: Pool,
    root: str,
    first: Sequence[tuple[TestSpec, str]],
    after: Callable[[dict[str, Any]], tuple[TestSpec, str] | None],
) -> None:
    """Run ``first`` on ``pool``; as each summary returns, ``after(summary)`` may name the
    next (spec, label) to queue.  Returns when nothing is running or queued."""
    done: queue.Queue[Any] = queue.Queue()

    def submit(spec: TestSpec, label: str) -> None:
        args = ((spec.to_dict(), root, label),)
        pool.apply_async(_run_one_args, args, callback=done.put, error_callback=done.put)

    for spec, label in first:
        submit(spec, label)
    pending = len(first)
    while pending:
        summary = _next(done)
        pending -= 1
        nxt = after(summary)
        if nxt is not None:
            submit(*nxt)
            pending += 1


def _next(done: queue.Queue[Any]) -> dict[str, Any]:
    """The next summary (re-raising a worker's exception); polls so Ctrl-C gets through."""
    while True:
        try:
            item = done.get(timeout=0.2)
        except queue.Empty:
            continue
        if isinstance(item, BaseException):
            raise item
        return dict(item)


def map_tasks(fn: Callable[[Any], Any], args: Sequence[Any], pool: Pool | None) -> list[Any]:
    """``fn`` over ``args`` on ``pool`` (or here), results in ``args``' order."""
    if pool is None:
        return [fn(a) for a in args]
    return pool.map(fn, args, chunksize=1)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_one_args(a: tuple[dict[str, Any], str, str]) -> dict[str, Any]:
    return run_one(*a)


def _dask(
    args: list[tuple[dict[str, Any], str, str]], scheduler: str | None
) -> Iterator[dict[str, Any]]:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise UsageError(
            "--executor dask needs dask.distributed: pip install 'ddialab[dask]'"
        ) from None
    if not scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    with Client(scheduler) as client:
        futures = [client.submit(run_one, *a, pure=False) for a in args]
        for f in dask_completed(futures):
            yield f.result()
