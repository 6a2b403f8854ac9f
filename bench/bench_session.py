"""Session-guarantee checker throughput on simulated linearizable histories.

    .venv/bin/python bench/bench_session.py                 # 100k ops per mode (50k op pairs)
    .venv/bin/python bench/bench_session.py --pairs 10000 --modes append

Histories come from ``checkers.session.testing.linearizable_history`` (seeded, so the input
is reproducible): 10 client processes, 20 keys, 5% of ops indeterminate; registers and txns
carry per-key system versions, append keys are judged by their lists.  Each history must
pass all five guarantees; the figures are the wall and CPU time of ``check`` (parse + five
passes), best of ``--repeat`` runs.  On a shared machine CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import time

from checkers.session import check
from checkers.session.testing import linearizable_history


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=50_000, help="ops per history (x2 events)")
    ap.add_argument("--modes", default="register,append,txn", help="also: set")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for mode in args.modes.split(","):
        h = linearizable_history(args.seed, args.pairs, processes=10, keys=20, mode=mode)
        best = cpu = float("inf")
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            r = check(h, {})
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        assert r["valid"] is True, r["guarantees"]
        print(
            f"{mode:9s} {len(h):7d} ops  {best:6.2f} s wall  {cpu:6.2f} s cpu  "
            f"{len(h) / best:8.0f} ops/s  "
            f"verdicts {sorted(set(map(str, r['guarantees'].values())))}",
            flush=True,
        )


if __name__ == "__main__":
    main()
