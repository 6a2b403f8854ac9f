"""Helpers for using ddialab from tests: run a spec and fail with the full story.

``assert_valid(result)`` raises ``AssertionError`` whose message carries, for every checker
that did not pass, its anomaly types and the first witness's plain-English explanation,
then the seed, the replay command and the report's path -- everything needed to replay
and read the failure.  Also usable without pytest (plain ``assert`` semantics).

``test_specs(...)`` is a hypothesis strategy of whole ``TestSpec``s (system, workload, seed,
concurrency, rate, time and an explicit fault schedule from ``nemesis.strategies``); it lives
here, above the runner, because a ``TestSpec`` is the runner's type and ``nemesis`` sits
below the runner.  hypothesis is imported only when the strategy is built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from ddialab.runner import RunResult, TestSpec, run

#: at most this many witnesses are quoted per anomaly type in a failure message
QUOTED_WITNESSES = 2


def run_spec(spec: TestSpec | None = None, out: str | None = None, **options: Any) -> RunResult:
    """Run a test (a ``TestSpec``, or its fields as keywords) into ``out``."""
    spec = spec or TestSpec(**options)
    return run(spec, out=out)


def test_specs(
    systems: Sequence[str] = ("single-node",),
    workloads: Sequence[str] = ("register",),
    nemesis: Sequence[str] = (),
    max_time_s: float = 5.0,
    max_concurrency: int = 5,
) -> Any:
    """``TestSpec``s: a system, a workload, seed, concurrency, rate, time, and a schedule."""
    from hypothesis import strategies as st

    from nemesis.strategies import schedules
    from systems import get_system

    @st.composite
    def specs(draw: st.DrawFn) -> TestSpec:
        system = draw(st.sampled_from(list(systems)))
        time_limit = draw(st.integers(1, max(1, int(max_time_s))))
        nodes = get_system(system).build().node_names()
        return TestSpec(
            system=system,
            workload=draw(st.sampled_from(list(workloads))),
            nemesis=list(nemesis),
            seed=draw(st.integers(0, 2**16)),
            concurrency=draw(st.integers(1, max_concurrency)),
            rate=float(draw(st.sampled_from([5, 10, 20, 50]))),
            time_limit=float(time_limit),
            schedule=draw(schedules(nodes, time_limit_s=time_limit)),
        )

    return specs()


test_specs.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def failure_message(result: RunResult) -> str:
    spec = result.spec
    faults = "+".join(spec.nemesis) or "no faults"
    lines = [f"ddialab run {_verdict(result.valid)}: {spec.system} x {spec.workload} x {faults}"]
    for name, r in result.results.get("checkers", {}).items():
        if r.get("valid") is True:
            continue
        types = ", ".join(r.get("anomaly_types", []))
        lines.append(f"  {name}: {_verdict(r.get('valid'))} {types}")
        lines.extend(_witness_lines(r))
        if r.get("reason"):
            lines.append(f"    reason: {r['reason']}")
    lines.append(f"  seed: {result.spec.seed}")
    lines.append(f"  replay: {_replay(result)}")
    lines.append(f"  report: {os.path.join(result.run_dir, 'report.html')}")
    return "\n".join(lines)


def assert_valid(result: RunResult) -> None:
    """Fail (``AssertionError``) unless every checker of the run said valid."""
    if result.valid is not True:
        raise AssertionError(failure_message(result))


def _witness_lines(r: dict[str, Any]) -> list[str]:
    out = []
    for kind, witnesses in (r.get("anomalies") or {}).items():
        for w in list(witnesses)[:QUOTED_WITNESSES]:
            text = w.get("explanation") if isinstance(w, dict) else None
            out.append(f"    {kind}: {text or json.dumps(w, default=str)[:300]}")
    return out


def _verdict(v: Any) -> str:
    return {True: "valid", False: "INVALID"}.get(v, "unknown")


def _replay(result: RunResult) -> str:
    try:
        with open(os.path.join(result.run_dir, "test.json"), encoding="utf-8") as f:
            return str(json.load(f)["replay"])
    except (OSError, KeyError, ValueError):
        return "(see test.json)"
