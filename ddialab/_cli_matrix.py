"""``ddialab matrix``: every simulated system x guarantee, checked over K seeds."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from ddialab.errors import EXIT_INVALID, EXIT_VALID
from ddialab.matrix import MatrixOptions, plan, run_matrix
from ddialab.runner import check_range
from reports import BUG, LEGEND


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "matrix",
        help="run every simulated system against its workloads and faults; systems x guarantees",
        description="Runs each system (each option set) against its workloads under faults "
        "for K seeds and writes matrix.json and matrix.html. Exit 1 if a system violated a "
        "guarantee it claims.",
    )
    p.add_argument(
        "--seeds",
        type=int,
        default=MatrixOptions.seeds,
        help="the most seeds each probe tries (it stops on its hazard)",
    )
    p.add_argument(
        "--real", action="store_true", help="also run the real datastores (starts private servers)"
    )
    p.add_argument(
        "--no-shrink",
        action="store_true",
        help="do not shrink the run behind each demonstrated hazard",
    )
    p.add_argument("--time-limit", type=float, default=5.0, help="simulated seconds per run")
    p.add_argument("--systems", nargs="*", default=[], help="only these systems")
    p.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")
    p.add_argument("--out", help="output directory (default: runs/matrix-<time>)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address, with --executor dask")
    p.set_defaults(func=run_matrix_cmd)


def run_matrix_cmd(args: argparse.Namespace) -> int:
    check_range("--seeds", args.seeds, lambda v: v >= 1, ">= 1")
    check_range("--time-limit", args.time_limit, lambda v: v > 0, "> 0")
    if args.jobs is not None:
        check_range("--jobs", args.jobs, lambda v: v >= 1, ">= 1")
    options = MatrixOptions(
        seeds=args.seeds,
        time_limit=args.time_limit,
        systems=tuple(args.systems),
        jobs=args.jobs or 0,
        real=args.real,
        shrink=not args.no_shrink,
    )
    out = args.out or os.path.join("runs", time.strftime("matrix-%Y%m%dT%H%M%S"))
    total = len(plan(options))
    with _progress(total) as advance:
        result = run_matrix(options, out, args.executor, args.scheduler, advance)
    _print_table(result)
    return EXIT_INVALID if result.bugs else EXIT_VALID


class _progress:
    """A rich progress bar on a terminal; one line per run elsewhere."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.bar: Any = None

    def __enter__(self) -> Any:
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("matrix", total=self.total)
        return self.advance

    def advance(self, summary: dict[str, Any]) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1)
        else:
            s = summary["spec"]
            print(
                f"[{self.done}/{self.total}] {s['system']} {s['workload']} seed {s['seed']}: "
                f"{_word(summary['valid'])}",
                file=sys.stderr,
                flush=True,
            )

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def _word(v: Any) -> str:
    return {True: "valid", False: "INVALID"}.get(v, "unknown")


#: the one legend (``reports.LEGEND``), shared with matrix.html: status -> mark
SYMBOL = {status: mark for status, (mark, _) in LEGEND.items()}
SHORT = {"linearizable": "lin", "strict-serializable": "sser", "serializable": "ser",
         "snapshot-isolation": "si", "repeatable-read": "rr", "read-committed": "rc",
         "read-uncommitted": "ru", "read-your-writes": "ryw", "monotonic-reads": "mr",
         "monotonic-writes": "mw", "writes-follow-reads": "wfr", "consistent-prefix": "cp",
         "convergence": "conv", "durability": "dur", "field-preservation": "flds",
         "index-consistency": "idx", "no-lost-updates": "lock", "messages-processed": "proc",
         "multi-object-invariants": "inv",
         "deletes-stay-deleted": "del"}  # fmt: skip


def _print_table(result: Any) -> None:
    names = [g["name"] for g in result.document["guarantees"]]
    print(f"{'system':<34}" + " ".join(f"{SHORT.get(n, n[:4]):>4}" for n in names))
    for row in result.document["rows"]:
        cells = []
        for n in names:
            cell = row["cells"][n]
            status = cell if isinstance(cell, str) else cell["status"]
            bug = status == "violated" and n in row["claims"]
            cells.append(f"{SYMBOL[BUG if bug else status]:>4}")
        print(f"{row['system']:<34}" + " ".join(cells))
    print("key: " + ", ".join(f"{SHORT.get(n, n[:4])}={n}" for n in names))
    print("  ".join(f"{mark} {text.split(':')[0]}" for mark, text in LEGEND.values()))
    _print_summary(result.document, bool(result.bugs))
    _print_shrunk(result.shrunk)
    print(f"matrix: {os.path.join(result.out_dir, 'matrix.html')}")
    for system, g in result.bugs:
        print(f"BUG: {system} claims {g} but violated it", file=sys.stderr)
    print(f"{result.runs} runs in {result.seconds:.1f} s")


def _print_summary(doc: dict[str, Any], bugs: bool) -> None:
    c, cov = doc["counts"], doc["coverage"]
    print(f"{c['held']} held, {c['violated']} violated, {c['claimed-and-violated']} claimed and "
          f"violated, {c['not-demonstrated']} not demonstrated")  # fmt: skip
    print(f"{cov['demonstrated']} of {cov['known']} known hazards demonstrated"
          + (": missing " + "; ".join(cov["missing"]) if cov["missing"] else ""))  # fmt: skip
    for item in doc.get("not_run", []):
        print(f"{item['system']}: {item['reason']}")
    why = "a system violated a guarantee it claims" if bugs else "no claimed guarantee violated"
    print(f"exit {EXIT_INVALID if bugs else EXIT_VALID}: {why}")


def _print_shrunk(shrunk: list[dict[str, Any]]) -> None:
    """One line per shrunk hazard run: where it is and how small it got."""
    for s in shrunk:
        if "error" in s:
            print(f"not shrunk: {s['source']}: {s['error']}")
            continue
        b, a = s["before"], s["after"]
        print(f"shrunk {s['anomaly']}: {s['run_dir']} ({b['ops']} -> {a['ops']} ops, "
              f"{b['faults']} -> {a['faults']} faults)")  # fmt: skip
