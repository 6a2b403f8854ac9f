"""The README's examples, executed: the README cannot drift from the tool again (#20).

Every line of an indented code block that starts with ``ddialab`` is an example, and must
document its exit code as a trailing ``# exit N`` comment.  The examples run in order in
one empty directory (later ones use the run directories earlier ones made), each as
``python -m ddialab ...``; the one change made to a line is a short ``--time-limit`` for
``matrix`` (the README's own would take minutes).  The sample ``check`` output shown in
the README is compared with what the command prints (timings aside).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
EXIT = re.compile(r"#\s*exit (\d+)")
#: Per subcommand, flags added so the example finishes in seconds (flag, value).
QUICK = {"matrix": ("--time-limit", "1")}


def examples(text: str) -> list[tuple[list[str], int | None, str]]:
    """(argv after `ddialab`, documented exit code or None, the line) for each example."""
    out = []
    for line in text.splitlines():
        if not line.startswith("    ddialab "):
            continue
        documented = EXIT.search(line)
        argv = shlex.split(line, comments=True)[1:]
        out.append((argv, int(documented.group(1)) if documented else None, line.strip()))
    return out


def quick(argv: list[str]) -> list[str]:
    flag = QUICK.get(argv[0])
    return argv + list(flag) if flag and flag[0] not in argv else argv


def sample_output(text: str, first: str) -> list[str]:
    """The README's code block that starts with ``first``, dedented."""
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("    " + first))
    block = []
    while i < len(lines) and lines[i].startswith("    "):
        block.append(lines[i][4:])
        i += 1
    return block


def _untimed(lines: list[str]) -> list[str]:
    return [re.sub(r"\d+\.\d+s\]", "Ts]", line) for line in lines]


def test_every_example_documents_its_exit_code() -> None:
    """Guards the README's contract: an example without `# exit N` is not checked."""
    found = examples(README.read_text())
    assert len(found) >= 10, [line for _, _, line in found]
    assert all(code is not None for _, code, _ in found), [
        line for _, code, line in found if code is None
    ]


def test_readme_examples_run_with_their_documented_exit_codes(tmp_path: Path) -> None:
    """Guards every README example against the tool: a renamed flag, a changed default,
    a false verdict (the README's `check RUN_DIR` used to say INVALID) all fail here,
    naming the line."""
    text = README.read_text()
    outputs = {}
    for argv, code, line in examples(text):
        proc = subprocess.run([sys.executable, "-m", "ddialab", *quick(argv)], cwd=tmp_path,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert proc.returncode == code, f"{line}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, line
        outputs[" ".join(argv[:2])] = proc.stdout
    shown = sample_output(text, "runs/session: ")
    assert _untimed(outputs["check runs/session"].splitlines()) == _untimed(shown)
