"""Running a workload's checkers over a finished history, and composing the verdict.

Theory of operation
-------------------
``checker_specs`` says which checkers judge a run: the workload's own (or the ones the
spec names), with options that make the system's *claims* the yardstick -- the claims of
the system as built with the spec's options, not its defaults.  ``run_checkers`` runs
each and records per checker whether it ``ran``.  A checker that could not run (it
rejected the history as something it cannot read) is kept in the results with
``ran: False`` and its reason, and counts as ``"unknown"``: the composed verdict follows
false > unknown > true, so a run is valid only if every checker it asked for ran and
found nothing.  No checker at all is ``"unknown"`` too, never valid.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from checkers import UNKNOWN, compose, get_checker
from ddialab.errors import DdialabError
from ddialab.history import History
from ddialab.runner._spec import TestSpec
from systems import get_system
from workloads import CheckerSpec, get_workload, strongest_claim

DEFAULT_CHECK_SECONDS = 60.0


def built_claims(spec: TestSpec) -> frozenset[str]:
    """What the system claims as built with the spec's options (one source of truth)."""
    return frozenset(get_system(spec.system).build(spec.system_options).claims)


def checker_specs(spec: TestSpec, claims: frozenset[str] | None = None) -> dict[str, CheckerSpec]:
    """The workload's checkers, judged against what the system as built claims.

    Transactional checkers get the strongest consistency model the system claims, unless
    the workload options name one: a run is valid iff the system kept its promise.
    ``claims``: those of the system that ran, when known (else it is built to ask).
    """
    workload = get_workload(spec.workload)
    opts = {**(workload.defaults or {}), **spec.workload_options, "nemesis": spec.nemesis}
    if opts.get("consistency_model") is None:
        opts.pop("consistency_model", None)
        claimed = strongest_claim(built_claims(spec) if claims is None else claims)
        if claimed:
            opts["consistency_model"] = claimed
    specs = workload.checkers(opts)
    if spec.checkers is not None:
        specs = {name: specs.get(name, (name, {})) for name in spec.checkers}
    return specs


def run_checkers(history: History, specs: Mapping[str, CheckerSpec]) -> dict[str, Any]:
    """Run every checker; the verdict is unknown unless each one ran (and none failed)."""
    results = {
        name: _run_one(checker_name, history, options)
        for name, (checker_name, options) in specs.items()
    }
    out = compose(results)
    if not results:
        out.update(valid=UNKNOWN, reason="no checker judged this history")
    elif out["valid"] == UNKNOWN:
        out["reason"] = "; ".join(_reasons(results))
    return out


def _run_one(checker_name: str, history: History, options: dict[str, Any]) -> dict[str, Any]:
    check = get_checker(checker_name)
    try:
        result = _timed(check, history, {"time_limit": DEFAULT_CHECK_SECONDS, **options})
    except DdialabError as e:  # e.g. values this checker cannot read
        return {"valid": UNKNOWN, "ran": False, "checker": checker_name, "reason": str(e),
                "anomaly_types": [], "anomalies": {}}  # fmt: skip
    return {**result, "ran": True, "checker": checker_name}


def _reasons(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out = []
    for name, r in results.items():
        if r.get("valid") == UNKNOWN:
            did = "did not run" if not r.get("ran") else "could not decide"
            out.append(f"{name} {did}: {r.get('reason', 'no reason given')}")
    return out


def _timed(check: Any, history: History, options: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = dict(check(history, options))
    result["seconds"] = round(time.perf_counter() - t0, 4)
    return result


__all__ = ["built_claims", "checker_specs", "get_checker", "run_checkers"]
