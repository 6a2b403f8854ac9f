"""``ddialab check ... --report`` and ``ddialab report FILE --checker`` (``_cli_anyreport``).

Histories are written here (small JSONL register histories), so these tests need no corpus;
the browser-level checks of the page live in ``tests/reports/test_source.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddialab.cli import main

#: A register history: write 1, then a read of 2 -- not linearizable from init 0.
BAD = [
    ("invoke", "write", 1),
    ("ok", "write", 1),
    ("invoke", "read", None),
    ("ok", "read", 2),
]
GOOD = [("invoke", "write", 1), ("ok", "write", 1), ("invoke", "read", None), ("ok", "read", 1)]
LIN = ["--checker", "linearizable", "--model", "register", "--init", "0"]


def write(path: Path, events: list[tuple]) -> Path:
    ops = [
        {"index": i, "time": 10 * i, "type": t, "process": 0, "f": f, "value": v}
        for i, (t, f, v) in enumerate(events)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(op) + "\n" for op in ops))
    return path


def test_check_report_writes_the_page_and_keeps_the_exit_code(tmp_path: Path, capsys) -> None:
    """Guards ``check --report``: the verdict's exit code is unchanged and the page holds
    the witness (a report that silently skipped the witness would fail here)."""
    bad, out = write(tmp_path / "bad.jsonl", BAD), tmp_path / "bad.html"
    assert main(["check", str(bad), *LIN, "--report", str(out)]) == 1
    printed = capsys.readouterr().out
    assert f"{bad}: report {out}" in printed
    html = out.read_text()
    assert '<span class="atype">nonlinearizable</span>' in html and 'class="linview"' in html
    good = write(tmp_path / "good.jsonl", GOOD)
    assert main(["check", str(good), *LIN, "--report", str(tmp_path / "good.html")]) == 0
    assert 'id="verdict">valid<' in (tmp_path / "good.html").read_text()


def test_json_output_stays_json(tmp_path: Path, capsys) -> None:
    """Guards: with --json, stdout is one JSON object per input; the report line is on stderr."""
    bad = write(tmp_path / "bad.jsonl", BAD)
    assert main(["check", str(bad), *LIN, "--json", "--report", str(tmp_path / "r.html")]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["valid"] for line in captured.out.splitlines()] == [False]
    assert "report" in captured.err and (tmp_path / "r.html").exists()


def test_several_inputs_need_a_directory(tmp_path: Path, capsys) -> None:
    """Guards the one-file/several-inputs rule: a usage error before anything is read."""
    a, b = write(tmp_path / "a.jsonl", GOOD), write(tmp_path / "b.jsonl", BAD)
    rc = main(["check", str(a), str(b), *LIN, "--report", str(tmp_path / "one.html")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "one report file for 2 histories" in err and f"--report {tmp_path / 'one'}/" in err
    assert not (tmp_path / "one.html").exists()


def test_directory_target_names_pages_after_inputs(tmp_path: Path, capsys) -> None:
    """Guards ``targets``: one page per input, named after it; equal names are numbered."""
    a = write(tmp_path / "x" / "h.jsonl", GOOD)
    b = write(tmp_path / "y" / "h.jsonl", BAD)
    out = tmp_path / "pages"
    assert main(["check", str(a), str(b), *LIN, "--report", f"{out}/"]) == 1
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["h-2.html", "h.html"]
    assert 'id="verdict">valid<' in (out / "h.html").read_text()
    assert 'id="verdict">invalid<' in (out / "h-2.html").read_text()


def test_report_file_with_checker(tmp_path: Path, capsys, monkeypatch) -> None:
    """Guards ``report FILE --checker``: the verdict's exit code, the page written to the
    current directory by default (never beside the input), or to --out."""
    bad = write(tmp_path / "in" / "bad.jsonl", BAD)
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(bad), *LIN]) == 1
    assert capsys.readouterr().out.strip() == "bad.html  (INVALID: nonlinearizable)"
    assert (tmp_path / "bad.html").exists() and not (tmp_path / "in" / "bad.html").exists()
    good = write(tmp_path / "in" / "good.jsonl", GOOD)
    assert main(["report", str(good), *LIN, "-o", str(tmp_path / "g.html")]) == 0
    assert 'id="verdict">valid<' in (tmp_path / "g.html").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "{bad}"], "is a history file: say how to check it"),
        (["report", "{bad}", "--checker", "linearizble"], "unknown checker 'linearizble'"),
        (["report", "{run}", "--model", "register"], "--model: for a history FILE"),
        (["report", "{run}", "--checker", "elle"], "is a run directory"),
        (["report", "{matrix}"], "did you mean `ddialab report --matrix"),
        (["report", "{bad}", *LIN, "-o", "{bad}"], "would overwrite the history"),
    ],
)
def test_usage_errors(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    """Guards each refusal: exit 2 with a message that says what to do, no traceback."""
    bad = write(tmp_path / "bad.jsonl", BAD)
    run = tmp_path / "run"
    write(run / "history.jsonl", GOOD)
    matrix = tmp_path / "matrix-1"
    matrix.mkdir()
    (matrix / "matrix.json").write_text("{}")
    paths = {"bad": bad, "run": run, "matrix": matrix}
    assert main([a.format(**paths) for a in argv]) == 2
    assert message in capsys.readouterr().err
    assert bad.read_text().startswith('{"index": 0')  # the input is never overwritten


def test_run_directory_keeps_its_report(tmp_path: Path, capsys) -> None:
    """Guards: a run directory still renders RUN_DIR/report.html from its own files."""
    run = tmp_path / "run"
    write(run / "history.jsonl", GOOD)
    assert main(["report", str(run)]) == 0
    assert capsys.readouterr().out.strip() == str(run / "report.html")
    assert "results.json is missing" in (run / "report.html").read_text()


def test_run_names_its_report(tmp_path: Path, capsys) -> None:
    """Guards the run summary's last line: it names report.html, and that file exists."""
    out = tmp_path / "run"
    assert main(["run", "--seed", "3", "--time-limit", "1", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"report: {out}/report.html"
    assert (out / "report.html").is_file()
