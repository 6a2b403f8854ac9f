"""``ddialab shrink RUN_DIR``: the command line of ``ddialab.runner.shrink_run``.

The search itself (what shrinks, in which order, why ddmin) is documented and implemented
in ``ddialab/runner/_shrink.py``; this module only parses arguments and prints the summary.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from ddialab.errors import EXIT_INVALID, EXIT_VALID, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "shrink",
        help="find a smaller run that fails with the same anomaly type",
        description="Re-run a failing run directory with fewer faults, a shorter time, "
        "lower concurrency and fewer ops, keeping the anomaly type; write the smallest "
        "failing run as a new run directory (deterministic for a given run directory).",
    )
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--anomaly", help="anomaly type to keep (default: the first reported)")
    p.add_argument("--out", help="output run directory (default: RUN_DIR-shrunk)")
    p.add_argument("--max-runs", type=int, default=60, help="simulations at most (60)")
    p.add_argument(
        "--engine",
        choices=["ddmin", "hypothesis"],
        default="ddmin",
        help="search: greedy ddmin/bisection (default) or hypothesis.find (for comparison)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=shrink_cmd)


def shrink_cmd(args: argparse.Namespace) -> int:
    from ddialab.runner import shrink_run

    if args.max_runs < 1:
        raise UsageError("--max-runs must be >= 1")
    t0 = time.perf_counter()
    summary = shrink_run(args.run_dir, args.out, args.anomaly, args.max_runs, args.engine)
    seconds = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps({**summary, "seconds": seconds}))
    else:
        b, a = summary["before"], summary["after"]
        print(f"anomaly {summary['anomaly']}: {summary['runs']} runs in {seconds} s")
        for k in ("ops", "faults", "time_limit", "concurrency", "rate"):
            print(f"  {k:<12} {b[k]:>8} -> {a[k]}")
        print(f"run directory: {summary['run_dir']}")
    return EXIT_INVALID if summary["reproduced"] else EXIT_VALID
