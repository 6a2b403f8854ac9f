"""The guarantee vocabulary: one lattice, and every other table derived from it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkers.elle import _tables as elle_tables
from ddialab.matrix import _guarantees as matrix
from ddialab.vocabulary import (
    ANOMALIES,
    COLUMNS,
    GUARANTEE_NAMES,
    MODEL_ALIASES,
    MODELS,
    by_strength,
    canonical_model,
    columns,
    contracted,
    implied_columns,
    stronger,
    weaker,
)
from reports import _graphs
from systems import SYSTEMS
from systems.transactions import _systems as txn_systems
from workloads import _txn


def test_every_edge_and_forbidden_anomaly_names_a_table_entry() -> None:
    """Guards against a typo in the lattice: an edge to a model or an anomaly that does not
    exist would silently cut the closure short."""
    for g in MODELS.values():
        assert set(g.implies) <= set(MODELS), g.name
        assert set(g.forbids) <= set(ANOMALIES), g.name
    assert set(MODEL_ALIASES.values()) <= set(MODELS)
    assert set(COLUMNS) <= GUARANTEE_NAMES


def test_lattice_is_acyclic() -> None:
    """Guards the strength order: a cycle would make two models each imply the other."""
    for m in MODELS:
        assert all(m not in weaker([w]) for w in MODELS[m].implies), m


@given(st.permutations(sorted(MODELS)))
def test_by_strength_puts_a_model_before_all_it_implies(models: list[str]) -> None:
    """Guards ``by_strength`` (CONSISTENCY_ORDER, strongest_claim): it must be a linear
    extension of the lattice whatever order it is given."""
    order = by_strength(models)
    assert sorted(order) == sorted(models)
    for i, m in enumerate(order):
        assert not (stronger([m]) - {m}) & set(order[i:]), m


def test_txn_columns_are_strongest_first_and_workloads_use_them() -> None:
    """Guards CONSISTENCY_ORDER and the matrix's TXN_MODELS against drifting apart."""
    assert columns("txn") == by_strength(columns("txn"))
    assert _txn.CONSISTENCY_ORDER == matrix.TXN_MODELS == columns("txn")
    assert _txn.strongest_claim({"read-committed", "snapshot-isolation"}) == "snapshot-isolation"


def test_linearizable_vouches_for_every_session_column_through_the_lattice() -> None:
    """Guards the matrix rule now derived from the lattice: cutting causal -> consistent-prefix
    (or PRAM -> read-your-writes) would drop that column from the rule."""
    assert matrix.IMPLIED_BY_LINEARIZABLE == matrix.SESSION
    assert set(matrix.SESSION) <= weaker(["causal"])
    assert "consistent-prefix" not in weaker(["PRAM"])
    verdicts = matrix.verdicts({"checkers": {"linearizable": {"valid": True}}})
    assert all(verdicts[g] is True for g in matrix.SESSION)


def test_elle_tables_are_the_vocabulary() -> None:
    """Guards against a second copy: Elle's model table is the vocabulary's, restricted to the
    anomalies Elle reports."""
    assert list(elle_tables.CONSISTENCY_MODELS) == list(MODELS)
    for name, spec in elle_tables.CONSISTENCY_MODELS.items():
        assert spec["implies"] == list(MODELS[name].implies)
        assert set(spec["forbids"]) <= set(elle_tables.ANOMALIES)
    assert elle_tables.boundary(["G2-item"]) == (
        ["repeatable-read"],
        ["serializable", "strict-serializable", "strong-session-serializable"],
    )


def test_report_lattice_is_contracted_from_the_vocabulary() -> None:
    """Guards the drawn lattice: an edge through a model the report leaves out is followed
    down to the nearest drawn ones, and an edge implied by the others is dropped."""
    lattice = _graphs.LATTICE
    assert lattice == contracted(_graphs.DRAWN_MODELS)
    assert lattice["strong-session-serializable"] == ["serializable"]
    assert lattice["strong-snapshot-isolation"] == ["snapshot-isolation"]
    assert lattice["update-serializable"] == ["consistent-view"]
    assert lattice["snapshot-isolation"] == [
        "consistent-view", "monotonic-atomic-view", "parallel-snapshot-isolation", "prefix",
    ]  # fmt: skip
    assert _graphs.canonical("si") == "snapshot-isolation" == canonical_model("PL-SI")


def test_transaction_levels_claim_what_their_model_implies() -> None:
    """Guards CLAIMS: SI implies read-committed but not repeatable-read."""
    assert implied_columns("snapshot-isolation", "txn") == {
        "snapshot-isolation", "read-committed", "read-uncommitted",
    }  # fmt: skip
    assert txn_systems.CLAIMS["ssi"] == frozenset(columns("txn"))
    assert txn_systems.CLAIMS["read-uncommitted"] == {"read-uncommitted"}


def test_every_claim_of_every_system_is_a_vocabulary_name() -> None:
    """Guards the matrix's join: a claim outside the vocabulary is a column nobody checks."""
    for name, entry in SYSTEMS.items():
        unknown = entry.build().claims - GUARANTEE_NAMES
        assert not unknown, f"{name} claims unknown guarantees {sorted(unknown)}"
