"""``ddialab check``: run a checker over history files and report verdicts.

Theory of operation
-------------------
Names are checked first (a typo is exit 2 with "did you mean", before any file is read).
Then each PATH is read and checked with the options the flags give, on top of:

* a **run directory** (it holds ``test.json``): the options its own run judged this
  checker with -- model, keying (``independent``), consistency model -- re-derived from
  the stored spec exactly as the runner did.  Flags override them.  So the README's
  ``ddialab check RUN_DIR --checker linearizable --model cas-register`` judges the
  keyed register history the run wrote as the run did;
* a **bare file** checked by a single-object linearizability model with no keying said:
  if every read and write value is a ``[key, value]`` pair the history is keyed, and
  checking it as one register would be a false verdict -- exit 2 saying to add
  ``--independent`` (or ``--no-independent`` when they really are plain values).

Text output is the verdict line, then per anomaly type the count and the first
witness's explanation (``ddialab._cli_verdict``).  Imports are local to the functions
that need them: ``check`` must start fast and never load the simulator.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from typing import Any

from ddialab import _cli_anyreport, _cli_names, _cli_verdict
from ddialab.errors import (
    EXIT_INVALID,
    EXIT_UNKNOWN,
    EXIT_VALID,
    DdialabError,
    UsageError,
)


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
        action=argparse.BooleanOptionalAction,
        help="values are [key, v] pairs (Jepsen independent): check each key separately "
        "(default: as the run directory's test.json says; for a file, keyed values are "
        "detected and refused until you say)",
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
    if getattr(args, "independent", None) is not None:
        opts["independent"] = bool(args.independent)
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
    from checkers import get_checker
    from ddialab.history import get_format

    check = get_checker(args.checker)
    _cli_names.check_names(args, args.checker)
    if args.format:
        get_format(args.format)  # an unknown format is a usage error, before any file
    opts = checker_options(args)
    _cli_anyreport.plan_reports(args)
    verdicts = []
    for path in args.paths:
        verdicts.append(_check_one(check, path, args, opts))
    return exit_code_for(verdicts)


def _check_one(check: Any, path: str, args: argparse.Namespace, flags: dict[str, Any]) -> Any:
    try:
        history = _read(path, args)
        # The history lives until exit and holds no cycles: moving it out of the
        # collector's sight spares a pass over every op (~0.2 s per 100k txns).
        gc.freeze()
        opts = options_for(path, args.checker, history, flags)
        t0 = time.perf_counter()
        result = check(history, opts)
    except UsageError:
        raise  # a bad option is wrong for every path: exit 2 at once
    except DdialabError as e:  # unreadable, or ops of a shape the checker cannot take
        _report_error(path, e, args.json)
        return "error"
    elapsed = time.perf_counter() - t0
    inherited = {k: v for k, v in opts.items() if k not in flags}
    _print_result(path, result, (elapsed, history, inherited), args)
    _cli_anyreport.report_one(args, path, history, result, opts)
    return result.get("valid")


#: Checkers that take a ``CompactHistory`` (``ddialab.history.read_compact``): they read
#: only index, type, process, f and values, and are pinned to give the same result on it.
COMPACT_CHECKERS = frozenset({"elle"})


def _read(path: str, args: argparse.Namespace) -> Any:
    """The history: compact for a JSONL file a compact checker reads (a report needs the
    ops anyway, so not then), else ``read_history``'s ``Op``s."""
    from ddialab.history import read_compact, read_history

    if args.checker in COMPACT_CHECKERS and not getattr(args, "report", None):
        history = read_compact(path, args.format)
        if history is not None:
            return history
    return read_history(path, args.format)


def options_for(path: str, checker: str, history: Any, flags: dict[str, Any]) -> dict[str, Any]:
    """The flags, over a run directory's own options for this checker (see the module
    docstring); for a bare file, refuse keyed values the options would misread."""
    stored = run_dir_options(path, checker)
    if stored is not None:
        return {**stored, **flags}
    refuse_unsaid_keys(path, checker, history, flags)
    return dict(flags)


