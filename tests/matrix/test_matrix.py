"""The matrix: plan, run locally (serial and parallel), aggregate cells, and on Dask."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main
from ddialab.matrix import MatrixOptions, plan, run_matrix, verdicts
from ddialab.matrix._cells import _cell
from ddialab.matrix._shrink import MAX_RUNS, _shrink_task

SYSTEMS = ("single-node", "single-node-ack-before-fsync")


def _options(**kw: Any) -> MatrixOptions:
    base: dict[str, Any] = {"seeds": 2, "time_limit": 4.0, "systems": SYSTEMS, "jobs": 1}
    base.update(kw)
    return MatrixOptions(**base)


def test_plan_covers_each_system_workload_and_seed() -> None:
    specs = plan(_options())
    keys = {(s.system, s.workload, tuple(s.nemesis), s.seed) for s in specs}
    common = ("partition", "kill", "pause")
    assert ("single-node", "register", common, 0) in keys
    assert ("single-node-ack-before-fsync", "list-append", common, 1) in keys
    assert ("single-node-ack-before-fsync", "register", ("kill",), 1) in keys  # its scenario
    assert len(keys) == len(specs) == (2 * 3 + 1) * 2


def _statuses(doc: dict[str, Any], system: str) -> dict[str, str]:
    row = next(r for r in doc["rows"] if r["system"] == system)
    return {g: (c if isinstance(c, str) else c["status"]) for g, c in row["cells"].items()}


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return run_matrix(_options(), str(tmp_path_factory.mktemp("serial")))


def test_claimed_guarantees_hold_and_the_unsafe_system_is_caught(serial: Any) -> None:
    safe = _statuses(serial.document, "single-node")
    assert safe["linearizable"] == "held"
    assert safe["serializable"] == "held"
    assert safe["read-your-writes"] == "held"
    assert safe["durability"] == "held"
    assert serial.document["coverage"] == {"known": 1, "demonstrated": 1, "missing": []}
    # read off linearizable final reads, but single-node does not claim it
    assert safe["convergence"] == "not-demonstrated"
    unsafe = _statuses(serial.document, "single-node-ack-before-fsync")
    assert unsafe["linearizable"] == "violated"
    assert serial.bugs == []  # the unsafe one claims nothing, so nothing is a bug


def test_matrix_files_are_written(serial: Any) -> None:
    out = Path(serial.out_dir)
    doc = json.loads((out / "matrix.json").read_text())
    assert len(doc["runs"]) == serial.runs
    cell = next(r for r in doc["rows"] if r["system"] == "single-node-ack-before-fsync")
    violated = cell["cells"]["linearizable"]
    assert violated["replay"].startswith("ddialab run --system single-node-ack-before-fsync")
    assert Path(violated["run_dir"], "history.jsonl").exists()
    assert (out / "matrix.html").exists()


def _hazard_cell(doc: dict[str, Any]) -> dict[str, Any]:
    row = next(r for r in doc["rows"] if r["system"] == "single-node-ack-before-fsync")
    return row["cells"]["durability"]


def test_each_demonstrated_hazard_is_shrunk_and_linked(serial: Any) -> None:
    """Guards the shrinking of hazard cells: the first violating run is shrunk (bounded by
    ``MAX_RUNS``) to a smaller run that still fails the same way, the cell records it, the
    page links its report and the result lists it for the terminal."""
    cell = _hazard_cell(serial.document)
    shrunk = cell["shrunk"]
    assert shrunk["source"] == cell["run_dir"] and shrunk["reproduced"] is True
    assert shrunk["anomaly"] == cell["anomalies"][0] == "lost-durable-writes"
    assert 0 < shrunk["runs"] <= MAX_RUNS
    assert shrunk["after"]["ops"] < shrunk["before"]["ops"]
    assert Path(shrunk["run_dir"], "report.html").exists()
    assert Path(shrunk["run_dir"], "shrink.json").exists()
    assert serial.shrunk == [shrunk]  # only hazard cells are shrunk
    html = (Path(serial.out_dir) / "matrix.html").read_text()
    link = Path(shrunk["run_dir"]).relative_to(serial.out_dir).as_posix() + "/report.html"
    assert f'<a class="shrunk" href="{link}">shrunk</a>' in html


def test_a_shrink_that_cannot_proceed_is_recorded_not_raised(serial: Any) -> None:
    """Guards fail-closed shrinking: a run with nothing to shrink leaves an ``error`` on
    the cell (the ✗ and its seed stand) instead of aborting the matrix."""
    valid = next(r for r in json.loads((Path(serial.out_dir) / "matrix.json").read_text())["runs"]
                 if r["spec"]["system"] == "single-node")  # fmt: skip
    out = _shrink_task((valid["run_dir"], None))
    assert out["source"] == valid["run_dir"] and "nothing to shrink" in out["error"]


def test_parallel_run_gives_identical_cells(serial: Any, tmp_path: Path) -> None:
    """Guards executor independence, the one pool shared by the search and the shrinks
    included: the pipelined search (pool) makes exactly the runs of the serial waves, and
    gives the same cells and the same shrunk run."""
    parallel = run_matrix(_options(jobs=2), str(tmp_path))
    assert _strip(parallel.document) == _strip(serial.document)
    assert _made(parallel) == _made(serial) and parallel.runs == serial.runs
    mine, theirs = (
        _hazard_cell(parallel.document)["shrunk"],
        _hazard_cell(serial.document)["shrunk"],
    )
    assert (mine["before"], mine["after"]) == (theirs["before"], theirs["after"])


def _made(result: Any) -> list[tuple[str, int]]:
    runs = json.loads((Path(result.out_dir) / "matrix.json").read_text())["runs"]
    return sorted((r["probe"], r["spec"]["seed"]) for r in runs)


def _strip(doc: dict[str, Any]) -> Any:
    """Cells without run paths (which differ by output directory)."""
    out = {}
    for row in doc["rows"]:
        for g, c in row["cells"].items():
            out[(row["system"], g)] = (
                c
                if isinstance(c, str)
                else (c["status"], c.get("seed"), c.get("runs"), tuple(c.get("anomalies", [])))
            )
    return out


def test_a_violated_claim_is_a_bug() -> None:
    runs = [{"spec": {"seed": 3}, "verdicts": {"linearizable": False}, "run_dir": "r",
             "replay": "x", "results": {"checkers": {}}}]  # fmt: skip
    cell = _cell("linearizable", True, runs)
    assert cell["status"] == "violated"
    assert cell["expected"] == "held"
    assert cell["seed"] == 3
    assert _cell("linearizable", False, runs)["expected"] == "violated"
    assert _cell("serializable", True, runs) == "not-applicable"


def test_verdicts_read_elle_models_and_session_guarantees() -> None:
    results = {
        "checkers": {
            "elle": {"valid": False, "not": ["snapshot-isolation"], "also_not": ["serializable"]},
            "session": {"guarantees": {"read-your-writes": False, "monotonic-reads": True}},
        }
    }
    v = verdicts(results)
    assert v["snapshot-isolation"] is False
    assert v["serializable"] is False
    assert v["read-committed"] is True
    assert v["read-your-writes"] is False
    assert v["monotonic-reads"] is True


def test_cli_matrix_exit_code_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["matrix", "--seeds", "1", "--time-limit", "3", "--systems", "single-node",
                 "--jobs", "1", "--out", str(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "single-node" in out
    counts = re.search(r"(\d+) held, (\d+) violated, (\d+) claimed and violated", out)
    assert counts and int(counts[1]) > 0 and counts[2] == counts[3] == "0"  # the counts line
    assert "– not run" in out and "✗! claimed and violated" in out  # the page's legend
    assert (tmp_path / "matrix.html").exists()


def test_unknown_system_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--systems", "nope"]) == 2
    assert "unknown system" in capsys.readouterr().err


def test_dask_executor_matches_local(serial: Any, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_matrix(
            _options(), str(tmp_path), executor="dask", scheduler=cluster.scheduler_address
        )
    assert _strip(result.document) == _strip(serial.document)


def test_linearizable_implies_the_session_guarantees_unless_checked() -> None:
    v = verdicts({"checkers": {"linearizable": {"valid": True}}})
    assert v["read-your-writes"] is True and v["consistent-prefix"] is True
    v = verdicts({"checkers": {"linearizable": {"valid": False}}})
    assert "read-your-writes" not in v


def test_kv_no_txn_invalid_runs_show_in_the_row_and_the_page(tmp_path: Path) -> None:
    """Guards issue #18's kv-no-txn item: its violated multi-object invariants reach its
    row (✗ with a seed and a shrunk run) and the page (the cell links both reports)."""
    result = run_matrix(MatrixOptions(seeds=1, systems=("kv-no-txn",), jobs=1), str(tmp_path))
    cell = result.document["rows"][0]["cells"]["multi-object-invariants"]
    assert cell["status"] == "violated" and cell["seed"] == 0
    assert result.document["coverage"] == {"known": 1, "demonstrated": 1, "missing": []}
    html = (tmp_path / "matrix.html").read_text()
    row = html[html.index("<strong>kv-no-txn</strong>") :]
    row = row[: row.index("</tr>")]
    name = Path(cell["run_dir"]).name
    assert f'<a href="runs/{name}/report.html">report</a>' in row
    assert f'href="runs/{name}-shrunk/report.html">shrunk</a>' in row
    assert Path(cell["shrunk"]["run_dir"], "report.html").exists()
