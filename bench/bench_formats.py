"""Parse rate of the history readers (ops/s), on synthetic histories and the corpus.

Reproduce with::

    .venv/bin/python bench/bench_formats.py            # 100k ops per synthetic history
    .venv/bin/python bench/bench_formats.py --ops 20000 --repeat 1

Synthetic histories (seeded, so every run reads the same bytes) are written to a temporary
directory in each format: a cas-register history (Knossos/Porcupine style ops) and a
list-append txn history (Elle style, 1-4 micro-ops, reads of up to ~40 elements).  The
corpus files are read when ``../shared/corpus`` exists.  Each figure is the best of
``--repeat`` full streaming reads (``iter_history``), so it excludes other load on the box.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ddialab.history import Op, iter_history, write_history
from ddialab.history._edn import dumps

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def register_ops(n: int, rng: random.Random) -> Iterator[Op]:
    for i in range(0, n - 1, 2):
        p = rng.randrange(10)
        f = rng.choice(["read", "write", "cas"])
        v = None if f == "read" else rng.randrange(5) if f == "write" else [1, 2]
        yield Op(i, i * 1000, "invoke", p, f, v)
        done = rng.randrange(5) if f == "read" else v
        yield Op(i + 1, i * 1000 + 500, rng.choice(["ok", "ok", "fail", "info"]), p, f, done)


def txn_ops(n: int, rng: random.Random) -> Iterator[Op]:
    lengths = [0] * 20
    for i in range(0, n - 1, 2):
        p = rng.randrange(20)
        inv, ok = [], []
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(20)
            if rng.random() < 0.5:
                lengths[k] += 1
                inv.append(["append", k, lengths[k]])
                ok.append(["append", k, lengths[k]])
            else:
                inv.append(["r", k, None])
                ok.append(["r", k, list(range(1, min(lengths[k], 40) + 1))])
        yield Op(i, i * 1000, "invoke", p, "txn", inv)
        yield Op(i + 1, i * 1000 + 500, "ok", p, "txn", ok)


def write_log(ops: Iterator[Op], path: Path) -> None:
    with path.open("w") as out:
        for op in ops:
            out.write(f"INFO  jepsen.util - {op.process}\t:{op.type}\t:{op.f}\t{dumps(op.value)}\n")


def write_kv(n: int, rng: random.Random, path: Path) -> None:
    with path.open("w") as out:
        for i in range(0, n - 1, 2):
            p, k, f = (
                rng.randrange(10),
                str(rng.randrange(10)),
                rng.choice(["get", "put", "append"]),
            )
            v = "nil" if f == "get" else f'"x {p} {i} y"'
            for typ in ("invoke", "ok"):
                out.write(f'{{:process {p}, :type :{typ}, :f :{f}, :key "{k}", :value {v}}}\n')


def rate(path: Path, fmt: str | None, repeat: int) -> tuple[int, float]:
    best = float("inf")
    n = 0
    for _ in range(repeat):
        t0 = time.process_time()
        n = sum(1 for _ in iter_history(path, fmt))
        best = min(best, time.process_time() - t0)
    return n, best


def report(label: str, path: Path, fmt: str | None, repeat: int) -> None:
    n, secs = rate(path, fmt, repeat)
    size = os.path.getsize(path) / 1e6
    print(f"{label:<34} {n:>8} ops {size:7.1f} MB {secs:7.2f} s {n / secs:>10,.0f} ops/s")


_MEMORY = """
import sys, tracemalloc
from ddialab.history import iter_history
tracemalloc.start()
if sys.argv[2] == "read-whole-file":  # the control: what holding the text would cost
    n = len(open(sys.argv[1]).read())
else:
    n = sum(1 for _ in iter_history(sys.argv[1], sys.argv[2]))
print(n, tracemalloc.get_traced_memory()[1])
"""


def peak_memory(path: Path, fmt: str) -> None:
    """Peak Python allocation (tracemalloc) of a fresh interpreter streaming ``path``, next
    to that of merely reading the file into one string."""
    grew = []
    for mode in (fmt, "read-whole-file"):
        cmd = [sys.executable, "-c", _MEMORY, str(path), mode]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
        grew.append(int(out[1]) / 1e6)
    size = os.path.getsize(path) / 1e6
    print(
        f"  {path.name} ({size:.1f} MB, ONE line): peak allocation {grew[0]:.1f} MB"
        f" streaming, vs {grew[1]:.1f} MB for read() alone"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--ops", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, gen in (("register", register_ops), ("txn", txn_ops)):
            ops = list(gen(args.ops, random.Random(42)))
            write_history(ops, d / f"{name}.jsonl")
            write_history(ops, d / f"{name}.edn", format="edn")
            report(f"{name} jsonl (baseline)", d / f"{name}.jsonl", None, args.repeat)
            report(f"{name} edn (one map a line)", d / f"{name}.edn", "edn", args.repeat)
            vector = d / f"{name}-vector.edn"
            vector.write_text("[" + (d / f"{name}.edn").read_text().split("\n", 1)[1] + "]\n")
            report(f"{name} edn (one vector)", vector, "edn", args.repeat)
            one_line = d / f"{name}-one-line.edn"
            one_line.write_text(vector.read_text().replace("\n", " "))
            peak_memory(one_line, "edn")
        write_log(register_ops(args.ops, random.Random(42)), d / "register.log")
        report("register jepsen-log", d / "register.log", "jepsen-log", args.repeat)
        write_kv(args.ops, random.Random(42), d / "kv.txt")
        report("porcupine-kv", d / "kv.txt", "porcupine-kv", args.repeat)
    if CORPUS.exists():
        report(
            "corpus elle huge-scc.edn", CORPUS / "elle/histories/huge-scc.edn", "edn", args.repeat
        )
        report(
            "corpus knossos mongodb-...-1.edn",
            CORPUS / "knossos/data/cas-register/good/mongodb-v0-ack-rollback-1.edn",
            "edn",
            args.repeat,
        )


if __name__ == "__main__":
    main()
