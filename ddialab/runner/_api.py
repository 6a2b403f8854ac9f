"""The runner's entry points: run a spec end to end, or re-check a stored run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ddialab.history import read_history
from ddialab.runner._check import checker_specs, run_checkers
from ddialab.runner._run import simulate
from ddialab.runner._schedule import run_schedule, save_schedule
from ddialab.runner._spec import TestSpec
from ddialab.runner._store import (
    load_spec,
    new_run_dir,
    write_json,
    write_jsonl_dicts,
    write_test_json,
)
from ddialab.runner._validate import validate_spec


@dataclass
class RunResult:
    run_dir: str
    spec: TestSpec
    results: dict[str, Any]
    ops: int

    @property
    def valid(self) -> Any:
        return self.results["valid"]


def run(spec: TestSpec, out: str | None = None, root: str = "runs") -> RunResult:
    """Validate the spec (``UsageError`` before anything runs), run it, check it."""
    validate_spec(spec)
    run_dir = new_run_dir(spec, root=root, out=out)
    write_test_json(run_dir, spec, {})
    history = os.path.join(run_dir, "history.jsonl")
    outcome = execute(spec, history, os.path.join(run_dir, "logs"))
    write_test_json(run_dir, spec, outcome.stats)
    schedule = run_schedule(outcome.history, spec)
    save_schedule(os.path.join(run_dir, "schedule.json"), schedule)
    if spec.record_messages:
        write_jsonl_dicts(os.path.join(run_dir, "messages.jsonl"), outcome.messages)
    results = run_checkers(outcome.history, checker_specs(spec, outcome.claims))
    write_json(os.path.join(run_dir, "results.json"), results)
    render_report(run_dir)
    return RunResult(run_dir, spec, results, len(outcome.history))


def execute(spec: TestSpec, history_path: str | None = None, logs_dir: str | None = None) -> Any:
    """Run the spec without checking it: simulated, or against real servers when the
    system is a real datastore (one runner, two environments: see ``_run``)."""
    from ddialab.runner import _real

    if _real.is_real_spec(spec):
        return _real.execute(spec, history_path, logs_dir)
    return simulate(spec, history_path)


def recheck(run_dir: str) -> dict[str, Any]:
    spec = load_spec(run_dir)
    history = read_history(os.path.join(run_dir, "history.jsonl"))
    results = run_checkers(history, checker_specs(spec))
    write_json(os.path.join(run_dir, "results.json"), results)
    return results


def render_report(run_dir: str) -> str | None:
    """Write report.html with the reports package (a plain page until it is richer)."""
    try:
        from reports import render_run
    except ImportError:
        return None
    return str(render_run(run_dir))
