"""Golden histories: hash the history of a fixed set of simulated runs, before and after.

    .venv/bin/python bench/golden.py --record        # write bench/golden_histories.json
    .venv/bin/python bench/golden.py                 # re-run, compare, exit 1 on any change
    .venv/bin/python bench/golden.py --only bench-sim nemesis/kill

A performance change to the simulator, the generator or the runner is *free* when every
run's ``history.jsonl`` stays byte-identical for the same spec and seed; this script is
how that is shown.  The runs are one per matrix probe (every simulated system under each
of its scenarios and the common fault mix over each of its workloads: every family), the
simulator row of ``bench/all.py`` (``bench-sim``), and every nemesis package on a system
that accepts it (``nemesis/NAME``), each at a fixed seed.  The file stores, per run, the
spec, the sha256 of its history file and its number of ops; a mismatch prints the run.
Nothing here is asserted by a unit test (it takes ~15 CPU seconds); run it before and
after a change to the sim, the generator or the runner.  ``--only`` names are substrings:
``"000 "``, ``bench-sim``, ``nemesis/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLDEN = ROOT / "bench" / "golden_histories.json"
#: systems tried, in order, for a nemesis package until one validates
NEMESIS_HOSTS = ("single-node", "leader-follower", "raft", "leader-follower-rolling-upgrade")


def specs() -> dict[str, Any]:
    """Every golden run by name: matrix probes, the bench row, each nemesis package."""
    from ddialab.matrix import MatrixOptions, plan
    from ddialab.runner import TestSpec

    out: dict[str, Any] = {}
    for i, spec in enumerate(plan(MatrixOptions(seeds=1, time_limit=3.0))):
        name = f"{i:03d} {spec.system} {spec.workload} {'+'.join(spec.nemesis) or '-'}"
        out[name] = replace(spec, seed=i % 5)
    out["bench-sim"] = TestSpec(workload="register", seed=1, concurrency=5, rate=2000.0)
    out.update(nemesis_specs())
    return out


def nemesis_specs() -> dict[str, Any]:
    from ddialab.errors import UsageError
    from ddialab.runner import TestSpec, validate_spec
    from nemesis import NEMESES

    out: dict[str, Any] = {}
    for name in sorted(NEMESES):
        for system in NEMESIS_HOSTS:
            spec = TestSpec(system=system, nemesis=[name], seed=7, time_limit=4.0,
                            rate=100.0, nemesis_interval=0.5)  # fmt: skip
            try:
                validate_spec(spec)
            except UsageError:
                continue
            out[f"nemesis/{name}"] = spec
            break
    return out


def digest(spec: Any) -> dict[str, Any]:
    """Run ``spec`` to a history file; its sha256 and op count."""
    from ddialab.runner import simulate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        simulate(spec, str(path))
        data = path.read_bytes()
    return {"sha256": hashlib.sha256(data).hexdigest(), "ops": data.count(b"\n")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--record", action="store_true", help="write the golden file")
    p.add_argument("--only", nargs="*", default=None, help="run names (substring match)")
    a = p.parse_args(argv)
    runs = specs()
    if a.only:
        runs = {k: v for k, v in runs.items() if any(s in k for s in a.only)}
    golden = {} if a.record or not GOLDEN.exists() else json.loads(GOLDEN.read_text())
    t0, bad, results = time.process_time(), 0, {}
    for name, spec in runs.items():
        got = digest(spec)
        results[name] = {**got, "spec": spec.to_dict()}
        want = golden.get(name)
        if not a.record and (want is None or want["sha256"] != got["sha256"]):
            bad += 1
            print(f"CHANGED {name}: ops {got['ops']} vs {want and want['ops']}", flush=True)
    print(f"{len(runs)} runs, {bad} changed, {time.process_time() - t0:.1f} CPU s")
    if a.record:
        GOLDEN.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print(f"recorded {GOLDEN.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
