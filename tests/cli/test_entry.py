"""``python -m ddialab`` (``ddialab.cli.entry``): ``check`` leaves by ``os._exit``.

Skipping the interpreter's teardown must lose nothing: every line ``check`` printed
reaches a pipe or a file, and the exit code is ``main()``'s.
"""

from __future__ import annotations

import json
import subprocess
import sys

from checkers.elle.synth import synth_history
from ddialab.history import dumps_op


def _ddialab(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ddialab", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_check_output_and_exit_code_survive_the_fast_exit(tmp_path):
    """Guards that ``os._exit`` loses nothing: output to a pipe is block-buffered, so a
    verdict not flushed before it (by ``check`` itself or by ``entry``) would vanish;
    and the exit code must still be ``main()``'s (1: invalid)."""
    history, _ = synth_history(300, ["G-single"], seed=3)
    paths = []
    for i in range(2):  # two verdicts: output of more than one write
        path = tmp_path / f"h{i}.jsonl"
        path.write_text("".join(dumps_op(op) + "\n" for op in history), encoding="utf-8")
        paths.append(str(path))
    out = _ddialab("check", *paths, "-c", "elle", "--model", "list-append", "--json")
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    assert [v["path"] for v in verdicts] == paths
    assert [v["anomaly_types"] for v in verdicts] == [["G-single"], ["G-single"]]
    assert out.returncode == 1


def test_a_bad_history_still_says_where_on_stderr(tmp_path):
    """Guards stderr's flush: the exit-3 message names the file and line."""
    path = tmp_path / "h.jsonl"
    path.write_text('{"index": 0, "time": 0, "type": "invoke"\n', encoding="utf-8")
    out = _ddialab("check", str(path), "-c", "elle", "--model", "list-append")
    assert out.returncode == 3
    assert f"{path}:1:" in out.stderr


def test_other_commands_exit_normally():
    """Guards the scope of the fast exit: only ``check``; the rest keep their teardown."""
    out = _ddialab("list", "checkers")
    assert out.returncode == 0
    assert "elle" in out.stdout


_PEEK = """
import os, sys
import checkers._retain as r
from ddialab import cli
def peek(code):
    kept = r.retained()
    sys.stdout.write("kept %s %d\\n" % (type(kept[0]).__name__ if kept else None,
                                        kept[0].n_txns if kept else -1))
    sys.stdout.flush()
    os._exit(code)
cli.os._exit = peek
sys.argv = ["ddialab", *sys.argv[1:]]
cli.entry()
"""


def test_check_leaves_its_working_set_to_the_exit(tmp_path):
    """Guards the hand-over of Elle's working set to ``os._exit`` (checkers/_retain.py):
    if ``entry`` stopped turning retention on, or the checker stopped handing its graph
    over, the 1M-txn command would free ~1 GB object by object again (0.5 s)."""
    history, _ = synth_history(50, [], seed=1)
    path = tmp_path / "h.jsonl"
    path.write_text("".join(dumps_op(op) + "\n" for op in history), encoding="utf-8")
    cmd = [sys.executable, "-c", _PEEK, "check", str(path), "-c", "elle"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.splitlines()[-1] == "kept TxnGraph 50", out.stderr
    listing = subprocess.run(
        [sys.executable, "-c", _PEEK, "list", "checkers"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "kept" not in listing.stdout  # other commands exit normally, keeping nothing
