"""A user's own system, named as module:ENTRY, runs through the CLI and the fixture."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ddialab.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest.md"


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The example system of docs/pytest.md, written out as a package."""
    code = re.search(r"```python\n# mystore/ddialab.py\n(.*?)```", DOC.read_text(), re.S)
    assert code, "docs/pytest.md lost its example"
    pkg = tmp_path / "mystore"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "ddialab.py").write_text(code.group(1))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "mystore.ddialab:ENTRY"
    for name in [m for m in sys.modules if m.startswith("mystore")]:
        del sys.modules[name]


def test_documented_user_system_passes_under_partitions(
    user_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--system", user_module, "--nemesis", "partition", "--seed", "3",
                 "--time-limit", "5", "--out", str(tmp_path / "run")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "linearizable         ran: valid" in out


def test_documented_user_system_loses_writes_when_killed(user_module: str, ddialab) -> None:  # type: ignore[no-untyped-def]
    result = ddialab.run(system=user_module, workload="register", nemesis=["kill"],
                         time_limit=10, rate=100, nemesis_interval=1)  # fmt: skip
    assert result.results["checkers"]["linearizable"]["valid"] is False


def test_bad_user_system_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--system", "no_such_module:ENTRY"]) == 2
    assert "cannot load system" in capsys.readouterr().err
