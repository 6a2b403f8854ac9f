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

Import time: a blind spot, re-judged in a fresh interpreter
-----------------------------------------------------------
mutmut imports the code once, in its own process, and *forks* a child per mutant; the
trampoline picks the mutant when a function is *called*.  A function called only while the
modules are imported or the tests collected (a module-level table such as elle's
``APPEND_PLANTS`` or ``SPECS``) ran before any mutant was active: its mutants "survive"
whatever the tests say.  So after a run, ``recheck`` (1) collects the test directory once in a
fresh interpreter with mutmut's ``stats`` mode on, which names every function hit at import
or collection time, then (2) runs the whole test directory again, in a fresh interpreter with
the mutant active from the first import (``MUTANT_UNDER_TEST`` set in its environment), for
each *surviving* mutant of such a function.  Its verdict replaces mutmut's: killed if a test
fails or the mutated import raises, survived if all pass.  Nothing is excluded and no other
verdict is touched; a fresh interpreter is simply how the mutated program would really run.
The verdicts go to ``fresh.json`` beside ``sample.json``; ``score`` lists them apart.

    python3 tools/mutation.py list                      # packages and their test dirs
    python3 tools/mutation.py run systems/consensus [--sample 150] [--seed 1] [--fresh]
    python3 tools/mutation.py recheck checkers/elle     # import-time survivors, fresh (run does it)
    python3 tools/mutation.py score systems/consensus   # score and surviving mutant names
    python3 tools/mutation.py show systems/consensus NAME   # diff of one mutant
    python3 tools/mutation.py equivalent systems/consensus NAME --why "..."  # record one

Equivalent mutants: listed, argued, and dropped from the denominator
-------------------------------------------------------------------
A survivor that no test *can* kill (the mutated program behaves the same: a default that is
never used, a bound that cannot be reached) is an equivalent mutant; the usual mutation
score leaves those out.  ``equivalent`` records one in ``tools/mutation_equivalents.json``
with the reason and the SHA-256 of its diff.  ``score`` then counts a survivor as
``equivalent`` only while its diff is still that diff: mutmut numbers mutants per function,
so an edited function renumbers them and a stale entry stops applying (it is reported under
``stale_equivalents`` and the mutant counts as survived again).  ``score`` prints both
figures: ``score`` (equivalents left out) and ``score_counting_equivalents``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code
from mutmut.utils.format_utils import mangled_name_from_mutant_name

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
# collect the tests in mutmut's stats mode and write the functions hit (at import/collection)
HITS_SCRIPT = """
import json, sys, pytest
from mutmut.state import state
code = pytest.main(["--collect-only", "-qq", "-p", "no:randomly", sys.argv[1]])
json.dump({"exit": int(code), "hits": sorted(state()._stats)}, open(sys.argv[2], "w"))
"""
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.json"
FRESH_KILL = {1, 2, 3}  # tests failed, collection (the mutated import) raised, internal error
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


