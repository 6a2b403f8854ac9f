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


def summary_matrix(run_dir: Path) -> dict:
    """A matrix document as ``run_matrix`` writes it: counts, coverage, not run, a claimed
    violation and a shrunk run."""
    data = sample_matrix(run_dir)
    data["rows"][1]["claims"] = ["monotonic-reads"]
    data["rows"][1]["cells"]["linearizable"]["shrunk"] = {
        "run_dir": str(run_dir.parent / "r1-shrunk"),
        "after": {"faults": 1, "ops": 6},
    }
    data["counts"] = {"held": 2, "violated": 1, "claimed-and-violated": 1,
                      "not-demonstrated": 1, "not-applicable": 1}  # fmt: skip
    data["coverage"] = {"known": 3, "demonstrated": 2, "missing": ["leaderless: convergence"]}
    data["not_run"] = [{"system": "postgres-serializable", "reason": "not run: pass --real"}]
    return data


def test_matrix_page_shows_coverage_counts_and_the_terminal_legend(tmp_path: Path) -> None:
    """Guards the page's summary (coverage figure naming the missing hazard, the counts
    line, the not-run list) and that its marks are the terminal's (one ``LEGEND``): a
    violated claim is ``✗!``, a missing cell ``–``, never the old ``·``."""
    from ddialab._cli_matrix import SYMBOL
    from reports import LEGEND

    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    html = render_matrix(summary_matrix(run_dir), tmp_path / "site" / "m.html").read_text()
    assert "2 of 3 known hazards demonstrated" in html
    assert "<li>leaderless: convergence</li>" in html
    assert "✗! claimed and violated: 1" in html and "✓ held: 2" in html
    assert "postgres-serializable</strong>: not run: pass --real" in html
    marks = re.findall(r'data-mark="([^"]+)"[^>]*>\s*<span class="sym">([^<]+)</span>', html)
    assert ("claimed-and-violated", "✗!") in marks and ("not-run", "–") in marks
    assert all(SYMBOL[status] == mark for status, mark in marks)
    assert {s: m for s, (m, _) in LEGEND.items()} == SYMBOL and "·" not in html
    assert '<a class="shrunk" href="../runs/r1-shrunk/report.html">shrunk</a>' in html
    assert "shrunk to faults 1, ops 6" in html


def test_matrix_page_in_chromium(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Guards what a reader sees in a real browser: the coverage line, the counts chips,
    one legend entry per terminal mark, the shrunk link next to the report link; no
    console error and no request but the page."""
    from ddialab._cli_matrix import SYMBOL

    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    out = render_matrix(summary_matrix(run_dir), tmp_path / "site" / "matrix.html")
    chromium.load(out, ready=False)
    assert chromium.errors() == []
    assert chromium.requests() == [out.resolve().as_uri()]
    seen = chromium.eval("""(() => ({
      coverage: document.getElementById("coverage").textContent,
      missing: [...document.querySelectorAll("#coverage-missing li")].map(e => e.textContent),
      chips: [...document.querySelectorAll("#counts .chip")].map(e => e.textContent),
      legend: [...document.querySelectorAll("[data-legend] b.sym")].map(e => e.textContent),
      shrunk: [...document.querySelectorAll("a.shrunk")].map(e => e.getAttribute("href")),
      bug: document.querySelector('td[data-mark="claimed-and-violated"] .sym').textContent,
    }))()""")
    assert seen["coverage"].startswith("2 of 3 known hazards demonstrated")
    assert seen["missing"] == ["leaderless: convergence"]
    assert "✗! claimed and violated: 1" in seen["chips"]
    assert seen["legend"] == list(SYMBOL.values())
    assert seen["shrunk"] == ["../runs/r1-shrunk/report.html"] and seen["bug"] == "✗!"
