"""Checker throughput on simulated histories of 1k, 10k and 100k ops.

    .venv/bin/python bench/bench_checkers.py                    # sizes 1k 10k 100k, c=5,20
    .venv/bin/python bench/bench_checkers.py --sizes 1000 10000 --concurrency 5

Histories come from the simulator itself (the single-node system, so every verdict is
"valid" and the checkers do their full work): the register workload (checked by
linearizable, session and register-simple) and list-append (checked by Elle).  Prints
simulated ops per wall second and each checker's ops per second; the cost's growth with
size and concurrency is the point.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

from checkers import get_checker
from ddialab.runner import TestSpec, simulate

CHECKS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "register": [
        ("linearizable", {"model": "cas-register", "independent": True, "init": None}),
        ("session", {}),
        ("register-simple", {}),
    ],
    "list-append": [("elle", {"model": "list-append", "consistency_model": "serializable"})],
}
RATE = 2000.0


def history_of(workload: str, size: int, concurrency: int, seed: int = 1) -> tuple[Any, float]:
    spec = TestSpec(
        workload=workload,
        seed=seed,
        concurrency=concurrency,
        rate=RATE,
        time_limit=size / (2 * RATE),
        op_timeout=1.0,
        workload_options={"keys": 20} if workload == "register" else {},
    )
    t0 = time.perf_counter()
    h = simulate(spec).history
    return h, time.perf_counter() - t0


def timed(name: str, options: dict[str, Any], history: Any) -> tuple[Any, float]:
    gc.collect()
    t0 = time.perf_counter()
    result = get_checker(name)(history, {**options, "time_limit": 600})
    return result["valid"], time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    p.add_argument("--concurrency", type=int, nargs="+", default=[5, 20])
    args = p.parse_args()
    print(f"{'workload':<12} {'c':>3} {'ops':>7} {'sim ops/s':>10}  checker: ops/s (verdict)")
    for workload, checks in CHECKS.items():
        for c in args.concurrency:
            for size in args.sizes:
                h, sim_s = history_of(workload, size, c)
                cells = []
                for name, opts in checks:
                    valid, s = timed(name, opts, h)
                    cells.append(f"{name}: {len(h) / s:,.0f} ({valid})")
                print(f"{workload:<12} {c:>3} {len(h):>7} {len(h) / sim_s:>10,.0f}  "
                      + "  ".join(cells), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
