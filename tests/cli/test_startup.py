"""Startup of ``ddialab check`` (issue #20 item 5), pinned without timing: the check path
must not import the simulator, the systems, faults, workloads, the report templates or
test tooling.  Each import it gains costs every invocation tens of milliseconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Top-level packages a plain `check` must never load (each one's import is 20-300 ms).
HEAVY = ("trio", "systems", "nemesis", "workloads", "pytest", "_pytest", "jinja2", "rich",
         "networkx", "reports", "hypothesis")  # fmt: skip

PROBE = """
import json, sys
import ddialab.cli
code = ddialab.cli.main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def _imported(argv: list[str]) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                          text=True, check=True)  # fmt: skip
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"])


@pytest.mark.parametrize(
    ("argv", "needed"),
    [
        (["-c", "linearizable", "--model", "cas-register"], set()),
        (["-c", "elle", "--model", "list-append"], {"networkx"}),  # its cycle search
        (["-c", "session"], set()),
    ],
)
def test_check_on_a_tiny_file_imports_nothing_heavy(
    tmp_path: Path, argv: list[str], needed: set[str]
) -> None:
    """Guards the lazy subcommand table and the lazy imports of the check path: an eager
    `import ddialab._cli_run` (or any module importing systems/trio) in cli.py or
    _cli_check.py makes this fail, naming the module.  ``needed``: what the checker
    itself imports (elle builds networkx graphs)."""
    empty = tmp_path / "h.jsonl"
    empty.write_text("")
    code, modules = _imported(["check", str(empty), *argv])
    assert code == 0
    unwanted = (modules & set(HEAVY)) - needed
    assert not unwanted, sorted(unwanted)
    assert "checkers" in modules  # the probe really ran the check path


def test_the_probe_sees_heavy_imports_when_they_happen(tmp_path: Path) -> None:
    """Guards the probe itself: checking a run directory loads the runner (to re-derive
    the run's options), so trio and systems must show up -- else the test above could
    pass for the wrong reason."""
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    spec = {"system": "single-node", "workload": "register", "nemesis": [], "seed": 0}
    (run_dir / "test.json").write_text(json.dumps({"spec": spec}))
    (run_dir / "history.jsonl").write_text("")
    code, modules = _imported(["check", str(run_dir), "-c", "linearizable"])
    assert code == 0
    assert {"trio", "systems"} <= modules


def test_lazy_help_lines_are_the_subcommands_own() -> None:
    """Guards the lazy parser's second copy of each help line: ``ddialab --help`` prints
    ``SUBCOMMANDS``' line without importing the module, so a module's own ``add_parser``
    help drifting from it would show two descriptions of one command."""
    import argparse

    from ddialab.cli import SUBCOMMANDS, build_parser

    parser = build_parser(None)  # every module's own add_parser
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    own = {a.dest: a.help for a in sub._choices_actions}
    assert own == {name: line for name, (_module, line) in SUBCOMMANDS.items()}
