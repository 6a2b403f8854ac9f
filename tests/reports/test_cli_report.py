"""``ddialab report``: re-rendering run directories and matrices from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddialab.cli import main


def test_report_rerenders_a_run_directory(small_run: Path, capsys) -> None:
    assert main(["report", str(small_run)]) == 0
    assert capsys.readouterr().out.strip() == str(small_run / "report.html")
    assert (small_run / "report.html").stat().st_size > 10_000


@pytest.mark.parametrize("make", ["missing", "not-a-run"])
def test_report_on_a_bad_directory_exits_3(tmp_path: Path, capsys, make: str) -> None:
    path = tmp_path / "x"
    if make == "not-a-run":
        path.mkdir()
    assert main(["report", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("ddialab: error: ") and str(path) in err
    assert "Traceback" not in err


def test_report_matrix(tmp_path: Path, capsys) -> None:
    path = tmp_path / "matrix.json"
    path.write_text(
        json.dumps(
            {
                "guarantees": ["linearizable"],
                "rows": [{"system": "single-node", "cells": {"linearizable": "held"}}],
            }
        )
    )
    assert main(["report", "--matrix", str(path)]) == 0
    assert (tmp_path / "matrix.html").exists()


def test_report_needs_something_to_render(capsys) -> None:
    assert main(["report"]) == 2
    assert "give a run directory" in capsys.readouterr().err
