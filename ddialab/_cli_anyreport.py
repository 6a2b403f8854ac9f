"""A report for any history: ``ddialab check ... --report`` and ``ddialab report FILE``.

Theory of operation
-------------------
Both forms read a history (any known format, or a run directory's history), run one
checker over it and hand the ops, the result and a *source spec* (path, format, checker,
options) to ``reports.render_history``, which renders the run report's page without a
run directory.

``ddialab check PATH... --report OUT`` writes one report per input.  With one input OUT is
the HTML file; with several, OUT must be a directory (an existing one, or a path ending
in ``/``, created): each input gets ``OUT/<name>.html`` (``<name>-2.html``... when two
inputs share a name).  Anything else is a usage error, raised before any file is read.
``_cli_check`` calls :func:`plan_reports` before its loop and :func:`report_one` after
each check; the verdict, its printing and the exit code stay the check's.

``ddialab report FILE --checker C [--model M ...]`` is the same for one or more history
files, written to the current directory (``store/h.edn`` -> ``h.html``) or to
``--out``; its exit code is the verdict's, as for ``check``.  ``_cli_report`` keeps run
directories and ``--matrix`` and sends history files here (:func:`report_histories`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ddialab.errors import UsageError

#: The check options ``ddialab report`` takes for a history file (flag -> help).
HISTORY_FLAGS = {
    "--model": "model (linearizable: register, cas-register, kv, ...; elle: list-append, ...)",
    "--init": "initial model state, as JSON (e.g. 0, null, '{\"x\": 0}')",
    "--consistency-model": "judge against this model (e.g. serializable)",
    "--guarantee": "session checker: check only this guarantee",
    "--format": "force the input format (jsonl, edn, jepsen-log, ...)",
}


def add_history_arguments(p: argparse.ArgumentParser) -> None:
    """``ddialab report``'s flags for a history file (the ``check`` flags it needs)."""
    p.add_argument("--checker", "-c", help="check a history FILE with this checker")
    for flag, text in HISTORY_FLAGS.items():
        p.add_argument(flag, help=text)
    p.add_argument(
        "--independent",
        action=argparse.BooleanOptionalAction,
        help="values are [key, v] pairs (default: the checker's)",
    )
    p.add_argument("--time-limit", type=float, help="seconds before the verdict is 'unknown'")


# --- ddialab check --report ------------------------------------------------------------------


def plan_reports(args: argparse.Namespace) -> None:
    """Decide each input's report file (``args.report_plan``) or raise ``UsageError``."""
    out = getattr(args, "report", None)
    args.report_plan = targets(args.paths, out) if out else {}


def targets(paths: list[str], out: str) -> dict[str, str]:
    """Input path -> report file; a directory ``out`` for several inputs."""
    if not is_directory_target(out):
        if len(set(paths)) > 1:
            raise UsageError(
                f"--report {out}: one report file for {len(set(paths))} histories; give a "
                f"directory instead (e.g. --report {os.path.splitext(out)[0]}/), one page each"
            )
        return {p: out for p in paths}
    plan: dict[str, str] = {}
    used: set[str] = set()
    for path in paths:
        if path not in plan:
            plan[path] = os.path.join(out, unique_name(stem(path), used) + ".html")
    return plan


def is_directory_target(out: str) -> bool:
    return os.path.isdir(out) or out.endswith(("/", os.sep))


