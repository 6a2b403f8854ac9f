"""``render_matrix``: the systems × guarantees matrix as one self-contained HTML page.

The input is ``matrix.json`` (format in ``docs/reports.md``): ``guarantees`` names the
columns, ``rows`` the systems (each with its options and a ``cells`` mapping from
guarantee to a cell).  A cell's ``status`` is one of ``held``, ``violated``,
``not-demonstrated``, ``not-applicable``; a guarantee missing from ``cells`` is shown as
*not run*.  A violated cell links to its run's ``report.html`` (the link is made relative
to the page, so the matrix and the runs can move together), shows the replay seed and,
when the matrix shrank it, links the shrunk run's report.  A violated cell of a guarantee
the row claims is a bug and is marked ``✗!``.

``LEGEND`` is the one legend: ``ddialab matrix`` prints the same marks on the terminal.
The page also shows the document's ``counts`` line, its ``coverage`` ("N of M known
hazards demonstrated", listing the missing) and the systems ``not_run``.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ddialab.errors import DdialabError
from reports._load import REPORT, read_json
from reports._render import environment

STATUSES = ("held", "violated", "not-demonstrated", "not-applicable")
_SPELLINGS = {s.replace("-", sep): s for s in STATUSES for sep in ("_", " ", "")}
NOT_RUN = "not-run"
BUG = "claimed-and-violated"
#: status -> (mark, meaning): the one legend of the terminal table and of matrix.html
LEGEND: dict[str, tuple[str, str]] = {
    "held": ("✓", "held: claimed, and no run violated it (evidence, not proof)"),
    "violated": ("✗", "violated: a run found a violation (its seed replays it)"),
    BUG: ("✗!", "claimed and violated: the system claims it (a bug)"),
    "not-demonstrated": ("?", "not demonstrated: not claimed and no violation found, "
                              "or the checks were inconclusive"),
    "not-applicable": ("n/a", "not applicable: no checker of its runs speaks for it"),
    NOT_RUN: ("–", "not run"),
}  # fmt: skip
SYMBOLS = {status: mark for status, (mark, _) in LEGEND.items()}


def render_matrix(
    matrix_data: Mapping[str, Any] | str | os.PathLike[str], out_path: str | os.PathLike[str]
) -> pathlib.Path:
    """Write the matrix page to ``out_path`` (a dict, or the path of a matrix.json)."""
    data = _load(matrix_data)
    out = pathlib.Path(out_path)
    html = environment().get_template("matrix.html.j2").render(**matrix_context(data, out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def _load(matrix_data: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    if isinstance(matrix_data, Mapping):
        return matrix_data
    path = os.fspath(matrix_data)
    if not os.path.isfile(path):
        raise DdialabError(f"{path}: no such matrix file")
    data = read_json(path)
    if not isinstance(data, dict):
        raise DdialabError(f"{path}: a matrix is a JSON object with guarantees and rows")
    return data


def matrix_context(data: Mapping[str, Any], out: pathlib.Path) -> dict[str, Any]:
    guarantees = data.get("guarantees")
    rows = data.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DdialabError("matrix: 'rows' must be a list of objects")
    if guarantees is None:
        guarantees = sorted({g for r in rows for g in r.get("cells") or {}})
    if not isinstance(guarantees, list):
        raise DdialabError("matrix: 'guarantees' must be a list of names")
    guarantees = [_column(g) for g in guarantees]
    out_dir = out.resolve().parent
    table = [_row(r, guarantees, out_dir) for r in rows]
    return {
        "title": str(data.get("title") or "ddialab: systems × guarantees"),
        "description": data.get("description"),
        "generated": data.get("generated") or time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "guarantees": guarantees,
        "rows": table,
        "counts": _counts(data.get("counts"), table),
        "coverage": _coverage(data.get("coverage")),
        "not_run": [dict(item) for item in data.get("not_run") or [] if isinstance(item, dict)],
        "symbols": SYMBOLS,
        "legend": list(LEGEND.items()),
    }


def _counts(given: Any, table: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The document's counts line, else the cells counted here (claimed-and-violated
    apart from violated, as on the terminal)."""
    if isinstance(given, dict):
        return [(s, int(given.get(s, 0))) for s in LEGEND if s in given]
    counted = Counter(c["mark_status"] for r in table for c in r["cells"])
    return [(s, counted.get(s, 0)) for s in LEGEND]


