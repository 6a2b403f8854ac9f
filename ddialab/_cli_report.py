"""``ddialab report``: (re-)render a run directory's report.html, the matrix page, or the
report of any history file (``--checker``; see ``ddialab._cli_anyreport``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ddialab import _cli_anyreport
from ddialab.errors import EXIT_VALID, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="render a run directory's report.html, a matrix.json, or any history's report",
        description="Write RUN_DIR/report.html from the run's history.jsonl, test.json, "
        "results.json (and messages.jsonl when present): one self-contained HTML file. "
        "With --matrix, render a systems x guarantees matrix.json instead. "
        "Given a history FILE (Jepsen EDN, elle-cli, Porcupine, JSONL) and --checker, check "
        "it and write the same page to ./NAME.html (for store/NAME.edn) or to --out. "
        "Exit 0 when a run's page is written, 3 when RUN_DIR is not a run directory or a "
        "file is malformed; for a history FILE, the check's verdict (0 valid, 1 invalid, "
        "4 unknown).",
    )
    p.add_argument(
        "run_dirs", nargs="*", metavar="RUN_DIR|FILE", help="run directory or history file"
    )
    p.add_argument("--matrix", metavar="MATRIX_JSON", help="render this matrix.json instead")
    p.add_argument(
        "-o",
        "--out",
        metavar="HTML",
        help="with --matrix (default: next to it) or history FILEs (default: ./NAME.html; "
        "a directory for several files): where to write",
    )
    _cli_anyreport.add_history_arguments(p)
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from reports import render_matrix, render_run

    if args.matrix:
        if args.run_dirs:
            raise UsageError("give either RUN_DIRs or --matrix, not both")
        out = args.out or os.path.splitext(args.matrix)[0] + ".html"
        print(render_matrix(args.matrix, out))
        return EXIT_VALID
    for run_dir in args.run_dirs:
        refuse_matrix_dir(run_dir)
    if _cli_anyreport.is_history_request(args):
        return _cli_anyreport.report_histories(args)
    if args.out:
        raise UsageError(
            "--out applies to --matrix and to history files (a run's report is RUN_DIR/report.html)"
        )
    if not args.run_dirs:
        raise UsageError("give a run directory, a history file with --checker, or --matrix")
    _cli_anyreport.refuse_stray_flags(args)
    for run_dir in args.run_dirs:
        print(render_run(run_dir))
    return EXIT_VALID


def refuse_matrix_dir(path: str) -> None:
    """A matrix directory is not a run directory: say which flag renders it."""
    matrix = os.path.join(path, "matrix.json")
    if os.path.isfile(matrix) and not os.path.exists(os.path.join(path, "history.jsonl")):
        raise UsageError(
            f"{path} is a matrix directory, not a run directory; "
            f"did you mean `ddialab report --matrix {matrix}`?"
        )