def stem(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    return os.path.splitext(base)[0] or "history"


def unique_name(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate


def report_one(args: argparse.Namespace, path: str, history: Any, result: Any, opts: Any) -> None:
    """After one check: write its report when ``--report`` was given."""
    out = getattr(args, "report_plan", {}).get(path)
    if out is None:
        return
    written = render(path, history, result, source_spec(path, args, opts), out)
    print(f"{path}: report {written}", file=sys.stderr if args.json else sys.stdout, flush=True)


# --- shared ----------------------------------------------------------------------------------


def source_spec(path: str, args: argparse.Namespace, opts: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "format": format_name(path, args.format), "checker": args.checker,
            "options": opts}  # fmt: skip


def render(path: str, history: Any, result: Any, spec: dict[str, Any], out: str) -> str:
    from reports import render_history

    if os.path.abspath(out) == os.path.abspath(path):
        raise UsageError(f"the report would overwrite the history {path}; give another --out")
    parent = os.path.dirname(out)
    if parent:
        os.makedirs(parent, exist_ok=True)
    return str(render_history(history, result, spec, out))


def format_name(path: str, forced: str | None) -> str:
    """The format the history was read as (forced, or detected as the reader does)."""
    from ddialab.history import detect_format

    if forced:
        return forced
    if os.path.isdir(path):
        path = next(
            (c for c in (os.path.join(path, n) for n in ("history.jsonl", "history.edn"))
             if os.path.exists(c)), path)  # fmt: skip
    return detect_format(path, first_line(path)).name


def first_line(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return next((line.strip() for line in f if line.strip()), "")


# --- ddialab report FILE --checker C ---------------------------------------------------------


def is_history_request(args: argparse.Namespace) -> bool:
    """Does this ``report`` invocation name a history file (not run directories)?"""
    return bool(args.checker) or any(os.path.isfile(p) for p in args.run_dirs)


def report_histories(args: argparse.Namespace) -> int:
    """``ddialab report FILE... --checker C``: check each file, write its report."""
    from checkers import get_checker
    from ddialab._cli_check import checker_options, exit_code_for
    from ddialab.history import get_format

    for path in args.run_dirs:
        refuse_non_history(path, args)
    check = get_checker(args.checker)  # names first: a usage error before any file is read
    if args.format:
        get_format(args.format)
    ns = argparse.Namespace(**{**check_defaults(), **vars(args), "paths": args.run_dirs})
    plan = targets(args.run_dirs, args.out) if args.out else default_targets(args.run_dirs)
    opts = checker_options(ns)
    verdicts = [check_and_render(check, path, ns, opts, plan[path]) for path in plan]
    return exit_code_for(verdicts)


def refuse_non_history(path: str, args: argparse.Namespace) -> None:
    if os.path.isdir(path):
        raise UsageError(
            f"{path} is a run directory: `ddialab report {path}` renders its own results "
            f"(to check it with another checker: ddialab check {path} --checker "
            f"{args.checker or 'C'} --report OUT.html)"
        )
    if not args.checker:
        raise UsageError(
            f"{path} is a history file: say how to check it, e.g. `ddialab report {path} "
            "--checker linearizable --model cas-register` (see `ddialab list checkers`)"
        )


def refuse_stray_flags(args: argparse.Namespace) -> None:
    """Check flags without a history file to check: a run directory has its own results."""
    given = [f for f in HISTORY_FLAGS if getattr(args, f[2:].replace("-", "_")) is not None]
    given += ["--independent"] * (args.independent is not None)
    given += ["--time-limit"] * (args.time_limit is not None)
    if given:
        raise UsageError(
            f"{', '.join(given)}: for a history FILE with --checker only "
            "(a run directory's report shows the checks its run made)"
        )


def default_targets(paths: list[str]) -> dict[str, str]:
    """In the current directory: ``store/h.edn`` -> ``h.html`` (never beside the input:
    histories often live in read-only or shared trees)."""
    return targets(paths, ".") if len(set(paths)) > 1 else {p: stem(p) + ".html" for p in paths}


def check_defaults() -> dict[str, Any]:
    """Every ``check`` flag's default, so ``checker_options`` finds each attribute it reads."""
    from ddialab import _cli_check

    parser = argparse.ArgumentParser(add_help=False)
    _cli_check.add_parser(parser.add_subparsers())
    return vars(parser.parse_args(["check", "-", "--checker", "-"]))


def check_and_render(
    check: Any, path: str, args: argparse.Namespace, opts: dict[str, Any], out: str
) -> Any:
    from ddialab._cli_check import options_for
    from ddialab.history import read_history

    history = read_history(path, args.format)
    opts = options_for(path, args.checker, history, opts)
    result = check(history, opts)
    written = render(path, history, result, source_spec(path, args, opts), out)
    print(f"{written}  ({verdict_text(result)})", flush=True)
    return result.get("valid")


def verdict_text(result: dict[str, Any]) -> str:
    valid = result.get("valid")
    if valid is True:
        return "valid"
    if valid is False:
        return "INVALID: " + (", ".join(result.get("anomaly_types") or []) or "anomalies")
    return f"unknown: {result.get('reason') or 'the checker could not decide'}"