def _coverage(cov: Any) -> dict[str, Any] | None:
    if not isinstance(cov, dict) or "known" not in cov:
        return None
    return {"known": cov["known"], "demonstrated": cov.get("demonstrated", 0),
            "missing": [str(m) for m in cov.get("missing") or []]}  # fmt: skip


def _column(g: Any) -> dict[str, Any]:
    if isinstance(g, dict):
        return {"name": str(g.get("name")), "description": g.get("description") or ""}
    return {"name": str(g), "description": ""}


def _row(r: dict[str, Any], guarantees: list[dict[str, Any]], out_dir: pathlib.Path) -> dict:
    cells = r.get("cells", {})
    if not isinstance(cells, dict):
        raise DdialabError(f"matrix: row {r.get('system')!r}: 'cells' must be an object")
    options = r.get("options") or {}
    claims = r.get("claims") or []
    return {
        "system": str(r.get("system", "?")),
        "label": r.get("label"),
        "options": [(k, json.dumps(v)) for k, v in sorted(options.items())],
        "claims": claims,
        "note": r.get("note"),
        "cells": [_marked(_cell(g["name"], cells.get(g["name"]), out_dir), claims)
                  for g in guarantees],
    }  # fmt: skip


def _marked(cell: dict[str, Any], claims: list[str]) -> dict[str, Any]:
    """The legend entry a cell shows: a violated claim is a bug (``✗!``)."""
    bug = cell["status"] == "violated" and cell["guarantee"] in claims
    cell["mark_status"] = BUG if bug else cell["status"]
    cell["mark"] = SYMBOLS[cell["mark_status"]]
    return cell


def _cell(name: str, cell: Any, out_dir: pathlib.Path) -> dict[str, Any]:
    if cell is None:
        return {**_BLANK, "status": NOT_RUN, "guarantee": name, "title": f"{name}: not run"}
    if isinstance(cell, str):
        cell = {"status": cell}
    if not isinstance(cell, dict):
        raise DdialabError(f"matrix: cell for {name!r} must be an object or a status string")
    status = str(cell.get("status", "")).lower()
    status = _SPELLINGS.get(status, status)
    if status not in STATUSES:
        raise DdialabError(f"matrix: unknown status {status!r} for {name!r}; use one of "
                           + ", ".join(STATUSES))  # fmt: skip
    out = {**_BLANK, **cell, "status": status, "guarantee": name}
    out["href"] = _link(cell.get("run_dir"), out_dir)
    shrunk = cell.get("shrunk")
    out["shrunk_href"] = _link(shrunk.get("run_dir"), out_dir) if isinstance(shrunk, dict) else None
    expected = cell.get("expected")
    out["surprise"] = bool(expected) and _SPELLINGS.get(str(expected), expected) != status
    out["title"] = _cell_title(name, out)
    return out


_BLANK: dict[str, Any] = {"href": None, "shrunk_href": None, "surprise": False, "seed": None,
                          "runs": None, "anomalies": [], "replay": None, "note": None}  # fmt: skip


def _link(run_dir: Any, out_dir: pathlib.Path) -> str | None:
    if not run_dir:
        return None
    target = pathlib.Path(str(run_dir)).resolve() / REPORT
    try:
        return os.path.relpath(target, out_dir).replace(os.sep, "/")
    except ValueError:  # another drive (Windows)
        return target.as_uri()


def _cell_title(name: str, c: dict[str, Any]) -> str:
    parts = [f"{name}: {c['status']}"]
    if c.get("runs") is not None:
        parts.append(f"{c['runs']} run(s)")
    if c.get("anomalies"):
        parts.append("anomalies: " + ", ".join(map(str, c["anomalies"])))
    if c.get("replay"):
        parts.append(f"replay: {c['replay']}")
    shrunk = c.get("shrunk")
    if isinstance(shrunk, dict) and shrunk.get("after"):
        parts.append("shrunk to " + ", ".join(f"{k} {v}" for k, v in shrunk["after"].items()))
    if c.get("expected"):
        parts.append(f"expected: {c['expected']}")
    if c.get("note"):
        parts.append(str(c["note"]))
    return "\n".join(parts)
