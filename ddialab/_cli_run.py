"""``ddialab run``: one test on the simulated world, checked, with a run directory.

While the run goes on, a :class:`_cli_progress.Progress` ticker prints on stderr every
few seconds how many ops the history holds (a real datastore's run is otherwise silent
for its whole time limit); the runner knows nothing of it -- the ticker reads the
``history.jsonl`` the runner appends to.  The summary counts *ops* (client operations)
and *events* (history entries) separately, as everywhere in the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ddialab import _cli_names, _cli_progress, _cli_verdict
from ddialab.errors import EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, UsageError
from ddialab.runner import TestSpec, run, validate_spec


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run one test (system x workload x nemesis) on the simulated world",
        description="Simulate, record the history, check it and write a run directory "
        "(history.jsonl, test.json, results.json, report.html). Same seed and options "
        "give a byte-identical history.",
        formatter_class=DefaultsFormatter,
    )
    p.add_argument("--system", "-s", default="single-node", help="system name or module:Attr")
    p.add_argument(
        "--workload", "-w", default="register", help="workload name (ddialab list workloads)"
    )
    p.add_argument(
        "--nemesis",
        "-n",
        default="",
        help="comma-separated fault packages (ddialab list nemeses; default: none)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="the one source of randomness: same seed, same run"
    )
    p.add_argument("--time-limit", type=float, default=10.0, help="simulated seconds")
    p.add_argument("--concurrency", type=int, default=5, help="client processes")
    p.add_argument("--rate", type=float, default=50.0, help="client ops per simulated second")
    p.add_argument("--op-timeout", type=float, default=1.0, help="seconds before info")
    p.add_argument("--nemesis-interval", type=float, default=2.0, help="seconds per fault")
    p.add_argument(
        "--checker", action="append", help="run this checker (repeatable; default: the workload's)"
    )
    p.add_argument("--system-option", action="append", default=[], metavar="KEY=JSON")
    p.add_argument("--workload-option", action="append", default=[], metavar="KEY=JSON")
    p.add_argument(
        "--record-messages",
        action="store_true",
        help="keep the network's message log (messages.jsonl, for diagrams)",
    )
    p.add_argument(
        "--schedule",
        metavar="FILE",
        help="replay this fault schedule (schedule.json, or a run directory holding one) "
        "instead of the nemesis packages' own",
    )
    p.add_argument(
        "--replay",
        metavar="RUN_DIR",
        help="re-run a run directory: its spec (test.json) and fault schedule "
        "(schedule.json); options other than --schedule and --out are ignored",
    )
    p.add_argument(
        "--out", help="run directory (default: ./runs/<name>__<time>; runs/ is git-ignored)"
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run_cmd)


class DefaultsFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to each option's help when X says something."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        silent = action.default is None or action.default is False
        if silent or action.default in ("", [], argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: {action.default})"


def parse_options(pairs: list[str], flag: str) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} takes KEY=JSON, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def spec_from_args(args: argparse.Namespace) -> TestSpec:
    return TestSpec(
        system=args.system,
        workload=args.workload,
        nemesis=[n for n in args.nemesis.split(",") if n],
        seed=args.seed,
        concurrency=args.concurrency,
        time_limit=args.time_limit,
        rate=args.rate,
        op_timeout=args.op_timeout,
        nemesis_interval=args.nemesis_interval,
        system_options=parse_options(args.system_option, "--system-option"),
        workload_options=parse_options(args.workload_option, "--workload-option"),
        checkers=args.checker,
        record_messages=args.record_messages,
    )


def run_cmd(args: argparse.Namespace) -> int:
    spec = _replay_spec(args.replay) if args.replay else spec_from_args(args)
    if args.schedule:
        from ddialab.runner import load_schedule

        spec.schedule = load_schedule(args.schedule)
    _check_nemeses(spec.nemesis)
    validate_spec(spec)  # before the run directory exists
    out = os.path.dirname(_cli_progress.history_of(spec, args.out))
    with _cli_progress.Progress(os.path.join(out, "history.jsonl")):
        result = run(spec, out=out)
    if args.json:
        print(json.dumps({"run_dir": result.run_dir, **result.results}, default=str))
    else:
        _print_summary(result)
    return {True: EXIT_VALID, False: EXIT_INVALID}.get(result.valid, EXIT_UNKNOWN)


def _check_nemeses(names: list[str]) -> None:
    """A mistyped fault package gets a "did you mean" (the runner names the rest)."""
    from nemesis import NEMESES

    for name in names:
        _cli_names.require_known("nemesis", name, NEMESES)


def _replay_spec(run_dir: str) -> TestSpec:
    from ddialab.runner import load_schedule, load_spec

    spec = load_spec(run_dir)
    if os.path.exists(os.path.join(run_dir, "schedule.json")):
        spec.schedule = load_schedule(run_dir)
    return spec


def _print_summary(result: Any) -> None:
    print(
        f"{result.spec.system} x {result.spec.workload} "
        f"x {'+'.join(result.spec.nemesis) or 'no faults'}, seed {result.spec.seed}: "
        f"{_cli_progress.count_ops(result.run_dir)} ops ({result.ops} events)"
    )
    for name, r in result.results["checkers"].items():
        print(f"  {name:<20} {_checker_line(r)}")
        for line in _cli_verdict.anomaly_lines(r, indent="    "):
            print(line)
    if not result.results["checkers"]:
        print("  (no checker ran)")
    verdict = _cli_verdict.verdict_word(result.valid)
    reason = result.results.get("reason")
    print(f"verdict: {verdict}{f' ({reason})' if verdict == 'unknown' and reason else ''}")
    print(f"run directory: {result.run_dir}")
    print(f"report: {result.run_dir}/report.html")
    sys.stdout.flush()


def _checker_line(r: dict[str, Any]) -> str:
    """``ran: valid``, ``ran: INVALID (types)``, or ``did not run: reason``."""
    if not r.get("ran"):
        return f"did not run: {r.get('reason', '')}"
    valid = r.get("valid")
    word = "valid" if valid is True else "INVALID" if valid is False else "unknown"
    types = ", ".join(r.get("anomaly_types") or [])
    if word == "unknown":
        return f"ran: unknown ({r.get('reason', 'undecided')})"
    return f"ran: {word}{f' ({types})' if types else ''}"
