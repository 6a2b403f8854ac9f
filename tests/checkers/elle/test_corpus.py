"""Conformance: the corpus's elle / elle-cli histories, through the CLI, in-process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ddialab.cli import main

pytestmark = pytest.mark.corpus


def _elle(corpus_cases: list[dict], suffix: str = "") -> list[dict]:
    """The elle cases of expected.json (paths as it names them), optionally one by suffix."""
    return [c for c in corpus_cases if c["checker"] == "elle" and c["path"].endswith(suffix)]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    rc = main(args)
    out = capsys.readouterr().out.strip().splitlines()
    return rc, json.loads(out[-1])


def _check(case: dict, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    args = [
        "check",
        str(case["file"]),
        "--checker",
        "elle",
        "--model",
        case["model"],
        "--json",
        *extra,
    ]
    if "consistency-models serializable" in case.get("options", ""):
        args += ["--consistency-model", "serializable"]
    rc, result = _run(args, capsys)
    assert result["valid"] != "error", f"cannot read {case['path']}: {result.get('error')}"
    return rc, result


def test_every_expected_verdict(corpus_cases: list[dict], capsys: pytest.CaptureFixture[str]):
    """Guards Elle-class checking and the readers on every elle case of expected.json (the
    performance case huge-scc has its own test below): verdict, exit code, explanations."""
    cases = [c for c in _elle(corpus_cases) if not c["path"].endswith("huge-scc.edn")]
    assert len(cases) >= 7 and {c["expected"] for c in cases} == {True, False}
    wrong = []
    for case in cases:
        rc, result = _check(case, capsys)
        if result["valid"] is not case["expected"] or rc != (0 if case["expected"] else 1):
            wrong.append((case["path"], case["expected"], result["valid"], rc))
        for ws in result["anomalies"].values():
            assert all(w["explanation"] for w in ws), case["path"]
    assert wrong == []


def test_si_without_g_single_is_g2_item_only(
    corpus_cases: list[dict], capsys: pytest.CaptureFixture[str]
):
    (case,) = _elle(corpus_cases, "si-without-g-single.edn")
    rc, si = _check(case, capsys, "--consistency-model", "snapshot-isolation")
    assert (rc, si["valid"], si["anomaly_types"]) == (0, True, ["G2-item"])
    rc, rr = _check(case, capsys, "--consistency-model", "repeatable-read")
    assert (rc, rr["valid"], rr["anomaly_types"]) == (1, False, ["G2-item"])
    assert rr["not"] == ["repeatable-read"]
    rc, ser = _check(case, capsys, "--consistency-model", "serializable")
    assert ser["anomaly_types"] == ["G2-item"] and ser["valid"] is False
    (w,) = ser["anomalies"]["G2-item"]
    assert [e["kind"] for e in w["graph"]["edges"]] == ["ww", "rw", "rw"]


def test_huge_scc_has_a_realtime_cycle(
    corpus_cases: list[dict], capsys: pytest.CaptureFixture[str]
):
    (case,) = _elle(corpus_cases, "huge-scc.edn")
    rc, result = _check(case, capsys)
    assert (rc, result["valid"], case["expected"]) == (1, False, False)
    # Elle reports G2-item-realtime (its search timed out); we find the G-single-realtime
    # that implies it.  Without real-time edges the history is serializable.
    assert result["anomaly_types"] == ["G-single-realtime"]
    assert result["not"] == ["strong-snapshot-isolation"]
    (w,) = result["anomalies"]["G-single-realtime"]
    assert [s["type"] for s in w["steps"]] == ["realtime", "rw"]  # a 2-txn stale read
    assert w["explanation"].startswith("T1 < T2 because T1 completed (op ")


def test_unknown_consistency_model_is_a_usage_error(
    corpus_file: Any, capsys: pytest.CaptureFixture[str]
):
    path = corpus_file("elle/histories/paper-example.edn")
    rc = main(["check", str(path), "--checker", "elle", "--consistency-model", "serialisable"])
    assert rc == 2
    assert "unknown consistency model 'serialisable'" in capsys.readouterr().err


def test_time_limit_through_the_cli(corpus_cases: list[dict], capsys: pytest.CaptureFixture[str]):
    (case,) = _elle(corpus_cases, "si-without-g-single.edn")
    # Under SI the G2-item is allowed, but with no time to search, nothing is proven: 4.
    rc, r = _check(case, capsys, "--consistency-model", "snapshot-isolation", "--time-limit", "0")
    assert (rc, r["valid"]) == (4, "unknown")
    assert "ran out of time" in r["reason"]
    # Under serializable, the fallback cycle alone proves invalidity: never a false pass.
    rc, r = _check(case, capsys, "--consistency-model", "serializable", "--time-limit", "0")
    assert (rc, r["valid"]) == (1, False) and r["incomplete"]
