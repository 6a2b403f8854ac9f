"""Run directories: where a run's history, options, results and report live.

Layout of one run directory::

    history.jsonl   every op, written as it happened
    test.json       the spec (all options and the seed), versions, the replay command
    results.json    {"valid": ..., "checkers": {name: result}}
    report.html     the human-readable report
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import time
from typing import Any

from ddialab.errors import DdialabError
from ddialab.runner._spec import TestSpec

DEFAULT_ROOT = "runs"


def run_dir_name(spec: TestSpec) -> str:
    nemesis = "+".join(spec.nemesis) or "none"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return f"{spec.system}__{spec.workload}__{nemesis}__seed{spec.seed}__{stamp}"


def new_run_dir(spec: TestSpec, root: str = DEFAULT_ROOT, out: str | None = None) -> str:
    path = out or os.path.join(root, run_dir_name(spec))
    os.makedirs(path, exist_ok=True)
    return path


def replay_command(spec: TestSpec) -> str:
    words = ["ddialab", "run", "--system", spec.system, "--workload", spec.workload]
    if spec.nemesis:
        words += ["--nemesis", ",".join(spec.nemesis)]
    words += ["--seed", str(spec.seed), "--time-limit", f"{spec.time_limit:g}"]
    words += ["--concurrency", str(spec.concurrency), "--rate", f"{spec.rate:g}"]
    words += ["--op-timeout", f"{spec.op_timeout:g}"]
    words += ["--nemesis-interval", f"{spec.nemesis_interval:g}"]
    if spec.record_messages:
        words.append("--record-messages")
    for k, v in sorted(spec.system_options.items()):
        words += ["--system-option", f"{k}={json.dumps(v)}"]
    for k, v in sorted(spec.workload_options.items()):
        words += ["--workload-option", f"{k}={json.dumps(v)}"]
    return shlex.join(words)


def versions() -> dict[str, str]:
    import trio

    from ddialab import __version__

    return {"ddialab": __version__, "python": platform.python_version(), "trio": trio.__version__}


def write_json(path: str, data: Any, sort_keys: bool = True) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=sort_keys, default=str)
        f.write("\n")
    os.replace(tmp, path)


def write_jsonl_dicts(path: str, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DdialabError(f"{path}: no such file (is this a run directory?)") from None
    except json.JSONDecodeError as e:
        raise DdialabError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None


def write_test_json(run_dir: str, spec: TestSpec, stats: dict[str, Any]) -> None:
    write_json(
        os.path.join(run_dir, "test.json"),
        {
            "spec": spec.to_dict(),
            "replay": _replay_for(run_dir, spec),
            "versions": versions(),
            "stats": stats,
        },
    )


def _replay_for(run_dir: str, spec: TestSpec) -> str:
    """Options alone reproduce a run, unless it played an explicit fault schedule."""
    if spec.schedule is not None:
        return shlex.join(["ddialab", "run", "--replay", run_dir])
    return replay_command(spec)


def load_spec(run_dir: str) -> TestSpec:
    return TestSpec.from_dict(read_json(os.path.join(run_dir, "test.json"))["spec"])
