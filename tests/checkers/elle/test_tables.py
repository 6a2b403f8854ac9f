from __future__ import annotations

import pytest

from checkers.elle import ANOMALIES, CONSISTENCY_MODELS, CYCLE_TYPES, boundary
from checkers.elle._tables import (
    canonical_anomaly,
    canonical_model,
    implied_models,
    prohibited_anomalies,
)
from ddialab.errors import UsageError


def test_tables_are_closed():
    for name, spec in ANOMALIES.items():
        assert set(spec["implies"]) <= set(ANOMALIES), name
    for name, spec in CONSISTENCY_MODELS.items():
        assert set(spec["implies"]) <= set(CONSISTENCY_MODELS), name
        assert set(spec["forbids"]) <= set(ANOMALIES), name
    assert set(CYCLE_TYPES) <= set(ANOMALIES)


def test_g2_item_is_allowed_by_si_but_not_repeatable_read():
    assert "G2-item" not in prohibited_anomalies("snapshot-isolation")
    assert "G2-item" in prohibited_anomalies("repeatable-read")
    assert boundary(["G2-item"]) == (
        ["repeatable-read"],
        ["serializable", "strict-serializable", "strong-session-serializable"],
    )


def test_realtime_anomalies_only_rule_out_the_strong_models():
    assert boundary(["G-single-realtime"])[0] == ["strong-snapshot-isolation"]
    assert "serializable" not in boundary(["G2-item-realtime"])[1]
    assert "G2-item-realtime" in prohibited_anomalies("strict-serializable")
    assert "G2-item-realtime" not in prohibited_anomalies("serializable")


def test_anomalies_from_reference_rule_out_the_documented_models():
    assert boundary(["G0"])[0] == ["read-uncommitted"]
    assert boundary(["G1a"])[0] == ["read-committed"]
    assert boundary(["lost-update"])[0] == ["cursor-stability"]
    assert "repeatable-read" in boundary(["lost-update"])[1]
    assert "read-atomic" in boundary(["internal"])[0]
    assert "read-committed" not in boundary(["internal"])[0] + boundary(["internal"])[1]
    assert "snapshot-isolation" in boundary(["G-nonadjacent"])[0]


def test_lattice_follows_the_reference():
    weaker = implied_models(["strict-serializable"])
    assert {
        "serializable",
        "snapshot-isolation",
        "repeatable-read",
        "read-committed",
        "read-uncommitted",
        "linearizable",
        "read-your-writes",
    } <= weaker
    assert "serializable" not in implied_models(["snapshot-isolation"])


def test_names_and_aliases():
    assert canonical_anomaly("G-single-item") == "G-single"
    assert canonical_anomaly("G-single-item-realtime") == "G-single-realtime"
    assert canonical_model("strong-serializable") == "strict-serializable"
    with pytest.raises(UsageError, match="unknown consistency model 'serialisable'"):
        canonical_model("serialisable")
