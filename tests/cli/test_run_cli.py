"""``ddialab run`` as a newcomer meets it (issue #20): progress while it runs, one meaning
of "ops", defaults in --help, --version, and run directories out of the repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ddialab import __version__
from ddialab._cli_progress import Progress
from ddialab.cli import main


def _op(i: int, type_: str, process: object) -> str:
    return json.dumps({"index": i, "time": i, "type": type_, "process": process, "f": "read",
                       "value": None}, separators=(",", ":")) + "\n"  # fmt: skip


def test_progress_counts_client_ops_appended_since_the_last_tick(tmp_path: Path) -> None:
    """Guards the ticker's reading: invocations only, no nemesis ops, no half-written
    line, and nothing counted twice across ticks."""
    history = tmp_path / "history.jsonl"
    history.write_text(_op(0, "invoke", 0) + _op(1, "ok", 0) + _op(2, "invoke", "nemesis"))
    progress = Progress(str(history))
    assert progress.tick().startswith("running: 1 ops recorded")
    with history.open("a") as f:
        f.write(_op(3, "invoke", 1) + _op(4, "invoke", 2)[:20])  # the last one half-written
    assert progress.tick().startswith("running: 2 ops recorded")
    with history.open("a") as f:
        f.write(_op(4, "invoke", 2)[20:])
    assert progress.tick().startswith("running: 3 ops recorded")


def test_progress_before_the_history_exists_is_zero(tmp_path: Path) -> None:
    """Guards the first tick of a real run that has not opened its history yet."""
    assert Progress(str(tmp_path / "none.jsonl")).tick().startswith("running: 0 ops")


def test_run_counts_operations_as_shrink_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards one meaning of "ops": the summary's ops are the client invocations (what
    shrink counts), the history's length is events."""
    out = tmp_path / "r"
    assert main(["run", "--time-limit", "2", "--out", str(out)]) == 0
    lines = (out / "history.jsonl").read_text().splitlines()
    invokes = sum(1 for line in lines if '"type":"invoke"' in line and "nemesis" not in line)
    assert f": {invokes} ops ({len(lines)} events)" in capsys.readouterr().out
    assert invokes * 2 >= len(lines) - 4  # each op is an invoke and (mostly) a completion


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """Guards --version (it exits 0 and names the package version)."""
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"ddialab {__version__}"


def test_run_help_shows_defaults_and_explains_every_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards run --help: the options a newcomer tries first say what they do and their
    default."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for needle in ("client processes (default: 5)", "same seed, same run (default: 0)",
                   "(ddialab list workloads) (default: register)", "default: none"):  # fmt: skip
        assert needle in text
    assert "(default: None)" not in text and "(default: False)" not in text


def test_default_run_directory_is_git_ignored() -> None:
    """Guards that `ddialab run`'s default ./runs/ never shows up as untracked files."""
    root = Path(__file__).resolve().parents[2]
    probe = subprocess.run(["git", "check-ignore", "-q", "runs/x/history.jsonl"], cwd=root,
                           check=False)  # fmt: skip
    assert probe.returncode == 0
