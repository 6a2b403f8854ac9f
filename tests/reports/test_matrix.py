"""render_matrix: the systems × guarantees page from matrix.json data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ddialab.errors import DdialabError
from reports import render_matrix


def sample_matrix(run_dir: Path) -> dict:
    return {
        "title": "Sample matrix",
        "guarantees": [
            "linearizable",
            {"name": "serializable", "description": "PL-3"},
            "read-your-writes",
            "monotonic-reads",
        ],
        "rows": [
            {
                "system": "single-node",
                "options": {},
                "claims": ["linearizable"],
                "cells": {
                    "linearizable": {"status": "held", "runs": 20},
                    "serializable": "not-applicable",
                    "read-your-writes": {"status": "held", "runs": 20},
                },
            },
            {
                "system": "leaderless",
                "options": {"r": 1, "w": 1},
                "label": "Dynamo R=W=1",
                "cells": {
                    "linearizable": {
                        "status": "violated",
                        "run_dir": str(run_dir),
                        "seed": 7,
                        "replay": "ddialab run --seed 7",
                        "anomalies": ["nonlinearizable"],
                        "expected": "violated",
                    },
                    "read-your-writes": {
                        "status": "not demonstrated",
                        "runs": 5,
                        "expected": "violated",
                    },
                    "monotonic-reads": {
                        "status": "violated",
                        "run_dir": str(run_dir),
                        "seed": 3,
                        "expected": "held",
                    },
                },
            },
        ],
    }


def test_matrix_cells_statuses_and_links(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    out = render_matrix(sample_matrix(run_dir), tmp_path / "site" / "matrix.html")
    html = out.read_text()
    statuses = re.findall(r'data-status="([^"]+)"', html)
    assert statuses == [
        "held",
        "not-applicable",
        "held",
        "not-run",
        "violated",
        "not-run",
        "not-demonstrated",
        "violated",
    ]
    assert '<a href="../runs/r1/report.html">report</a>' in html
    assert "seed 7" in html and "replay: ddialab run --seed 7" in html
    assert html.count(">unexpected<") == 2  # expected violated / held, but was not
    assert "Dynamo R=W=1" in html and "r=1" in html
    assert not re.search(r"https?://", html)


def test_matrix_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(sample_matrix(tmp_path)))
    out = render_matrix(path, tmp_path / "matrix.html")
    assert "Sample matrix" in out.read_text()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rows": "nope"}, "'rows' must be a list"),
        ({"rows": [{"system": "x", "cells": {"a": {"status": "maybe"}}}]}, "unknown status"),
        ({"rows": [{"system": "x", "cells": []}]}, "'cells' must be an object"),
    ],
)
def test_bad_matrix_data_raises(tmp_path: Path, data: dict, message: str) -> None:
    with pytest.raises(DdialabError, match=message):
        render_matrix(data, tmp_path / "m.html")


def test_missing_matrix_file(tmp_path: Path) -> None:
    with pytest.raises(DdialabError, match="no such matrix file"):
        render_matrix(str(tmp_path / "nope.json"), tmp_path / "m.html")
