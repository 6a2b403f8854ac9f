"""Conformance: every ``linearizable`` verdict in the shared corpus, through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from ddialab.history import FORMATS

pytestmark = pytest.mark.corpus

#: How each corpus model is checked (model name, --init).
HOW = {
    "etcd": ("cas-register", "null"),
    "cas-register": ("cas-register", "0"),
    "multi-register": ("multi-register", '{"x": 0, "y": 0}'),
    "kv": ("kv", None),
    "kv-nopartition": ("kv-nopartition", None),
    "mutex": ("mutex", None),
}


def _readers_are_registered() -> None:
    """The corpus formats must be readable: a missing reader fails, it does not skip."""
    assert {"edn", "jepsen-log", "porcupine-kv"} <= set(FORMATS), sorted(FORMATS)


def _args(corpus: Path, case: dict) -> list[str]:
    model, init = HOW[case["model"]]
    args = ["check", str(corpus / case["path"]), "--checker", "linearizable"]
    args += ["--model", model, "--json"]
    return args + (["--init", init] if init is not None else [])


def test_every_linearizable_verdict_matches(corpus: Path, capsys: pytest.CaptureFixture[str]):
    _readers_are_registered()
    cases = json.loads((corpus / "expected.json").read_text())
    cases = [c for c in cases if c["checker"] == "linearizable"]
    assert cases
    wrong = []
    for case in cases:
        rc = main(_args(corpus, case))
        result = json.loads(capsys.readouterr().out.splitlines()[-1])
        want = case["expected"]
        if result["valid"] is not want or rc != (0 if want else 1):
            wrong.append((case["path"], case["model"], want, result["valid"], rc))
        if want is False:
            witness = result["anomalies"]["nonlinearizable"][0]
            assert witness["explanation"] and witness["prefixes"], case["path"]
    assert wrong == []


def test_one_case_in_a_subprocess(corpus_file: Any):
    _readers_are_registered()
    path = corpus_file("knossos/data/cas-register/bad/cas-failure.edn")
    cmd = [sys.executable, "-m", "ddialab", "check", str(path), "--checker", "linearizable"]
    cmd += ["--model", "cas-register", "--init", "0", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["anomaly_types"] == ["nonlinearizable"]
    assert "cannot be placed" in result["anomalies"]["nonlinearizable"][0]["explanation"]
