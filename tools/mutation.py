"""Mutation-test one core package against its own test directory, with mutmut 3.

Theory of operation
-------------------
mutmut copies the source tree into ``mutants/``, rewrites every function into a trampoline
that dispatches to one of its mutated copies (chosen by ``MUTANT_UNDER_TEST``), first runs
the selected tests once to learn which tests reach which function, then runs, for each
mutant, only the tests that reach it.  A mutant is *killed* when a test fails, *survived*
when all pass.

The core is several packages, each with its own test directory (``PACKAGES`` below), and
mutmut reads one ``[tool.mutmut]`` table.  So each package runs in its own scratch copy of
the working tree, ``mutants/<label>/``, whose ``pyproject.toml`` gets a ``[tool.mutmut]``
table naming that package (``only_mutate``) and that test directory.  Results stay there,
so a rerun continues where the last one stopped (mutmut caches verdicts).

The machine is shared: mutmut runs with ``--max-children`` 1 by default, and
``--sample N`` runs a seeded random sample of N mutants instead of all of them (the score is
then labelled sampled).  The score is killed / (killed + survived + timeout + suspicious);
mutants no test reaches are reported separately.

    python3 tools/mutation.py list                      # packages and their test dirs
    python3 tools/mutation.py run systems/consensus [--sample 150] [--seed 1] [--fresh]
    python3 tools/mutation.py score systems/consensus   # score and surviving mutant names
    python3 tools/mutation.py show systems/consensus NAME   # diff of one mutant
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
SOURCE_PATHS = ["ddialab", "checkers", "systems", "nemesis", "workloads", "reports"]

# package label -> (glob of the files mutated, the test directory that judges them)
PACKAGES: dict[str, tuple[list[str], str]] = {
    "checkers/linearizable": (["checkers/linearizable/*"], "tests/checkers/linearizable"),
    "checkers/elle": (["checkers/elle/*"], "tests/checkers/elle"),
    "checkers/session": (["checkers/session/*"], "tests/checkers/session"),
    "checkers/invariants": (["checkers/invariants/*"], "tests/checkers/invariants"),
    "systems/consensus": (["systems/consensus/*"], "tests/systems/consensus"),
    "systems/replication": (["systems/replication/*"], "tests/systems/replication"),
    "systems/transactions": (["systems/transactions/*"], "tests/systems/transactions"),
    "systems/storage": (["systems/storage/*"], "tests/systems/storage"),
    "nemesis": (["nemesis/_faults.py", "nemesis/_core.py"], "tests/nemesis"),
    "ddialab/history": (["ddialab/history/*"], "tests/history"),
}
EXCLUDED = {".venv", "mutants", "runs", ".git", ".hypothesis", ".mypy_cache", ".ruff_cache"}


def label_dir(label: str) -> Path:
    """The scratch copy in which mutmut runs for one package."""
    return WORK / label.replace("/", "-")


def mutmut_table(label: str) -> str:
    """The ``[tool.mutmut]`` table of one package's scratch copy."""
    globs, tests = PACKAGES[label]
    return (
        "[tool.mutmut]\n"
        f"source_paths = {json.dumps(SOURCE_PATHS)}\n"
        f"only_mutate = {json.dumps(globs)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps([tests])}\n"
    )


def prepare(label: str) -> Path:
    """Copy the working tree (not the venv) and point its mutmut table at one package."""
    dest = label_dir(label)
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(*EXCLUDED, "__pycache__", "*.egg-info")
    for item in ROOT.iterdir():
        if item.name in EXCLUDED or item.name.endswith(".egg-info"):
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dest / item.name)
    text = (ROOT / "pyproject.toml").read_text()
    text = re.sub(r"\[tool\.mutmut\]\n(?:[^\[\n][^\n]*\n|#[^\n]*\n|\n)*", "", text)
    (dest / "pyproject.toml").write_text(text + "\n" + mutmut_table(label))
    return dest


def mutmut(cwd: Path, *args: str) -> int:
    """Run mutmut (from this interpreter's environment) in a scratch copy."""
    # the scratch copy is not beside ../shared: point the corpus tests at the real one
    corpus = os.environ.get("DDIALAB_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    env = dict(os.environ, DDIALAB_CORPUS=corpus)
    return subprocess.call([sys.executable, "-m", "mutmut", *args], cwd=cwd, env=env)


def verdicts(cwd: Path) -> dict[str, int | None]:
    """Every mutant name with its exit code, read from mutmut's ``.meta`` files."""
    found: dict[str, int | None] = {}
    for meta in sorted((cwd / "mutants").rglob("*.meta")):
        found.update(json.loads(meta.read_text()).get("exit_code_by_key", {}))
    return found


def run(label: str, sample: int | None, seed: int, jobs: int, fresh: bool) -> int:
    """Generate the mutants; run all of them, or a seeded sample (the same seed and tree
    give the same sample).  ``fresh`` forgets cached verdicts and the test map first."""
    if fresh:
        shutil.rmtree(label_dir(label), ignore_errors=True)
    cwd = prepare(label)
    if sample is None:
        return mutmut(cwd, "run", "--max-children", str(jobs))
    # generate mutants and the test map without running any mutant (a pattern that matches
    # none: mutmut then reports "nothing matches"), then pick the sample
    mutmut(cwd, "run", "--max-children", str(jobs), "no-such-mutant-*")
    names = sorted(verdicts(cwd))
    chosen = random.Random(seed).sample(names, min(sample, len(names)))
    (cwd / "sample.json").write_text(json.dumps(sorted(chosen), indent=1))
    return mutmut(cwd, "run", "--max-children", str(jobs), *sorted(chosen))


def score(label: str) -> dict[str, object]:
    """Counts per status and the score over the mutants that were run (sample or all)."""
    cwd = label_dir(label)
    found = verdicts(cwd)
    sample_file = cwd / "sample.json"
    sampled = sample_file.exists()
    if sampled:
        found = {n: found.get(n) for n in json.loads(sample_file.read_text())}
    counts = Counter(status_by_exit_code[code] for code in found.values())
    judged = sum(counts[s] for s in ("killed", "survived", "timeout", "suspicious"))
    return {
        "package": label,
        "tests": PACKAGES[label][1],
        "mutants_total": len(verdicts(cwd)),
        "sampled": sampled,
        "counts": dict(sorted(counts.items())),
        "score": round(100 * (counts["killed"] + counts["timeout"]) / judged, 1)
        if judged
        else None,
        "survived": sorted(n for n, c in found.items() if status_by_exit_code[c] == "survived"),
    }


def main(argv: list[str] | None = None) -> int:
    """The command line: list, run, score, show."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    for name in ("run", "score", "show"):
        p = sub.add_parser(name)
        p.add_argument("package", choices=sorted(PACKAGES))
        if name == "run":
            p.add_argument("--sample", type=int, default=None)
            p.add_argument("--seed", type=int, default=1)
            p.add_argument("--jobs", type=int, default=1)
            p.add_argument("--fresh", action="store_true")
        if name == "show":
            p.add_argument("mutant")
    args = parser.parse_args(argv)
    if args.command == "list":
        for label, (globs, tests) in PACKAGES.items():
            print(f"{label:24} {tests:32} {' '.join(globs)}")
        return 0
    if args.command == "run":
        return run(args.package, args.sample, args.seed, args.jobs, args.fresh)
    if args.command == "show":
        return mutmut(label_dir(args.package), "show", args.mutant)
    print(json.dumps(score(args.package), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
