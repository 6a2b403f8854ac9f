"""One row of ``bench/all.py`` in several checkouts, interleaved, compared run by run.

    .venv/bin/python bench/side_by_side.py /tmp/ee7 /tmp/main .           # the sim row
    .venv/bin/python bench/side_by_side.py --row sim --rounds 5 --repeat 3 OLD NEW

The host's speed varies from minute to minute (other developers' jobs share its two cores),
so a figure is only comparable with one taken in the same minute.  Each round runs
``bench/all.py --only ROW --repeat N`` once in every checkout, in the order given, with
this interpreter (each checkout's ``bench/all.py`` puts its own tree first on
``sys.path``; a checkout made with ``git archive`` needs no venv of its own).  Printed: every
run (time, load average, the row's figures), then per checkout the median over the rounds
of its CPU seconds, wall ops/s, and its speed relative to the *first* checkout -- the
median of the per-round ratios of CPU seconds, each taken from the same round.  Nothing is
asserted by a test; docs/performance.md quotes its output.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

FIGS = re.compile(r"wall (?P<wall>[\d.]+) s, cpu (?P<cpu>[\d.]+) s, (?P<ops>[\d,]+) ops/s")


def run_row(checkout: Path, row: str, repeat: int) -> dict[str, float]:
    """The row's wall and CPU seconds and wall ops/s in one checkout (median of ``repeat``)."""
    cmd = [sys.executable, "bench/all.py", "--only", row, "--repeat", str(repeat)]
    out = subprocess.run(cmd, cwd=checkout, check=True, capture_output=True, text=True).stdout
    line = next((x for x in out.splitlines() if x.startswith(f"| {row} |")), "")
    m = FIGS.search(line)
    if m is None:
        raise SystemExit(f"{checkout}: no figures for row {row!r} in:\n{out}")
    return {
        "wall": float(m["wall"]),
        "cpu": float(m["cpu"]),
        "ops": float(m["ops"].replace(",", "")),
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(names: list[str], rounds: list[list[dict[str, float]]]) -> None:
    print("| checkout | CPU s (median) | wall ops/s (median) | speed vs first (CPU, per round) |")
    print("|---|---|---|---|")
    for i, name in enumerate(names):
        cpu = statistics.median(r[i]["cpu"] for r in rounds)
        ops = statistics.median(r[i]["ops"] for r in rounds)
        ratio = statistics.median(r[0]["cpu"] / r[i]["cpu"] for r in rounds)
        print(f"| {name} | {cpu:.3f} | {ops:,.0f} | {ratio:.2f}x |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkouts", nargs="+", type=Path, help="trees with bench/all.py; first = base")
    p.add_argument("--row", default="sim", help="a bench/all.py row (default: sim)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3, help="bench/all.py --repeat")
    a = p.parse_args(argv)
    for c in a.checkouts:
        if not (c / "bench" / "all.py").is_file():
            raise SystemExit(f"{c}: no bench/all.py (expected a checkout of ddialab)")
    names = [str(c) for c in a.checkouts]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load()}")
    print(f"# bench/side_by_side.py --row {a.row} --rounds {a.rounds} --repeat {a.repeat}")
    rounds = []
    for n in range(a.rounds):
        results = []
        for name, c in zip(names, a.checkouts, strict=True):
            r = run_row(c.resolve(), a.row, a.repeat)
            results.append(r)
            print(f"# round {n + 1} {datetime.now(UTC):%H:%M:%S} load {load()} {name}: "
                  f"wall {r['wall']:.3f} s, cpu {r['cpu']:.3f} s, {r['ops']:,.0f} ops/s",
                  flush=True)  # fmt: skip
        rounds.append(results)
    summary(names, rounds)
    print(f"# load average after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
