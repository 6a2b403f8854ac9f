"""Delta debugging and ``ddialab shrink``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.cli import main
from ddialab.errors import UsageError
from ddialab.runner import TestSpec, run, shrink_run
from nemesis import ddmin


@given(st.integers(1, 40), st.sets(st.integers(0, 39), max_size=4))
def test_ddmin_finds_exactly_the_needed_items(n: int, needed: set[int]) -> None:
    needed = {i for i in needed if i < n}
    calls: list[int] = []

    def fails(xs: list[int]) -> bool:
        calls.append(1)
        return needed <= set(xs)

    assert ddmin(list(range(n)), fails) == sorted(needed)


def test_ddmin_respects_its_budget() -> None:
    calls: list[int] = []

    def fails(xs: list[int]) -> bool:
        calls.append(1)
        return 7 in xs

    ddmin(list(range(100)), fails, budget=3)
    assert len(calls) == 3


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    spec = TestSpec(system="single-node-ack-before-fsync", nemesis=["kill"], seed=1, time_limit=6)
    result = run(spec, out=str(tmp_path_factory.mktemp("shrink") / "orig"))
    assert result.valid is False
    return result.run_dir


def test_shrink_keeps_the_anomaly_and_is_deterministic(failing_run: str, tmp_path: Path) -> None:
    src = failing_run
    one = shrink_run(src, out=str(tmp_path / "s1"), max_runs=25)
    assert one["reproduced"] and one["anomaly"] == "lost-durable-writes"  # the first reported
    before, after = one["before"], one["after"]
    assert after["ops"] < before["ops"] and after["faults"] <= before["faults"]
    assert after["time_limit"] <= before["time_limit"]
    assert (tmp_path / "s1" / "report.html").exists()
    results = json.loads((tmp_path / "s1" / "results.json").read_text())
    assert results["valid"] is False
    two = shrink_run(src, out=str(tmp_path / "s2"), max_runs=25)
    assert {**two, "run_dir": None} == {**one, "run_dir": None}
    h1 = (tmp_path / "s1" / "history.jsonl").read_text()
    assert h1 == (tmp_path / "s2" / "history.jsonl").read_text()


def test_hypothesis_engine_also_shrinks(failing_run: str, tmp_path: Path) -> None:
    out = shrink_run(failing_run, out=str(tmp_path / "h"), max_runs=12, engine="hypothesis")
    assert out["reproduced"] and out["engine"] == "hypothesis"
    assert out["after"]["ops"] < out["before"]["ops"]


def test_shrink_cli_refuses_a_valid_run(tmp_path: Path, capsys: Any) -> None:
    result = run(TestSpec(time_limit=1), out=str(tmp_path / "ok"))
    assert main(["shrink", result.run_dir]) == 2
    assert "nothing to shrink" in capsys.readouterr().err


def test_shrink_cli_prints_the_reduction(failing_run: str, tmp_path: Path, capsys: Any) -> None:
    out = str(tmp_path / "cli")
    assert main(["shrink", failing_run, "--max-runs", "6", "--out", out]) == 1
    text = capsys.readouterr().out
    assert "anomaly lost-durable-writes" in text and f"run directory: {out}" in text
    assert json.loads((tmp_path / "cli" / "shrink.json").read_text())["runs"] <= 6


def test_a_finding_that_is_not_an_anomaly_can_be_shrunk(tmp_path: Path) -> None:
    """Guards shrinking to a *finding* (the set checker's ``stale``: counted, valid): the
    matrix counts it against index-consistency and shrinks that cell; the shrinker used to
    refuse the run ("no anomaly"), so the one hazard the matrix demonstrated went unshrunk.
    Without naming it, a valid run still has nothing to shrink."""
    spec = TestSpec(system="partitioned-global-index", workload="secondary-index",
                    nemesis=["partition", "kill", "pause"], seed=0, time_limit=5)  # fmt: skip
    src = run(spec, out=str(tmp_path / "orig"))
    assert src.valid is True and src.results["checkers"]["set"]["findings"] == ["stale"]
    with pytest.raises(UsageError, match="nothing to shrink"):
        shrink_run(src.run_dir, out=str(tmp_path / "no"), max_runs=4)
    out = shrink_run(src.run_dir, anomaly="stale", out=str(tmp_path / "s"), max_runs=12)
    assert out["reproduced"] and out["anomaly"] == "stale"
    assert out["after"]["ops"] < out["before"]["ops"]
    results = json.loads((tmp_path / "s" / "results.json").read_text())
    assert results["checkers"]["set"]["counts"]["stale"] > 0
