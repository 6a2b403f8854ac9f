"""The command line: exit codes, messages without tracebacks, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddialab.cli import main

GOOD = [
    {"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "write", "value": [0, 1]},
    {"index": 1, "time": 1, "type": "ok", "process": 0, "f": "write", "value": [0, 1]},
    {"index": 2, "time": 2, "type": "invoke", "process": 1, "f": "read", "value": [0, None]},
    {"index": 3, "time": 3, "type": "ok", "process": 1, "f": "read", "value": [0, 1]},
]


def _write(path: Path, ops: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(op) + "\n" for op in ops))
    return path


def test_check_valid_history_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path / "h.jsonl", GOOD)
    assert main(["check", str(p), "-c", "register-simple", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["path"] == str(p)
    assert out["valid"] is True
    assert out["anomaly_types"] == []


def test_check_invalid_history_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = [dict(op) for op in GOOD]
    bad[3]["value"] = [0, 99]
    p = _write(tmp_path / "h.jsonl", bad)
    assert main(["check", str(p), "-c", "register-simple"]) == 1
    assert "INVALID (garbage-read)" in capsys.readouterr().out


def test_malformed_history_exits_3_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "h.jsonl"
    p.write_text(json.dumps(GOOD[0]) + "\n{not json\n")
    assert main(["check", str(p), "-c", "register-simple"]) == 3
    err = capsys.readouterr().err
    assert f"{p}:2: invalid JSON" in err
    assert "Traceback" not in err


def test_missing_file_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.jsonl"), "-c", "register-simple"]) == 3
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "x.jsonl", "-c", "no-such-checker"],
        ["check", "x.jsonl"],
        ["run", "--system", "no-such-system"],
        ["run", "--workload", "no-such-workload"],
        ["run", "--nemesis", "no-such-nemesis"],
        ["run", "--concurrency", "0"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(argv))
    assert e.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bad_init_json_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path / "h.jsonl", GOOD)
    assert main(["check", str(p), "-c", "register-simple", "--init", "{oops"]) == 2
    assert "--init must be JSON" in capsys.readouterr().err


def test_list_names_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for section in ("systems:", "workloads:", "nemeses:", "checkers:", "formats:"):
        assert section in out
    assert "single-node" in out
    assert "register-simple" in out


def test_run_prints_summary_and_run_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code = main(["run", "--nemesis", "partition,kill", "--seed", "7", "--time-limit", "5",
                 "--out", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "verdict: valid" in text
    assert f"run directory: {out}" in text
    assert (out / "history.jsonl").exists()


def test_unknown_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _write(tmp_path / "h.jsonl", GOOD)
    assert main(["check", str(p), "-c", "register-simple", "--format", "nope"]) == 2
    assert "unknown history format 'nope'" in capsys.readouterr().err


def test_checker_that_cannot_read_the_values_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = [dict(op, value=1) for op in GOOD]
    p = _write(tmp_path / "h.jsonl", bare)
    assert main(["check", str(p), "-c", "register-simple"]) == 3
    err = capsys.readouterr().err
    assert "expects [key, value] values" in err
    assert "Traceback" not in err
    assert main(["check", str(p), "-c", "register-simple", "--init", "null"]) == 3


def test_unwritable_output_directory_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--time-limit", "1", "--out", "/proc/ddialab-cannot-write"]) == 3
    err = capsys.readouterr().err
    assert "/proc/ddialab-cannot-write" in err
    assert "Traceback" not in err
