"""Fixtures for the real-datastore tests: run a spec; skip (or, in CI, fail) without servers.

``real.run(**spec)`` runs ``ddialab.runner.run`` into the test's tmp dir; a missing server
binary (``MissingServer``) or driver package skips the test with a message saying how to
install it -- except with ``CI=true``: CI installs every server, so there it fails.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ddialab.runner import RunResult, TestSpec, run
from systems.external import MissingServer

IN_CI = os.environ.get("CI") == "true"


def missing(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} (CI installs it in .ci/run; it must not be missing there)")
    pytest.skip(message)


class Real:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.runs = 0

    def require(self, module: str, install: str) -> Any:
        try:
            return importlib.import_module(module)
        except ImportError:
            missing(f"the Python package {module} is not installed; {install}")

    def need(self, binary: str, install: str) -> None:
        """Skip (fail in CI) unless the server binary is installed."""
        from systems.external._base import find_binary

        try:
            find_binary(binary, install=install)
        except MissingServer as e:
            missing(str(e))

    def run(self, **spec: Any) -> RunResult:
        self.runs += 1
        try:
            return run(TestSpec(**spec), out=str(self.tmp_path / f"run{self.runs}"))
        except MissingServer as e:
            missing(str(e))
            raise

    @staticmethod
    def errors(result: RunResult) -> list[tuple[str, str]]:
        """(type, error) of every client op that did not end ``ok``."""
        rows = []
        with open(os.path.join(result.run_dir, "history.jsonl"), encoding="utf-8") as f:
            for line in f:
                op = json.loads(line)
                if op["type"] in ("fail", "info") and op["process"] != "nemesis":
                    rows.append((op["type"], str(op.get("error"))))
        return rows


@pytest.fixture
def real(tmp_path: Path) -> Real:
    return Real(tmp_path)
