"""``ddialab check`` as a newcomer meets it (issue #20): run directories are judged with
their own options, keyed files are refused until the keying is said, the text output
explains what was found, and mistyped names get a "did you mean"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddialab.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid simulated run of the keyed register workload (the README's example)."""
    out = tmp_path_factory.mktemp("runs") / "r"
    argv = ["run", "-s", "single-node", "-w", "register", "-n", "partition,kill", "--seed",
            "7", "--time-limit", "5", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return out


def test_run_directory_is_checked_with_its_own_keying(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the README's false INVALID: a run dir's test.json supplies independent=true."""
    capsys.readouterr()
    code = main(["check", str(run_dir), "--checker", "linearizable", "--model", "cas-register"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "options from" in out and "independent=true" in out


def test_run_directory_supplies_the_model_too(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards against only the keying being inherited: no --model needed for a run dir."""
    assert main(["check", str(run_dir), "-c", "linearizable", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert out["options_from_run"]["model"] == "cas-register"


def test_flags_override_the_run_directory(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the precedence: an explicit --no-independent wins over test.json (and so
    judges the pairs as whole values: the false INVALID the flag asked for)."""
    code = main(["check", str(run_dir), "-c", "linearizable", "--no-independent", "--json"])
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 1
    assert "independent" not in out["options_from_run"]


def test_bare_keyed_file_is_refused_until_keying_is_said(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the keyed-value detection: exit 2 naming --independent, never a verdict."""
    history = str(run_dir / "history.jsonl")
    assert main(["check", history, "-c", "linearizable", "--model", "cas-register"]) == 2
    err = capsys.readouterr().err
    assert "[key, value] pair" in err and "--independent" in err
    assert main(["check", history, "-c", "linearizable", "--model", "cas-register",
                 "--independent"]) == 0  # fmt: skip


def test_plain_register_file_is_not_mistaken_for_keyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards against the detector refusing ordinary scalar register histories."""
    ops = [("invoke", 0, "write", 1), ("ok", 0, "write", 1),
           ("invoke", 1, "read", None), ("ok", 1, "read", 1)]  # fmt: skip
    p = tmp_path / "h.jsonl"
    p.write_text("".join(
        json.dumps({"index": i, "time": i, "type": t, "process": pr, "f": f, "value": v}) + "\n"
        for i, (t, pr, f, v) in enumerate(ops)))  # fmt: skip
    assert main(["check", str(p), "-c", "linearizable", "--model", "cas-register"]) == 0
    assert "2 ops" in capsys.readouterr().out  # operations, not the 4 events


def test_invalid_text_output_explains_the_first_witness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards item 2: per anomaly type, the count and the checker's own explanation."""
    ops = [("invoke", 0, "write", 1), ("ok", 0, "write", 1),
           ("invoke", 1, "read", None), ("ok", 1, "read", 2)]  # fmt: skip
    p = tmp_path / "h.jsonl"
    p.write_text("".join(
        json.dumps({"index": i, "time": i, "type": t, "process": pr, "f": f, "value": v}) + "\n"
        for i, (t, pr, f, v) in enumerate(ops)))  # fmt: skip
    assert main(["check", str(p), "-c", "linearizable", "--model", "register",
                 "--json"]) == 1  # fmt: skip
    explanation = json.loads(capsys.readouterr().out)["anomalies"]["nonlinearizable"][0][
        "explanation"
    ]
    assert main(["check", str(p), "-c", "linearizable", "--model", "register"]) == 1
    out = capsys.readouterr().out
    assert "INVALID (nonlinearizable)" in out
    assert "nonlinearizable: 1 found" in out
    assert " ".join(explanation.split()[:6]) in " ".join(out.split())
    assert "--report OUT.html" in out


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["-c", "linearizable", "--model", "cas-regster"], "'cas-register'"),
        (["-c", "elle", "--model", "list-apend"], "'list-append'"),
        (["-c", "elle", "--model", "list-append", "--consistency-model", "serialisable"],
         "'serializable'"),
        (["-c", "session", "--guarantee", "read-your-write"], "'read-your-writes'"),
        (["-c", "linearizable", "--model", "register", "--format", "jsnl"], "'jsonl'"),
    ],
)  # fmt: skip
def test_mistyped_names_get_did_you_mean(
    argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards _cli_names: each table the check flags name is consulted, before any file."""
    assert main(["check", "/nonexistent.jsonl", *argv]) == 2
    assert f"did you mean {suggestion}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [(["chek"], "'check'"), (["list", "system"], "'systems'"),
     (["run", "-n", "partiton"], "'partition'")],
)  # fmt: skip
def test_mistyped_subcommands_sections_and_nemeses(
    argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the parser's choice check and run's nemesis names."""
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(argv))
    assert e.value.code == 2
    assert f"did you mean {suggestion}" in capsys.readouterr().err


def test_completion_only_ops_are_counted_not_called_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the op count of Elle's completion-only histories: counting invocations alone
    printed "0 ops: nothing to check" beside the G0 it had just found."""
    p = tmp_path / "g0.edn"
    p.write_text(
        "{:type :ok, :f :txn, :value [[:append :x 1] [:append :y 1]]}\n"
        "{:type :ok, :f :txn, :value [[:append :x 2] [:append :y 2]]}\n"
        "{:type :ok, :f :txn, :value [[:r :x [1 2]] [:r :y [2 1]]]}\n"
    )
    assert main(["check", str(p), "-c", "elle", "--model", "list-append"]) == 1
    out = capsys.readouterr().out
    assert "INVALID (G0)  [3 ops," in out and "nothing to check" not in out