def environment(**extra: str) -> dict[str, str]:
    """This environment, with the corpus location (the scratch copy is not beside
    ``../shared``: point the corpus tests at the real one), the derandomized ``mutation``
    hypothesis profile unless another is chosen (tests/conftest.py), and ``extra``."""
    corpus = os.environ.get("DDIALAB_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    profile = os.environ.get("DDIALAB_HYPOTHESIS", "mutation")
    return dict(os.environ, DDIALAB_CORPUS=corpus, DDIALAB_HYPOTHESIS=profile, **extra)


def mutmut(cwd: Path, *args: str) -> int:
    """Run mutmut (from this interpreter's environment) in a scratch copy."""
    return subprocess.call([sys.executable, "-m", "mutmut", *args], cwd=cwd, env=environment())


def verdicts(cwd: Path) -> dict[str, int | None]:
    """Every mutant name with its exit code, read from mutmut's ``.meta`` files."""
    found: dict[str, int | None] = {}
    for meta in sorted((cwd / "mutants").rglob("*.meta")):
        found.update(json.loads(meta.read_text()).get("exit_code_by_key", {}))
    return found


def run(label: str, sample: int | None, seed: int, jobs: int, fresh: bool) -> int:
    """Generate the mutants; run all of them, or a seeded sample (the same seed and tree
    give the same sample); then re-judge the import-time survivors (``recheck``).
    ``fresh`` forgets cached verdicts and the test map first."""
    if fresh:
        shutil.rmtree(label_dir(label), ignore_errors=True)
    cwd = prepare(label)
    chosen: list[str] = []
    if sample is not None:
        chosen = pick(cwd, sample, seed, jobs)
    code = mutmut(cwd, "run", "--max-children", str(jobs), *chosen)
    recheck(label)
    return code


def pick(cwd: Path, sample: int, seed: int, jobs: int) -> list[str]:
    """Generate the mutants and the test map without running any mutant (a pattern that
    matches none: mutmut then reports "nothing matches"), then draw and record the sample."""
    mutmut(cwd, "run", "--max-children", str(jobs), "no-such-mutant-*")
    names = sorted(verdicts(cwd))
    chosen = sorted(random.Random(seed).sample(names, min(sample, len(names))))
    (cwd / "sample.json").write_text(json.dumps(chosen, indent=1))
    return chosen


def judged(cwd: Path) -> dict[str, int | None]:
    """mutmut's verdicts of the mutants run: the sample's, or all of them."""
    found = verdicts(cwd)
    sample_file = cwd / "sample.json"
    if not sample_file.exists():
        return found
    return {n: found.get(n) for n in json.loads(sample_file.read_text())}


def import_time_functions(cwd: Path, tests: str) -> set[str]:
    """The (mangled) functions hit while a fresh interpreter imports the code and collects
    the test directory: the ones a forked mutant can never switch."""
    out = cwd / "import-hits.json"
    subprocess.run(
        [sys.executable, "-c", HITS_SCRIPT, tests, str(out)],
        cwd=cwd / "mutants",
        env=environment(MUTANT_UNDER_TEST="stats"),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    found = json.loads(out.read_text())
    if found["exit"] != 0:
        raise SystemExit(f"collecting {tests} in {cwd / 'mutants'} failed: exit {found['exit']}")
    return set(found["hits"])


def fresh_exit(cwd: Path, tests: str, mutant: str, timeout: float | None) -> int:
    """Exit code of the whole test directory in a fresh interpreter, ``mutant`` active from
    the first import ("" for none); 36 (mutmut's timeout code) past ``timeout`` seconds."""
    command = [sys.executable, "-m", "pytest", tests, "-x", "-q", "-p", "no:randomly"]
    try:
        return subprocess.run(
            command,
            cwd=cwd / "mutants",
            env=environment(MUTANT_UNDER_TEST=mutant),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        ).returncode
    except subprocess.TimeoutExpired:
        return 36


def recheck(label: str) -> dict[str, int]:
    """Re-judge, each in a fresh interpreter, the surviving mutants of functions run at import
    or collection time; write ``fresh.json``.  The unmutated baseline must pass first (fail
    closed: otherwise no fresh verdict means anything); its time sets the timeout."""
    cwd = label_dir(label)
    tests = PACKAGES[label][1]
    hits = import_time_functions(cwd, tests)
    todo = [
        n
        for n, c in sorted(judged(cwd).items())
        if status_by_exit_code[c] == "survived" and mangled_name_from_mutant_name(n) in hits
    ]
    fresh: dict[str, int] = {}
    if todo:
        fresh = rejudge(cwd, tests, todo)
    record = {"import_time_functions": sorted(hits), "verdicts": fresh}
    (cwd / "fresh.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))
    return fresh


def rejudge(cwd: Path, tests: str, names: list[str]) -> dict[str, int]:
    """The fresh-interpreter exit code of each mutant, after a passing unmutated baseline."""
    started = time.monotonic()
    baseline = fresh_exit(cwd, tests, "", None)
    if baseline != 0:
        raise SystemExit(f"{tests} fails unmutated in {cwd / 'mutants'} (exit {baseline})")
    timeout = 10 * (time.monotonic() - started) + 30
    return {name: fresh_exit(cwd, tests, name, timeout) for name in names}


def fresh_status(code: int) -> str:
    """A fresh run's verdict: any failure to pass is a kill; a timeout is a timeout."""
    if code in FRESH_KILL:
        return "killed"
    return "survived" if code == 0 else status_by_exit_code[code]


def mutant_diff(label: str, name: str) -> str:
    """The diff of one mutant as ``mutmut show`` prints it, from its ``---`` line on."""
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=label_dir(label),
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    start = shown.find("--- ")
    if start < 0:
        raise SystemExit(f"mutmut show {name} printed no diff (is it a mutant of {label}?)")
    return shown[start:]


def diff_digest(diff: str) -> str:
    """What an equivalence is pinned to: the mutant's diff, whitespace at the ends aside."""
    return hashlib.sha256(diff.strip().encode()).hexdigest()


def equivalents(label: str) -> dict[str, dict[str, str]]:
    """The recorded equivalent mutants of one package: name -> {diff_sha256, why}."""
    if not EQUIVALENTS.exists():
        return {}
    table: dict[str, list[dict[str, str]]] = json.loads(EQUIVALENTS.read_text())
    return {e["mutant"]: e for e in table.get(label, [])}


def record_equivalent(label: str, name: str, why: str) -> dict[str, str]:
    """Add (or replace) one equivalent mutant of ``label``, pinned to its current diff."""
    if not why.strip():
        raise SystemExit("say why the mutant is equivalent (--why)")
    entry = {"mutant": name, "diff_sha256": diff_digest(mutant_diff(label, name)), "why": why}
    table = json.loads(EQUIVALENTS.read_text()) if EQUIVALENTS.exists() else {}
    kept = [e for e in table.get(label, []) if e["mutant"] != name]
    table[label] = sorted([*kept, entry], key=lambda e: e["mutant"])
    EQUIVALENTS.write_text(json.dumps(table, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return entry


def split_equivalents(label: str, survived: list[str]) -> tuple[list[str], list[str]]:
    """Of the survivors, those recorded as equivalent whose diff is unchanged, and those
    recorded whose diff has changed since (stale: they count as survived)."""
    listed = equivalents(label)
    same, stale = [], []
    for name in (n for n in survived if n in listed):
        digest = diff_digest(mutant_diff(label, name))
        (same if digest == listed[name]["diff_sha256"] else stale).append(name)
    return same, stale


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; None when nothing was judged."""
    return round(100 * part / whole, 1) if whole else None


def score(label: str) -> dict[str, object]:
    """Counts per status and the score over the mutants that were run (sample or all), with
    the fresh-interpreter verdicts of import-time survivors in place of mutmut's, and the
    recorded equivalent survivors left out of the denominator (and counted apart)."""
    cwd = label_dir(label)
    fresh_file = cwd / "fresh.json"
    fresh = json.loads(fresh_file.read_text())["verdicts"] if fresh_file.exists() else {}
    status = {n: status_by_exit_code[c] for n, c in judged(cwd).items()}
    status.update({n: fresh_status(c) for n, c in fresh.items()})
    same, stale = split_equivalents(label, sorted(n for n, s in status.items() if s == "survived"))
    status.update(dict.fromkeys(same, "equivalent"))
    counts = Counter(status.values())
    killed = counts["killed"] + counts["timeout"]
    run_ = sum(counts[s] for s in ("killed", "survived", "timeout", "suspicious"))
    return {
        "package": label,
        "tests": PACKAGES[label][1],
        "mutants_total": len(verdicts(cwd)),
        "sampled": (cwd / "sample.json").exists(),
        "counts": dict(sorted(counts.items())),
        "score": percent(killed, run_),
        "score_counting_equivalents": percent(killed, run_ + counts["equivalent"]),
        "rechecked_fresh": {n: fresh_status(c) for n, c in sorted(fresh.items())},
        "survived": sorted(n for n, s in status.items() if s == "survived"),
        "equivalent": same,
        "stale_equivalents": stale,
    }


def main(argv: list[str] | None = None) -> int:
    """The command line: list, run, recheck, score, show, equivalent."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    for name in ("run", "recheck", "score", "show", "equivalent"):
        p = sub.add_parser(name)
        p.add_argument("package", choices=sorted(PACKAGES))
        if name == "run":
            p.add_argument("--sample", type=int, default=None)
            p.add_argument("--seed", type=int, default=1)
            p.add_argument("--jobs", type=int, default=1)
            p.add_argument("--fresh", action="store_true")
        if name in ("show", "equivalent"):
            p.add_argument("mutant")
        if name == "equivalent":
            p.add_argument("--why", required=True, help="why no test can tell it apart")
    args = parser.parse_args(argv)
    if args.command == "list":
        for label, (globs, tests) in PACKAGES.items():
            print(f"{label:24} {tests:32} {' '.join(globs)}")
        return 0
    if args.command == "run":
        return run(args.package, args.sample, args.seed, args.jobs, args.fresh)
    if args.command == "recheck":
        print(json.dumps(recheck(args.package), indent=1))
        return 0
    if args.command == "equivalent":
        print(json.dumps(record_equivalent(args.package, args.mutant, args.why), indent=1))
        return 0
    if args.command == "show":
        return mutmut(label_dir(args.package), "show", args.mutant)
    print(json.dumps(score(args.package), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
