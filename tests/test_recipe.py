"""The "adding a ..." recipe in docs/contributing.md, checked by following it.

Theory of operation
-------------------
For each kind (checker, workload, system, fault kind, nemesis package) a test makes
*exactly* the edits the recipe names -- new files in a temporary directory, and text
inserted after an anchor in the one registry module the recipe points at -- and then
drives the real CLI to see that everything the recipe promises picks the new entry up:
``ddialab list``, runs, option validation with "did you mean", the matrix, replay,
shrink, the report.  The edits are applied in a child interpreter by an import hook that
compiles the edited source instead of the file on disk (nothing in the checkout is
written), so each test sees a fresh import of the project with the edit in place.  An
anchor that is missing or not unique fails the test: the place the recipe names must
exist, and be the one place.

If a promise breaks -- a table moves, a derived table stops being derived, a new kind
needs one more edit than the recipe says -- the matching test fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from ddialab.vocabulary import option_table
from workloads import WORKLOADS

#: runs in the child: install the edits, then run each command through ``cli.main``
DRIVER = """
import contextlib, importlib.abc, importlib.util, io, json, sys
EDITS = json.loads(sys.argv[1])
COMMANDS = json.loads(sys.argv[2])

class Edited(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name not in EDITS:
            return None
        others = (f for f in sys.meta_path if f is not self and hasattr(f, "find_spec"))
        found = next(s for f in others if (s := f.find_spec(name, path, target)))
        return importlib.util.spec_from_file_location(
            name, found.origin, loader=self,
            submodule_search_locations=found.submodule_search_locations)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        source = open(module.__file__).read()
        for anchor, text in EDITS[module.__name__]:
            if source.count(anchor) != 1:
                n = source.count(anchor)
                raise SystemExit(f"anchor in {module.__name__} found {n} times: {anchor!r}")
            source = source.replace(anchor, anchor + text)
        exec(compile(source, module.__file__, "exec"), module.__dict__)

sys.meta_path.insert(0, Edited())
from ddialab.cli import main
results = []
for argv in COMMANDS:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""

Edits = dict[str, list[tuple[str, str]]]


def follow(
    tmp: Path, files: dict[str, str], edits: Edits, commands: list[list[str]]
) -> list[tuple[int, str, str]]:
    """Write ``files`` under ``tmp``, apply ``edits``, run ``commands``: (code, out, err)."""
    for name, text in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(textwrap.dedent(text))
    (tmp / "driver.py").write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, "driver.py", json.dumps(edits), json.dumps(commands)],
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [(code, out, err) for code, out, err in json.loads(done.stdout.splitlines()[-1])]


def run_args(tmp: Path, out: str, *args: str) -> list[str]:
    return ["run", "--time-limit", "4", "--out", str(tmp / out), *args]


