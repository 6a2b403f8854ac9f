"""The whole performance table of issue #21, one row per workload, in one command.

    .venv/bin/python bench/all.py                          # every row, median of 3 runs
    .venv/bin/python bench/all.py --repeat 5 --porcupine /path/to/porcupine.test
    .venv/bin/python bench/all.py --only etcd kv-cmd register-100k
    .venv/bin/python bench/all.py --big                    # adds the 1M-txn Elle row

Each row prints the median wall seconds of ``--repeat`` runs (and, for in-process rows,
the median CPU seconds, the child's for whole-command rows: on a shared machine the
steadier figure), the verdict, the issue's
goal and, with ``--porcupine`` (a test binary built from Porcupine's sources with
``go test -c``), Porcupine's own time on the same logs.  Whole-command rows run
``ddialab check`` in a fresh process, as a user would; their peak RSS is the child's.
The date, the command line and the load average before and after are printed too: figures
taken on a busy machine are pessimistic and must be re-measured on a quiet one
(docs/performance.md).  Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = Path(os.environ.get("DDIALAB_CORPUS", ROOT.parent / "shared" / "corpus"))
DDIALAB = [sys.executable, "-m", "ddialab"]


def median_of(repeat: int, fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """The last result and the median wall and CPU seconds of ``repeat`` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return result, statistics.median(walls), statistics.median(cpus)


def run_child(cmd: list[str]) -> tuple[int, float, float, float]:
    """Exit code, wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, time.perf_counter() - w0, cpu, usage.ru_maxrss / 1024


def child_row(repeat: int, cmd: list[str]) -> dict[str, Any]:
    runs = [run_child(cmd) for _ in range(repeat)]
    return {
        "exit": runs[-1][0],
        "wall": statistics.median(r[1] for r in runs),
        "cpu": statistics.median(r[2] for r in runs),
        "rss_mb": max(r[3] for r in runs),
    }


# --- the rows ---------------------------------------------------------------------------


def corpus_paths(corpus: Path, model: str) -> list[str]:
    cases = json.loads((corpus / "expected.json").read_text())
    return [str(corpus / c["path"]) for c in cases if c.get("model") == model]


def row_etcd_check(a: argparse.Namespace) -> dict[str, Any]:
    """Porcupine's 103 etcd logs, checking only (files parsed first)."""
    from checkers.linearizable import check
    from ddialab.history import read_history

    histories = [read_history(p) for p in corpus_paths(a.corpus, "etcd")]
    opts = {"model": "cas-register", "init": None}
    verdicts, wall, cpu = median_of(a.repeat, lambda: [check(h, opts)["valid"] for h in histories])
    return {"wall": wall, "cpu": cpu, "verdict": f"{verdicts.count(False)} invalid"}


def row_etcd_cmd(a: argparse.Namespace) -> dict[str, Any]:
    """The same logs, the whole ``ddialab check`` command."""
    paths = corpus_paths(a.corpus, "etcd")
    cmd = [*DDIALAB, "check", *paths, "-c", "linearizable", "--model", "cas-register"]
    return child_row(a.repeat, [*cmd, "--init", "null"])


def row_kv_cmd(a: argparse.Namespace) -> dict[str, Any]:
    """Porcupine's 6 kv logs, the whole command."""
    paths = corpus_paths(a.corpus, "kv")
    return child_row(a.repeat, [*DDIALAB, "check", *paths, "-c", "linearizable", "--model", "kv"])


def keyed_row(a: argparse.Namespace, ops: int, keys: int, c: int, stale: bool) -> dict[str, Any]:
    from checkers.linearizable import check
    from checkers.linearizable._generate import keyed_register_history

    h = keyed_register_history(ops, keys, c, seed=1)
    if stale:
        plant_bad_read(h)
    opts = {"model": "cas-register", "independent": True, "time_limit": a.time_limit}
    r, wall, cpu = median_of(a.repeat, lambda: check(h, opts))
    return {"wall": wall, "cpu": cpu, "verdict": r["valid"], "states": r["states_explored"]}


