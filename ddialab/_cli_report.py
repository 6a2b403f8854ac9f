"""``ddialab report``: (re-)render a run directory's report.html, or the matrix page."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ddialab.errors import EXIT_VALID, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="render a run directory's report.html (or a matrix.json) again",
        description="Write RUN_DIR/report.html from the run's history.jsonl, test.json, "
        "results.json (and messages.jsonl when present): one self-contained HTML file. "
        "With --matrix, render a systems x guarantees matrix.json instead. "
        "Exit 0 when written, 3 when RUN_DIR is not a run directory or a file is malformed.",
    )
    p.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="run directory to render")
    p.add_argument("--matrix", metavar="MATRIX_JSON", help="render this matrix.json instead")
    p.add_argument(
        "-o", "--out", metavar="HTML", help="with --matrix: where to write (default: next to it)"
    )
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from reports import render_matrix, render_run

    if args.matrix:
        if args.run_dirs:
            raise UsageError("give either RUN_DIRs or --matrix, not both")
        out = args.out or os.path.splitext(args.matrix)[0] + ".html"
        print(render_matrix(args.matrix, out))
        return EXIT_VALID
    if args.out:
        raise UsageError("--out only applies to --matrix (a run's report is RUN_DIR/report.html)")
    if not args.run_dirs:
        raise UsageError("give a run directory (or --matrix MATRIX_JSON)")
    for run_dir in args.run_dirs:
        print(render_run(run_dir))
    return EXIT_VALID
