"""``ddialab matrix --real``: PostgreSQL's rows reproduce the Hermitage table by experiment.

Guards the real probes (the Hermitage scenario of each PostgreSQL entry: 3 keys, 10
clients as fast as they go, each level checked against itself) and the path from a real
run to the matrix's cells: read committed shows G-single / G2-item / lost update (snapshot
isolation, repeatable read and serializable ✗, read committed ✓), repeatable read only
G2-item (repeatable read ✗, snapshot isolation ✓), serializable nothing.  Also the real
faults: each level's register probe under SIGKILL and SIGSTOP of the server
(``nemesis/real.py``) holds durability.  Starts six PostgreSQL servers (30-60 s of wall
time); skipped without PostgreSQL or psycopg, except with ``CI=true``, where every
server is installed and a missing one fails.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from systems.external import MissingServer

LEVELS = ("postgres-read-committed", "postgres-repeatable-read", "postgres-serializable")
TXN = ("serializable", "snapshot-isolation", "repeatable-read", "read-committed")
#: anomalies a level must never show (Hermitage: PostgreSQL prevents them at every level)
NEVER = {"G0", "G1a", "G1b", "G1c", "dirty-update"}


def _require_postgres() -> None:
    try:
        importlib.import_module("psycopg")
        from systems.external._postgres import pg_bindir

        pg_bindir()
    except (ImportError, MissingServer) as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must be installed in CI: {e}")
        pytest.skip(f"needs PostgreSQL and psycopg: {e}")


def _cells(doc: dict[str, Any], system: str) -> dict[str, Any]:
    row = next(r for r in doc["rows"] if r["system"] == system)
    return {g: row["cells"][g] for g in TXN}


def _status(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(cell["status"])


@pytest.mark.slow
def test_real_postgres_rows_reproduce_hermitage(tmp_path: Path, capsys: Any) -> None:
    _require_postgres()
    code = main(["matrix", "--real", "--systems", *LEVELS, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out  # every level keeps what it claims
    doc = json.loads((tmp_path / "matrix.json").read_text())
    assert [r["system"] for r in doc["rows"]] == list(LEVELS) and doc["not_run"] == []

    rc = _cells(doc, "postgres-read-committed")
    assert [_status(rc[g]) for g in TXN] == ["violated"] * 3 + ["held"]
    seen = {a for g in TXN[:3] for a in rc[g]["anomalies"]}
    assert seen & {"G-single", "G2-item", "lost-update"} and not seen & NEVER, seen

    rr = _cells(doc, "postgres-repeatable-read")
    assert [_status(rr[g]) for g in TXN] == ["violated", "held", "violated", "held"]
    assert rr["repeatable-read"]["anomalies"] == ["G2-item"]

    ser = _cells(doc, "postgres-serializable")
    assert _status(ser["serializable"]) == _status(ser["snapshot-isolation"]) == "held"
    assert not any(_status(c) == "violated" for c in ser.values())
    hermitage = [r for r in doc["runs"] if r["label"] == "hermitage"]
    assert len(hermitage) == 3 and all(r["spec"]["concurrency"] == 10 for r in hermitage)

    for system in LEVELS:  # real SIGKILL / SIGSTOP of the server: durability held
        row = next(r for r in doc["rows"] if r["system"] == system)
        assert _status(row["cells"]["durability"]) == "held", row["cells"]["durability"]
    killed = [r for r in doc["runs"] if r["label"] == "kill"]
    assert [r["spec"]["nemesis"] for r in killed] == [["kill", "pause"]] * 3