def history(tmp: Path, out: str) -> list[dict[str, Any]]:
    lines = (tmp / out / "history.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def results(tmp: Path, out: str) -> dict[str, Any]:
    return json.loads((tmp / out / "results.json").read_text())


# -- a checker: its module + one CheckerEntry --------------------------------------------------
CHECKER = {
    "recipe_checker.py": '''
        """Counts ok reads; a history without any checked nothing."""
        def check(history, options):
            reads = sum(1 for op in history.client_ops() if op.type == "ok" and op.f == "read")
            if not reads:
                return {"valid": "unknown", "anomaly_types": [], "anomalies": {},
                        "reason": "no ok reads"}
            return {"valid": True, "anomaly_types": [], "anomalies": {}, "reads": reads}
    '''
}
CHECKER_EDIT: Edits = {
    "checkers._registry": [
        (
            "    for e in [\n",
            '        CheckerEntry("reads-seen", "recipe_checker:check", "counts ok reads"),\n',
        )
    ]
}


def test_a_new_checker_is_listed_checkable_and_runnable(tmp_path: Path) -> None:
    """Guards the checker recipe: one ``CheckerEntry`` in ``checkers/_registry.py`` makes
    the checker listed, usable by ``check -c`` and ``run --checker``, and misspellings of
    it answered with "did you mean"."""
    listed, run, check, typo = follow(tmp_path, CHECKER, CHECKER_EDIT, [
        ["list", "checkers"],
        run_args(tmp_path, "r", "--checker", "reads-seen"),
        ["check", "-c", "reads-seen", str(tmp_path / "r")],
        run_args(tmp_path, "typo", "--checker", "reads-sen"),
    ])  # fmt: skip
    assert "reads-seen" in listed[1] and "counts ok reads" in listed[1]
    assert run[0] == 0 and results(tmp_path, "r")["checkers"]["reads-seen"]["reads"] > 0
    assert check[0] == 0, check
    assert typo[0] == 2 and "did you mean 'reads-seen'" in typo[2]


# -- a workload: its module + one line in WORKLOAD_MODULES (+ the systems that run it) ----------
WORKLOAD = {
    "recipe_workload.py": """
        from dataclasses import dataclass
        from ddialab.vocabulary import option
        from workloads import Workload, typed

        @dataclass(frozen=True)
        class BlindOptions:
            keys: int = 2
            read_ratio: float = option(0.5, help="share of reads")

        def generator(rng, options):
            o = typed(BlindOptions, options, "blind-writes")
            counter = iter(range(1, 10**9))
            def next_op():
                k = rng.randrange(o.keys)
                if rng.random() < o.read_ratio:
                    return {"f": "read", "value": [k, None]}
                return {"f": "write", "value": [k, next(counter)]}
            return next_op

        def checkers(options):
            typed(BlindOptions, options, "blind-writes")
            return {"linearizable": ("linearizable",
                    {"model": "cas-register", "independent": True, "init": None})}

        WORKLOAD = Workload("blind-writes", "writes and reads, no cas", generator, checkers,
                            settings=BlindOptions)
    """
}
WORKLOAD_EDIT: Edits = {
    "workloads": [("WORKLOAD_MODULES = (\n", '    "recipe_workload",\n')],
    "systems.single._kv": [('    {"durable": True},\n    (', '"blind-writes", ')],
}


def test_a_new_workload_runs_with_its_checkers_and_validated_options(tmp_path: Path) -> None:
    """Guards the workload recipe: a module plus one ``WORKLOAD_MODULES`` line (and the
    name in a system's ``workloads``) makes it listed, runnable with its own checkers,
    its typed options validated with "did you mean", and part of that system's matrix."""
    listed, run, typo, bad, wrong_system, matrix = follow(tmp_path, WORKLOAD, WORKLOAD_EDIT, [
        ["list", "workloads"],
        run_args(tmp_path, "r", "-w", "blind-writes", "--workload-option", "keys=3"),
        run_args(tmp_path, "t", "-w", "blind-writes", "--workload-option", "key=3"),
        run_args(tmp_path, "b", "-w", "blind-writes", "--workload-option", 'read_ratio="x"'),
        run_args(tmp_path, "w", "-w", "blind-writes", "-s", "single-node-ack-before-fsync"),
        ["matrix", "--systems", "single-node", "--seeds", "1", "--time-limit", "1",
         "--jobs", "1", "--out", str(tmp_path / "m")],
    ])  # fmt: skip
    assert "blind-writes" in listed[1]
    assert run[0] == 0 and list(results(tmp_path, "r")["checkers"]) == ["linearizable"]
    assert {op["value"][0] for op in history(tmp_path, "r") if op.get("f") == "write"} == {0, 1, 2}
    assert typo[0] == 2 and "did you mean 'keys'" in typo[2]
    assert bad[0] == 2 and "'read_ratio' takes a number" in bad[2]
    assert wrong_system[0] == 2 and "does not run workload 'blind-writes'" in wrong_system[2]
    assert matrix[0] == 0 and "blind-writes" in (tmp_path / "m" / "matrix.json").read_text()


# -- a system: a family module listed in FAMILY_MODULES, or a user's module:ENTRY ---------------
SYSTEM = {
    "recipe_family/__init__.py": """
        from dataclasses import dataclass
        from ddialab.vocabulary import option, typed_options
        from systems import SystemEntry
        from systems.single import ENTRY as SINGLE

        @dataclass(frozen=True)
        class EchoOptions:
            durable: bool = option(True, help="fsync before ack")

        def build(options):
            settings = typed_options(EchoOptions, options, "system echo-kv")
            return SINGLE.build({"durable": settings.durable})

        ENTRY = SystemEntry("echo-kv", "the single node under another name", build,
                            {}, ("register",), settings=EchoOptions)
        ENTRIES = [ENTRY]
    """
}
SYSTEM_EDIT: Edits = {"systems._registry": [("FAMILY_MODULES = (\n", '    "recipe_family",\n')]}


def test_a_new_system_family_is_listed_runnable_validated_and_in_the_matrix(
    tmp_path: Path,
) -> None:
    """Guards the system recipe: a family package plus one ``FAMILY_MODULES`` line makes
    it listed, runnable, its options validated, and a row of the matrix."""
    listed, run, typo, matrix = follow(tmp_path, SYSTEM, SYSTEM_EDIT, [
        ["list", "systems"],
        run_args(tmp_path, "r", "-s", "echo-kv", "-n", "kill"),
        run_args(tmp_path, "t", "-s", "echo-kv", "--system-option", "durabel=false"),
        ["matrix", "--systems", "echo-kv", "--seeds", "1", "--time-limit", "1",
         "--jobs", "1", "--out", str(tmp_path / "m")],
    ])  # fmt: skip
    assert "echo-kv" in listed[1]
    assert run[0] == 0 and results(tmp_path, "r")["valid"] is True
    assert typo[0] == 2 and "did you mean 'durable'" in typo[2]
    assert matrix[0] == 0 and "echo-kv" in (tmp_path / "m" / "matrix.json").read_text()


def test_a_users_system_needs_no_edit_at_all(tmp_path: Path) -> None:
    """Guards ``--system package.module:ENTRY``: a user's entry runs and is validated
    without touching the project."""
    run, typo = follow(tmp_path, SYSTEM, {}, [
        run_args(tmp_path, "r", "-s", "recipe_family:ENTRY"),
        run_args(tmp_path, "t", "-s", "recipe_family:ENTRY", "--system-option", "durable=1"),
    ])  # fmt: skip
    assert run[0] == 0
    assert typo[0] == 2 and "'durable' takes a boolean" in typo[2]


# -- a fault kind: one FaultKind line + the nemesis that performs it ---------------------------
NEMESIS = {
    "recipe_nemesis.py": '''
        from nemesis import KillNemesis

        class WobbleNemesis:
            """``wobble`` crashes every node; ``unwobble`` restarts them."""
            fs = frozenset({"wobble", "unwobble"})

            def __init__(self):
                self.kill = KillNemesis("all")

            def setup(self, world, system):
                self.kill.setup(world, system)

            def invoke(self, world, system, op):
                f = "kill" if op["f"] == "wobble" else "start"
                return self.kill.invoke(world, system, {**op, "f": f, "value": "all"})

            def teardown(self, world, system):
                self.kill.teardown(world, system)
    '''
}
FAULT_EDIT: Edits = {
    "ddialab.vocabulary._faults": [
        (
            "FAULT_KINDS: tuple[FaultKind, ...] = (\n",
            '    FaultKind("wobble", "unwobble", False, "wobble", "#123abc", True, False, '
            '"crash every node"),\n',
        )
    ],
    "nemesis._packages": [
        ("from nemesis._upgrade import UpgradeNemesis\n",
         "from recipe_nemesis import WobbleNemesis\n"),
        ("NEMESIS_CLASSES: tuple[type, ...] = (\n", "    WobbleNemesis,\n"),
        ("    table: list[tuple[str, str, type, dict[str, Any]]] = [\n",
         '        ("wobble", "crash every node, restart", WobbleNemesis, {"f": "wobble"}),\n'),
    ],
}  # fmt: skip


def test_a_new_fault_kind_runs_replays_shrinks_and_has_a_report_band(tmp_path: Path) -> None:
    """Guards the fault-kind recipe: the ``FaultKind`` line plus its nemesis (listed in
    ``NEMESIS_CLASSES``, with a package line) is run, healed at the end, replayed
    identically from its schedule, shrunk, and drawn as its own band in the report."""
    unsafe = ("-s", "single-node-ack-before-fsync", "--seed", "2", "--nemesis-interval", "1")
    run, replay, shrink = follow(tmp_path, NEMESIS, FAULT_EDIT, [
        run_args(tmp_path, "r", "-n", "wobble", *unsafe),
        ["run", "--replay", str(tmp_path / "r"), "--out", str(tmp_path / "replay")],
        ["shrink", str(tmp_path / "r"), "--max-runs", "6", "--out", str(tmp_path / "s")],
    ])  # fmt: skip
    fs = [op["f"] for op in history(tmp_path, "r") if op["process"] == "nemesis"]
    assert {"wobble", "unwobble"} <= set(fs) and fs[-1] == "unwobble"  # the final heal
    assert run[0] == 1, "losing unsynced writes on every crash must be found"
    assert replay[0] == 1 and history(tmp_path, "replay") == history(tmp_path, "r")
    assert "#123abc" in (tmp_path / "r" / "report.html").read_text()
    assert shrink[0] == 1, shrink
    kept = json.loads((tmp_path / "s" / "schedule.json").read_text())["events"]
    assert kept and {e["f"] for e in kept} <= {"wobble", "unwobble"}


# -- a nemesis package over existing kinds: one table line -------------------------------------
PACKAGE_EDIT: Edits = {
    "nemesis._packages": [
        ("    table: list[tuple[str, str, type, dict[str, Any]]] = [\n",
         '        ("partition-bridge-ring", "bridge, as a test", P,'
         ' {"f": "start-partition", "value": "bridge"}),\n'),
    ]
}  # fmt: skip


def test_a_new_nemesis_package_is_listed_run_and_misspellings_answered(tmp_path: Path) -> None:
    """Guards the package recipe: one line in ``_entries``' table lists it and runs it."""
    listed, run, typo = follow(tmp_path, {}, PACKAGE_EDIT, [
        ["list", "nemeses"],
        run_args(tmp_path, "r", "-n", "partition-bridge-ring"),
        run_args(tmp_path, "t", "-n", "partition-bridge-rin"),
    ])  # fmt: skip
    assert "partition-bridge-ring" in listed[1]
    values = [op["value"] for op in history(tmp_path, "r") if op["f"] == "start-partition"]
    assert run[0] == 0 and values and all(v == "bridge" for v in values if isinstance(v, str))
    assert typo[0] == 2 and "did you mean 'partition-bridge-ring'" in typo[2]


# -- typed options: every workload declares its options once ----------------------------------
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_every_workload_declares_its_options_by_one_dataclass(name: str) -> None:
    """Guards the one-source rule: each workload's table and defaults come from its frozen
    settings dataclass, and its functions refuse an option it does not declare."""
    w = WORKLOADS[name]
    assert w.settings is not None, f"{name}: declare options as a frozen dataclass"
    assert dict(w.defaults or {}) == {o.name: o.default for o in w.declared_options()}
    with pytest.raises(ValueError, match="did you mean"):
        w.checkers({**(w.defaults or {}), next(iter(w.defaults or {})) + "x": 1})


# -- typed options: every system family declares them by a frozen dataclass ---------------------


def _converted_entries() -> list[Any]:
    from systems import SYSTEMS

    return sorted(SYSTEMS.values(), key=lambda e: e.name)


@pytest.mark.parametrize("entry", _converted_entries(), ids=lambda e: e.name)
def test_converted_systems_declare_every_option_they_read_once(entry: Any) -> None:
    """Guards the conversion: each registered system (every family) declares its options by
    its settings dataclass alone (every field, the entry's values as defaults), builds
    from those defaults, and refuses an undeclared option when built directly (with a
    "did you mean" when it is close to a declared one)."""
    assert entry.settings is not None and not entry.options
    declared = {o.name: o.default for o in entry.declared_options()}
    fields = {o.name: o.default for o in option_table(entry.settings)}
    assert set(declared) == set(fields)
    assert all(declared[k] == v for k, v in entry.defaults.items())
    assert entry.build(declared).claims == entry.claims
    with pytest.raises(ValueError, match="did you mean" if fields else "unknown option"):
        entry.build({next(iter(fields), "") + "x": 1})


def test_a_settings_cross_field_check_is_a_usage_error(tmp_path: Path) -> None:
    """Guards validation through the settings dataclass: bank's ``__post_init__`` (a total
    divisible by the accounts) refuses the spec up front -- exit 2 naming the rule -- not
    a traceback from the generator mid-run."""
    (code, _out, err), = follow(tmp_path, {}, {}, [
        run_args(tmp_path, "r", "-s", "txn-2pl", "-w", "bank", "--workload-option", "accounts=3"),
    ])  # fmt: skip
    assert code == 2 and "total divisible by them" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def _entries_that_declared_timeout_ns() -> list[Any]:
    import systems.consensus
    import systems.derived
    import systems.partitioning

    broker = [e for e in systems.derived.ENTRIES if e.name.startswith("log-broker")]
    return [*systems.partitioning.ENTRIES, *systems.consensus.ENTRIES, *broker]


@pytest.mark.parametrize("entry", _entries_that_declared_timeout_ns(), ids=lambda e: e.name)
def test_an_option_nothing_reads_is_not_declared(
    entry: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards "no option silently ignored": partitioning, Raft and the log broker declared
    ``timeout_ns`` without reading it; now it is an unknown option, refused by the settings
    (so by validation: exit 2 before anything runs) and absent from ``ddialab list``."""
    assert "timeout_ns" not in {o.name for o in entry.declared_options()}
    with pytest.raises(ValueError, match=f"unknown option for system {entry.name}: 'timeout_ns'"):
        entry.check_options({"timeout_ns": 1})
    argv = ["run", "-s", entry.name, "-w", entry.workloads[0], "--out", str(tmp_path / "r"),
            "--system-option", "timeout_ns=1"]  # fmt: skip
    assert main(argv) == 2
    assert "'timeout_ns'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
