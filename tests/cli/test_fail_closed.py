"""``ddialab run`` / ``matrix`` fail closed: bad names and options are exit 2, never ignored.

Each case used to be accepted silently (a typo'd checker was "skipped" and the run called
valid; an unknown option was dropped; a workload without checkers was valid).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddialab.cli import main


def _usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_typo_in_checker_name_is_a_usage_error_with_did_you_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards against an unknown --checker being skipped and the run called valid."""
    err = _usage(["run", "--checker", "linearizabel", "--time-limit", "1"], capsys)
    assert "unknown checker 'linearizabel'" in err
    assert "did you mean 'linearizable'" in err
    assert "register-simple" in err  # the known ones are listed


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-s", "leader-follower", "--system-option", "replicaton=3"],
         "did you mean 'replication'"),
        (["--system-option", "durable=maybe"], "option 'durable' takes a boolean; got 'maybe'"),
        (["--workload-option", "nonsense=1"], "unknown option for workload register: 'nonsense'"),
        (["-s", "txn-2pl", "-w", "list-append", "--system-option", "level=dirty"],
         "option 'level' takes one of 'read-uncommitted', 'read-committed'"),
        (["-s", "leader-follower", "-w", "session", "--workload-option", "mode=sets"],
         "option 'mode' takes one of 'write', 'append', 'set', 'counter'"),
        (["--workload-option", "keys=many"], "option 'keys' takes an integer"),
    ],
)  # fmt: skip
def test_every_option_is_checked_against_its_declaration(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Guards the declared option tables: keys, types and enum choices."""
    err = _usage(["run", *argv, "--time-limit", "1", "--out", str(tmp_path / "r")], capsys)
    assert expected in err
    assert not (tmp_path / "r").exists()  # rejected before anything ran


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["run", "--time-limit", "-1"], "--time-limit"),
        (["run", "--concurrency", "0"], "--concurrency"),
        (["run", "--rate", "-1"], "--rate"),
        (["run", "--op-timeout", "0"], "--op-timeout"),
        (["run", "--nemesis-interval", "0"], "--nemesis-interval"),
        (["matrix", "--seeds", "0"], "--seeds"),
        (["matrix", "--jobs", "0"], "--jobs"),
        (["matrix", "--time-limit", "0"], "--time-limit"),
    ],
)
def test_numeric_range_errors_name_the_one_wrong_option(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards against one message listing every bound (which option was wrong?)."""
    err = _usage(argv, capsys)
    assert f"error: {flag} must be" in err
    others = {"--time-limit", "--concurrency", "--rate", "--seeds", "--jobs"} - {flag}
    assert not any(o in err for o in others), err


def test_matrix_unknown_system_has_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage(["matrix", "--systems", "single-nod"], capsys)
    assert "did you mean 'single-node'" in err


def test_text_workload_is_judged_by_its_checker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards against a workload with no checker: multi-leader-text used to run none."""
    out = tmp_path / "r"
    code = main(["run", "-s", "multi-leader-text", "-w", "text", "--time-limit", "2",
                 "--out", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "text                 ran: valid" in text
    results = json.loads((out / "results.json").read_text())
    assert results["checkers"]["text"]["ran"] is True


def test_a_checker_that_cannot_run_makes_the_run_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards composition: a checker that did not run is never part of a valid verdict."""
    out = tmp_path / "r"
    argv = ["run", "-s", "multi-leader-text", "-w", "text", "--time-limit", "1",
            "--checker", "text", "--checker", "linearizable", "--out", str(out)]  # fmt: skip
    code = main(argv)
    text = capsys.readouterr().out
    assert code == 4, text
    assert "linearizable         did not run:" in text
    assert "verdict: unknown (linearizable did not run:" in text
    results = json.loads((out / "results.json").read_text())
    assert results["valid"] == "unknown"
    assert results["checkers"]["linearizable"]["ran"] is False
    assert results["checkers"]["text"] == {**results["checkers"]["text"], "ran": True}


def test_list_shows_declared_options(capsys: pytest.CaptureFixture[str]) -> None:
    """Guards that ``ddialab list systems`` shows each system's options and enum choices."""
    assert main(["list", "systems"]) == 0
    out = capsys.readouterr().out
    assert 'level="two-phase-locking" (read-uncommitted|' in out


def test_a_workload_the_system_does_not_declare_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards ``check_pairing``: serial execution takes stored procedures, so the bank
    workload's client-side transfers crashed the run with a traceback (exit 0)."""
    assert main(["run", "-s", "txn-serial", "-w", "bank", "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "system txn-serial does not run workload 'bank'" in err
    assert "list-append, rw-register" in err and "Traceback" not in err