def plant_bad_read(h: Any) -> None:
    """Make the history invalid mid-way: the ok read nearest the middle returns 99, a
    value never written (the generator's own stale reads are often still linearizable)."""
    reads = [op for op in h if op.type == "ok" and op.f == "read"]
    op = reads[len(reads) // 2]
    op.value = [op.value[0], 99]


def elle_cmd_row(a: argparse.Namespace, txns: int) -> dict[str, Any]:
    """The history is generated in a child process: a child's peak RSS as ``wait4``
    reports it starts from its parent's at fork/exec (Linux carries the high-water mark
    across exec), so a bench that generated the 100k-txn history itself reported 235 MB
    for a check that peaks at 147 MB (``/usr/bin/time`` agrees with the latter)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "history.jsonl")
        gen = (
            "import sys; from checkers.elle.synth import synth_history as s; "
            "from ddialab.history import write_history as w; "
            "w(s(int(sys.argv[1]), [], seed=1, model='list-append')[0], sys.argv[2])"
        )
        subprocess.run([sys.executable, "-c", gen, str(txns), path], check=True, cwd=ROOT)
        cmd = [*DDIALAB, "check", path, "-c", "elle", "--model", "list-append"]
        return child_row(a.repeat, cmd)


def row_sim(a: argparse.Namespace) -> dict[str, Any]:
    """Simulated single-node register: history ops per wall second."""
    from ddialab.runner import TestSpec, simulate

    spec = TestSpec(workload="register", seed=1, concurrency=5, rate=2000.0, time_limit=10.0)
    h, wall, cpu = median_of(a.repeat, lambda: simulate(spec).history)
    per_cpu = len(h) / cpu  # the steadier figure on a shared host (wall counts others' turns)
    return {"wall": wall, "cpu": cpu, "ops": len(h), "ops_per_s": len(h) / wall, "per_cpu": per_cpu}


PORCUPINE_RUNS = {
    "etcd": "TestEtcdJepsen",
    "etcd-cmd": "TestEtcdJepsen",
    "kv-cmd": "TestKv(1Client|10Clients|50Clients)",
}

#: name -> (what, goal, function)
ROWS: dict[str, tuple[str, str, Callable[[argparse.Namespace], dict[str, Any]]]] = {
    "etcd": ("103 etcd logs, checking only", ">=10x ahead of Porcupine", row_etcd_check),
    "etcd-cmd": ("103 etcd logs, whole command", "<= 0.5x Porcupine", row_etcd_cmd),
    "kv-cmd": ("6 Porcupine kv logs, whole command", "<= Porcupine", row_kv_cmd),
    "register-100k": (
        "100k ops, 100 keys, c=20, checking",
        "<= 0.12 s",
        lambda a: keyed_row(a, 100_000, 100, 20, False),
    ),
    "register-100k-c50": (
        "100k ops, 100 keys, c=50, checking",
        "<= 0.12 s",
        lambda a: keyed_row(a, 100_000, 100, 50, False),
    ),
    "register-10k-1key": (
        "10k ops, 1 key, c=20, invalid",
        "keep (3.0 s)",
        lambda a: keyed_row(a, 10_000, 1, 20, True),
    ),
    "register-1k-c50": (
        "1k ops, 1 key, c=50, invalid",
        "decide",
        lambda a: keyed_row(a, 1_000, 1, 50, True),
    ),
    "register-10k-c50": (
        "10k ops, 1 key, c=50, invalid",
        "decide (was unknown)",
        lambda a: keyed_row(a, 10_000, 1, 50, True),
    ),
    "elle-100k": (
        "100k list-append txns, whole command",
        "<= 1.0 s, <= 150 MB",
        lambda a: elle_cmd_row(a, 100_000),
    ),
    "elle-300k": ("300k list-append txns, whole command", "", lambda a: elle_cmd_row(a, 300_000)),
    "elle-1m": (
        "1M list-append txns, whole command",
        "<= 6 s, <= 2 GB",
        lambda a: elle_cmd_row(a, 1_000_000),
    ),
    "sim": ("simulator, single-node register", ">= 30k ops/s", row_sim),
}


def porcupine(binary: str | None, row: str, repeat: int, corpus: Path) -> str:
    if binary is None or row not in PORCUPINE_RUNS:
        return ""
    cmd = [os.path.abspath(binary), "-test.run", PORCUPINE_RUNS[row]]
    cwd = Path(binary).resolve().parent  # its tests read test_data/ beside the binary
    walls = []
    for _ in range(repeat):
        w0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        walls.append(time.perf_counter() - w0)
    return f"Porcupine {statistics.median(walls):.3f} s"


def show(name: str, what: str, goal: str, r: dict[str, Any], anchor: str) -> None:
    figs = [f"wall {r['wall']:.3f} s"]
    figs += [f"cpu {r['cpu']:.3f} s"] if "cpu" in r else []
    figs += [f"{r['rss_mb']:.0f} MB"] if "rss_mb" in r else []
    figs += [f"exit {r['exit']}"] if "exit" in r else []
    figs += [f"{r['ops_per_s']:,.0f} ops/s ({r['ops']} ops)"] if "ops_per_s" in r else []
    figs += [f"{r['per_cpu']:,.0f} ops per CPU s"] if "per_cpu" in r else []
    figs += [f"valid={r['verdict']}"] if "verdict" in r else []
    figs += [f"states {r['states']:,}"] if "states" in r else []
    print(f"| {name} | {what} | {', '.join(figs)} | {anchor} | {goal} |", flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--porcupine", help="a Porcupine test binary (go test -c) to time alongside")
    p.add_argument("--time-limit", type=float, default=60.0, help="linearizable time limit")
    p.add_argument("--only", nargs="+", choices=sorted(ROWS), help="run only these rows")
    p.add_argument("--big", action="store_true", help="include the 1M-txn Elle row")
    a = p.parse_args(argv)
    names = a.only or [n for n in ROWS if n != "elle-1m" or a.big]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {loadavg()}")
    print(f"# {shlex.join(['bench/all.py', *(argv if argv is not None else sys.argv[1:])])}")
    print("| row | workload | ddialab (median) | anchor | goal |\n|---|---|---|---|---|")
    for name in names:
        what, goal, fn = ROWS[name]
        show(name, what, goal, fn(a), porcupine(a.porcupine, name, a.repeat, a.corpus))
    print(f"# load average after: {loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
