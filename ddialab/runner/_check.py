"""Running a workload's checkers over a finished history."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from checkers import CHECKERS, compose, get_checker
from ddialab.history import History
from ddialab.runner._spec import TestSpec
from systems import get_system
from workloads import CheckerSpec, get_workload
from workloads._txn import strongest_claim

DEFAULT_CHECK_SECONDS = 60.0


def checker_specs(spec: TestSpec) -> dict[str, CheckerSpec]:
    """The workload's checkers, judged against what the system claims.

    Transactional checkers get the strongest consistency model the system claims, unless
    the workload options name one: a run is valid iff the system kept its promise.
    """
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options, "nemesis": spec.nemesis}
    if "consistency_model" not in opts:
        claimed = strongest_claim(get_system(spec.system).claims)
        if claimed:
            opts["consistency_model"] = claimed
    specs = workload.checkers(opts)
    if spec.checkers is not None:
        specs = {name: specs.get(name, (name, {})) for name in spec.checkers}
    return specs


def run_checkers(history: History, specs: Mapping[str, CheckerSpec]) -> dict[str, Any]:
    """Run each available checker; unavailable ones are listed under ``skipped``."""
    results: dict[str, Any] = {}
    skipped = []
    for name, (checker_name, options) in specs.items():
        try:
            check = CHECKERS[checker_name].load()
        except (KeyError, ImportError, AttributeError):
            skipped.append(checker_name)
            continue
        results[name] = _timed(check, history, {"time_limit": DEFAULT_CHECK_SECONDS, **options})
    out = compose(results)
    if skipped:
        out["skipped"] = skipped
    return out


def _timed(check: Any, history: History, options: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = dict(check(history, options))
    result["seconds"] = round(time.perf_counter() - t0, 4)
    return result


__all__ = ["checker_specs", "get_checker", "run_checkers"]