def run_dir_options(path: str, checker: str) -> dict[str, Any] | None:
    """The options the run in ``path`` judged ``checker`` with; ``None`` for a bare file
    (or a run that did not use this checker: then only the flags say)."""
    test_json = os.path.join(path, "test.json")
    if not os.path.isfile(test_json):
        return None
    from ddialab.runner import TestSpec, checker_specs

    with open(test_json, encoding="utf-8") as f:
        spec = TestSpec.from_dict(json.load(f)["spec"])
    found = [opts for name, opts in checker_specs(spec).values() if name == checker]
    return _json_options(found[0]) if found else None


def _json_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The options a user could have given as flags (not the run's own bookkeeping)."""
    return {k: v for k, v in opts.items() if k != "nemesis"}


#: Linearizability models of one object, which a keyed history would fool.
SINGLE_OBJECT_MODELS = ("register", "cas-register")


def refuse_unsaid_keys(path: str, checker: str, history: Any, opts: dict[str, Any]) -> None:
    if checker != "linearizable" or "independent" in opts:
        return
    if opts.get("model") in SINGLE_OBJECT_MODELS and looks_keyed(history):
        raise UsageError(
            f"{path}: every read and write value is a [key, value] pair (a keyed, Jepsen "
            f"'independent' history); model {opts['model']!r} would judge the pairs as "
            "whole register values and report false anomalies. Add --independent to check "
            "each key on its own (or --no-independent if the values really are pairs)"
        )


def looks_keyed(history: Any) -> bool:
    """Every client read/write value (of a completion or a write) is a 2-item list."""
    values = [
        op.value
        for op in history
        if op.process != "nemesis" and op.f in ("read", "write") and op.type == "ok"
    ]
    return bool(values) and all(isinstance(v, list) and len(v) == 2 for v in values)


def _report_error(path: str, e: DdialabError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"path": path, "valid": "error", "error": str(e)}), flush=True)
    print(f"ddialab: error: {e}", file=sys.stderr)


def _print_result(
    path: str, result: dict[str, Any], facts: tuple[float, Any, dict[str, Any]], args: Any
) -> None:
    from ddialab.history import count_client_ops  # loaded by then: no startup cost

    elapsed, history, inherited = facts
    count = getattr(history, "client_op_count", None)  # a CompactHistory counts as it scans
    ops = count() if count is not None else count_client_ops(history)
    events = len(history)
    if args.json:
        out = {"path": path, **result, "ops": ops, "events": events,
               "seconds": round(elapsed, 6), "options_from_run": inherited}  # fmt: skip
        print(json.dumps(out, default=str), flush=True)
        return
    print(f"{path}: {_verdict_text(result, ops)}  [{ops} ops, {elapsed:.3f}s]")
    if inherited:
        print(f"  options from {os.path.join(path, 'test.json')}: {_options_text(inherited)}")
    for line in _cli_verdict.anomaly_lines(result):
        print(line)
    if result.get("anomaly_types") and not getattr(args, "report", None):
        print("  every witness, drawn: add --report OUT.html")
    sys.stdout.flush()


def _verdict_text(result: dict[str, Any], ops: int) -> str:
    types = ", ".join(result.get("anomaly_types") or [])
    extra = f" ({types})" if types else ""
    if result.get("valid") not in (True, False) and result.get("reason"):
        extra = f" ({result['reason']})"
    if ops == 0:
        extra = f"{extra} (0 ops: nothing to check)"
    return _cli_verdict.verdict_word(result.get("valid")) + extra


def _options_text(opts: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in sorted(opts.items()))


def exit_code_for(verdicts: list[Any]) -> int:
    """Invalid (1) beats unknown (4) beats bad input (3) beats valid (0)."""
    if any(v is False for v in verdicts):
        return EXIT_INVALID
    if any(v == "unknown" for v in verdicts):
        return EXIT_UNKNOWN
    if any(v == "error" for v in verdicts):
        return 3
    return EXIT_VALID
