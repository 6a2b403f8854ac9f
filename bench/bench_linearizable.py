"""Benchmarks for the linearizability checker (figures in docs/linearizability.md).

    .venv/bin/python bench/bench_linearizable.py corpus            # the shared corpus
    .venv/bin/python bench/bench_linearizable.py large             # 100k ops, 100 keys, c=20
    .venv/bin/python bench/bench_linearizable.py large --ops 100000 --keys 100 \\
        --concurrency 20 --seed 1 --info-rate 0.02 --stale-reads 0
    .venv/bin/python bench/bench_linearizable.py large --ops 1000 --keys 1 \\
        --concurrency 50 --bad-read --time-limit 10     # issue #21's "decide" rows

Checking time excludes parsing (files are read first).  Both wall-clock and CPU
(process) time are printed: on a shared machine the CPU time is the steadier figure.
``--repeat N`` reports the best of N runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checkers.linearizable import check  # noqa: E402
from checkers.linearizable._generate import keyed_register_history  # noqa: E402
from ddialab.history import read_history  # noqa: E402

#: Corpus model -> checker options (as the conformance test runs them).
OPTIONS: dict[str, dict[str, Any]] = {
    "etcd": {"model": "cas-register", "init": None},
    "cas-register": {"model": "cas-register", "init": 0},
    "multi-register": {"model": "multi-register", "init": {"x": 0, "y": 0}},
    "kv": {"model": "kv"},
    "kv-nopartition": {"model": "kv-nopartition"},
    "mutex": {"model": "mutex"},
}


def timed(fn: Any, repeat: int) -> tuple[Any, float, float]:
    """Best-of-``repeat`` (wall, cpu) seconds and the last result."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return result, best_wall, best_cpu


def bench_corpus(corpus: Path, repeat: int, time_limit: float) -> int:
    cases = [c for c in json.loads((corpus / "expected.json").read_text())]
    cases = [c for c in cases if c["checker"] == "linearizable"]
    groups: dict[str, list[tuple[float, float, str, Any, int]]] = defaultdict(list)
    for case in cases:
        history = read_history(corpus / case["path"])
        opts = {**OPTIONS[case["model"]], "time_limit": time_limit}
        result, wall, cpu = timed(lambda h=history, o=opts: check(h, o), repeat)
        ok = result["valid"] is case["expected"]
        groups[case["model"]].append((wall, cpu, case["path"], ok, result["states_explored"]))
    print(
        f"{'group':16} {'cases':>5} {'wall s':>8} {'cpu s':>8} {'max case s':>10} "
        f"{'states':>9}  slowest / mismatches"
    )
    for model, rows in groups.items():
        wall = sum(r[0] for r in rows)
        cpu = sum(r[1] for r in rows)
        slow = max(rows)
        bad = [r[2] for r in rows if not r[3]]
        states = sum(r[4] for r in rows)
        print(
            f"{model:16} {len(rows):5} {wall:8.3f} {cpu:8.3f} {slow[0]:10.3f} {states:9} "
            f" {Path(slow[2]).name}" + (f"  MISMATCH: {bad}" if bad else "")
        )
    return 0


def bench_large(args: argparse.Namespace) -> int:
    h, gen_wall, _ = timed(
        lambda: keyed_register_history(
            args.ops, args.keys, args.concurrency, args.seed, args.info_rate, args.stale_reads
        ),
        1,
    )
    if args.bad_read:
        plant_bad_read(h)
    opts = {"model": "cas-register", "independent": True, "time_limit": args.time_limit}
    result, wall, cpu = timed(lambda: check(h, opts), args.repeat)
    print(
        f"history: {args.ops} ops ({len(h)} events), {args.keys} keys, concurrency "
        f"{args.concurrency}, seed {args.seed}, info rate {args.info_rate}, "
        f"stale reads {args.stale_reads}, bad read {args.bad_read}; generated in {gen_wall:.2f}s"
    )
    print(
        f"check: valid={result['valid']} states={result['states_explored']} "
        f"proven by the linear pass {result['proven_by_linear_pass']}/{result['partitions']} "
        f"wall {wall:.3f}s cpu {cpu:.3f}s"
    )
    if result["valid"] is False:
        print(result["anomalies"]["nonlinearizable"][0]["explanation"])
    return 0


def plant_bad_read(h: Any) -> None:
    """The ok read nearest the middle returns 99, a value never written (as ``bench/all.py``
    plants it for its invalid rows)."""
    reads = [op for op in h if op.type == "ok" and op.f == "read"]
    op = reads[len(reads) // 2]
    op.value = [op.value[0], 99]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("corpus", help="every linearizable case of the shared corpus")
    c.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    for s in (c, lg := sub.add_parser("large", help="a large generated keyed-register history")):
        s.add_argument("--repeat", type=int, default=1)
        s.add_argument("--time-limit", type=float, default=60.0)
    lg.add_argument("--ops", type=int, default=100_000)
    lg.add_argument("--keys", type=int, default=100)
    lg.add_argument("--concurrency", type=int, default=20)
    lg.add_argument("--seed", type=int, default=1)
    lg.add_argument("--info-rate", type=float, default=0.0)
    lg.add_argument("--stale-reads", type=int, default=0)
    lg.add_argument(
        "--bad-read", action="store_true", help="one ok read mid-way returns 99, never written"
    )
    args = p.parse_args(argv)
    if args.what == "corpus":
        return bench_corpus(args.corpus, args.repeat, args.time_limit)
    return bench_large(args)


if __name__ == "__main__":
    raise SystemExit(main())
