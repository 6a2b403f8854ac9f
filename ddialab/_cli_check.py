"""``ddialab check``: run a checker over history files and report verdicts."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

from checkers import get_checker
from ddialab import _cli_anyreport
from ddialab.errors import (
    EXIT_INVALID,
    EXIT_UNKNOWN,
    EXIT_VALID,
    DdialabError,
    UsageError,
)
from ddialab.history import get_format, read_history


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check history files (ddialab, Jepsen EDN, Jepsen log, Porcupine kv)",
        description="Check one or more histories with a checker. Exit 0 if all are valid, "
        "1 if any is invalid, 4 if any is unknown (budget ran out), 3 on bad input.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="history file or run directory")
    p.add_argument("--checker", "-c", required=True, help="checker name (see `ddialab list`)")
    p.add_argument(
        "--model",
        help="model (linearizable: register, cas-register, kv, ...; "
        "elle: list-append, rw-register)",
    )
    p.add_argument("--init", help="initial model state, as JSON (e.g. 0, null, '{\"x\": 0}')")
    p.add_argument("--consistency-model", help="judge against this model (e.g. serializable)")
    p.add_argument(
        "--independent",
        action="store_true",
        help="values are [key, v] pairs (Jepsen independent); check each key separately",
    )
    p.add_argument("--guarantee", help="session checker: check only this guarantee")
    for flag, what in ASSUMPTION_FLAGS.items():
        p.add_argument(flag, action="store_true", help=what)
    p.add_argument("--accounts", help="bank: the accounts, as a JSON list (e.g. '[0, 1, 2]')")
    p.add_argument("--total", type=float, help="bank: the total every read must sum to")
    p.add_argument(
        "--allow-negative", action="store_true", help="bank: negative balances are allowed"
    )
    p.add_argument("--format", help="force the input format (jsonl, edn, jepsen-log, ...)")
    p.add_argument("--time-limit", type=float, help="seconds per history before 'unknown'")
    p.add_argument("--json", action="store_true", help="print one JSON object per input")
    p.add_argument("--report", metavar="HTML", help="also write a report page (a DIR/ for several)")
    p.set_defaults(func=run_check)


#: Version-order assumptions (Elle's ``:wfr-keys?`` etc.), off by default as in Elle.
ASSUMPTION_FLAGS = {
    "--wfr-keys": "assume writes follow reads within a txn (orders register versions)",
    "--sequential-keys": "assume each key is sequentially consistent (process order)",
    "--linearizable-keys": "assume each key is linearizable (real-time order)",
}


def checker_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for flag in ASSUMPTION_FLAGS:
        name = flag[2:].replace("-", "_")
        if getattr(args, name, False):
            opts[name] = True
    opts.update(_bank_options(args))
    if args.model is not None:
        opts["model"] = args.model
    if args.init is not None:
        try:
            opts["init"] = json.loads(args.init)
        except json.JSONDecodeError as e:
            msg = f"--init must be JSON (e.g. 0, null, '{{\"x\": 0}}'): {e.msg}"
            raise UsageError(msg) from None
    if args.consistency_model is not None:
        opts["consistency_model"] = args.consistency_model
    if args.independent:
        opts["independent"] = True
    if args.guarantee is not None:
        opts["guarantee"] = args.guarantee
    if args.time_limit is not None:
        opts["time_limit"] = _time_limit(args.time_limit)
    return opts


def _time_limit(seconds: float) -> float:
    """A budget is a finite, non-negative number of seconds (else exit 2 naming it);
    0 is allowed: no time to search, so whatever needs a search says unknown."""
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise UsageError(
            f"--time-limit must be a non-negative number of seconds (e.g. 60); got {seconds:g}"
        )
    return seconds


def _bank_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if getattr(args, "accounts", None) is not None:
        try:
            accounts = json.loads(args.accounts)
        except json.JSONDecodeError as e:
            raise UsageError(
                f"--accounts must be a JSON list (e.g. '[0, 1, 2]'): {e.msg}"
            ) from None
        if not isinstance(accounts, list) or not accounts:
            raise UsageError("--accounts must be a non-empty JSON list (e.g. '[0, 1, 2]')")
        opts["accounts"] = accounts
    if getattr(args, "total", None) is not None:
        opts["total"] = int(args.total) if args.total.is_integer() else args.total
    if getattr(args, "allow_negative", False):
        opts["negative_balances"] = True
    return opts


def run_check(args: argparse.Namespace) -> int:
    check = get_checker(args.checker)
    if args.format:
        get_format(args.format)  # an unknown format is a usage error, before any file
    opts = checker_options(args)
    _cli_anyreport.plan_reports(args)
    verdicts = []
    for path in args.paths:
        verdicts.append(_check_one(check, path, args, opts))
    return exit_code_for(verdicts)


def _check_one(check: Any, path: str, args: argparse.Namespace, opts: dict[str, Any]) -> Any:
    t0 = time.perf_counter()
    try:
        history = read_history(path, args.format)
        t0 = time.perf_counter()
        result = check(history, opts)
    except UsageError:
        raise  # a bad option is wrong for every path: exit 2 at once
    except DdialabError as e:  # unreadable, or ops of a shape the checker cannot take
        _report_error(path, e, args.json)
        return "error"
    elapsed = time.perf_counter() - t0
    _print_result(path, result, elapsed, len(history), args.json)
    _cli_anyreport.report_one(args, path, history, result, opts)
    return result.get("valid")


def _report_error(path: str, e: DdialabError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"path": path, "valid": "error", "error": str(e)}), flush=True)
    print(f"ddialab: error: {e}", file=sys.stderr)


def _print_result(path: str, result: dict[str, Any], elapsed: float, n: int, as_json: bool) -> None:
    if as_json:
        out = {"path": path, **result, "ops": n, "seconds": round(elapsed, 6)}
        print(json.dumps(out, default=str), flush=True)
        return
    verdict = {True: "valid", False: "INVALID"}.get(result.get("valid"), "unknown")  # type: ignore[arg-type]
    types = ", ".join(result.get("anomaly_types") or [])
    extra = f" ({types})" if types else ""
    if result.get("valid") not in (True, False) and result.get("reason"):
        extra = f" ({result['reason']})"
    if n == 0:
        extra = f"{extra} (0 ops: nothing to check)"
    print(f"{path}: {verdict}{extra}  [{n} ops, {elapsed:.3f}s]", flush=True)


def exit_code_for(verdicts: list[Any]) -> int:
    """Invalid (1) beats unknown (4) beats bad input (3) beats valid (0)."""
    if any(v is False for v in verdicts):
        return EXIT_INVALID
    if any(v == "unknown" for v in verdicts):
        return EXIT_UNKNOWN
    if any(v == "error" for v in verdicts):
        return 3
    return EXIT_VALID
