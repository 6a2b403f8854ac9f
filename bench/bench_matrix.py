"""Matrix throughput: runs per minute and simulated ops per second, serial vs parallel.

    .venv/bin/python bench/bench_matrix.py                     # 1 and 2 processes
    .venv/bin/python bench/bench_matrix.py --seeds 4 --jobs 1 2 --time-limit 5

Runs the matrix over the single-node systems (every workload they support) into a
temporary directory and reports wall time, runs/minute and history ops/second of wall
time.  The cells must come out identical for every --jobs value (checked here too).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from ddialab.matrix import MatrixOptions, run_matrix

SYSTEMS = ("single-node", "single-node-ack-before-fsync")


def cells(doc: dict) -> dict:
    return {
        (r["system"], g): (c if isinstance(c, str) else c["status"])
        for r in doc["rows"]
        for g, c in r["cells"].items()
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--time-limit", type=float, default=5.0)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    args = p.parse_args()
    print(f"{'jobs':>4} {'runs':>5} {'seconds':>8} {'runs/min':>9} {'ops/s':>9}")
    reference = None
    for jobs in args.jobs:
        opts = MatrixOptions(args.seeds, args.time_limit, tuple(args.systems), jobs)
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            result = run_matrix(opts, out)
            seconds = time.perf_counter() - t0
            with open(f"{out}/matrix.json") as f:
                runs = json.load(f)["runs"]
        ops = sum(r["ops"] for r in runs)
        print(f"{jobs:>4} {result.runs:>5} {seconds:>8.1f} {result.runs * 60 / seconds:>9.0f}"
              f" {ops / seconds:>9.0f}")  # fmt: skip
        reference = reference or cells(result.document)
        assert cells(result.document) == reference, "cells differ between --jobs values"


if __name__ == "__main__":
    main()
