"""Anomaly names and the witness schema (tests/checkers/conftest.py holds every checker's
results to both; these pin the tables and the validator themselves)."""

from __future__ import annotations

from checkers._registry import CHECKERS
from ddialab.vocabulary import (
    ANOMALIES,
    ANOMALY_ALIASES,
    anomalies_reported_by,
    anomaly_family,
    implied,
    witness_ops,
    witness_problems,
)
from reports._anomalies import named_ops


def test_every_anomaly_has_a_definition_a_source_and_known_reporters() -> None:
    """Guards the table: an entry without its English, or naming a checker that does not
    exist, or implying an unknown anomaly, is a broken join."""
    for a in ANOMALIES.values():
        assert a.definition and a.source, a.name
        assert set(a.reported_by) <= set(CHECKERS), a.name
        assert set(a.implies) <= set(ANOMALIES), a.name
    assert set(ANOMALY_ALIASES.values()) <= set(ANOMALIES)


def test_every_registered_checker_declares_what_it_reports() -> None:
    """Guards against a checker left out of the table (conftest would then reject every
    anomaly it finds only in the tests that happen to plant one)."""
    for name in CHECKERS:
        assert anomalies_reported_by(name), name


def test_implication_closes_over_variants_and_keeps_unknown_names() -> None:
    """Guards the closure Elle's verdicts rest on: G0-process implies G1-process."""
    assert {"G1c-process", "G0-realtime", "G1c-realtime", "G1-process", "G1-realtime"} <= implied(
        ["G0-process"]
    )
    assert implied(["no-such-anomaly"]) == {"no-such-anomaly"}
    assert "G1" in anomaly_family("elle") and "G1" not in anomalies_reported_by("elle")


def test_witness_problems_name_each_departure_from_the_schema() -> None:
    """Guards the validator: each rule must reject what it forbids."""
    good = {"explanation": "T1 read T2's write", "ops": [3, 5], "cycle": [3, 5, 3]}
    assert witness_problems(good) == []
    assert witness_problems({"ops": [1]}) == ["explanation must be a non-empty string"]
    assert "ops (the op indices involved) is missing" in witness_problems({"explanation": "x"})
    assert witness_problems({"explanation": "x"}, require_ops=False) == []
    assert witness_problems({"explanation": "x", "ops": {"a": [1]}})[0].startswith("ops must")
    assert witness_problems({"explanation": "x", "ops": [True]})[0].startswith("ops must")
    assert witness_problems({"explanation": "x", "ops": [1], "edges": {}}) == [
        "edges must be a list"
    ]
    assert witness_problems([1, 2]) == ["a witness must be an object, not list"]


def test_reports_show_exactly_the_witness_ops() -> None:
    """Guards reports/_anomalies.py: a witness shows exactly its ``ops`` (in the history,
    first mention first), and nothing is guessed from other keys (``writer``, ``op``)."""
    w = {"explanation": "x", "ops": [4, 2, 4, 12], "writer": 7}
    assert witness_ops(w) == [4, 2, 4, 12]
    assert named_ops(w, 10) == [4, 2]
    assert named_ops({"explanation": "x", "writer": 7, "op": 1}, 10) == []
