"""Planted anomalies in large clean histories: exactly the planted ones are reported."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkers.elle import check
from checkers.elle.synth import APPEND_PLANTS, REGISTER_PLANTS, synth_history

APPEND = sorted(APPEND_PLANTS)
REGISTER = sorted(REGISTER_PLANTS)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400))
def test_clean_histories_are_strict_serializable(seed: int, n: int):
    """Guards against false positives; a history too small to relate any two txns is
    unknown (Elle's empty transaction graph), never valid, and never at 50+ txns."""
    for model in ("list-append", "rw-register"):
        h, expected = synth_history(n, [], seed=seed, model=model)
        r = check(h, {"model": model})
        assert expected == set()
        if r["valid"] == "unknown" and n < 50:
            assert r["reason"].startswith(("empty transaction graph", "no "))
        else:
            assert r["valid"] is True, r["anomaly_types"]
        assert r["anomaly_types"] == []


@given(seed=st.integers(0, 2**32 - 1), plants=st.lists(st.sampled_from(APPEND), max_size=6))
def test_list_append_reports_exactly_the_planted_anomalies(seed: int, plants: list[str]):
    h, expected = synth_history(300, plants, seed=seed)
    r = check(h, {})
    assert set(r["anomaly_types"]) == expected
    assert r["valid"] is (not expected)
    for ws in r["anomalies"].values():
        assert all(w["explanation"] for w in ws)
        for w in ws:
            if "graph" in w:
                _assert_is_a_cycle(w)


def _assert_is_a_cycle(w: dict) -> None:
    edges = w["graph"]["edges"]
    names = [n["id"] for n in w["graph"]["nodes"]]
    assert len(edges) == len(names) == len(w["cycle"]) >= 2
    assert [e["from"] for e in edges] == names
    assert [e["to"] for e in edges] == [*names[1:], names[0]]


@given(seed=st.integers(0, 2**32 - 1), plants=st.lists(st.sampled_from(REGISTER), max_size=4))
def test_rw_register_reports_exactly_the_planted_anomalies(seed: int, plants: list[str]):
    """The plants assume writes follow reads (the cyclic-versions plant needs it)."""
    h, expected = synth_history(200, plants, seed=seed, model="rw-register")
    r = check(h, {"model": "rw-register", "wfr_keys": True})
    assert set(r["anomaly_types"]) == expected


def test_every_planted_type_at_once_in_a_large_history():
    h, expected = synth_history(5000, APPEND, seed=7)
    r = check(h, {})
    assert set(r["anomaly_types"]) == expected
    covered = set().union(*(p.expected for p in APPEND_PLANTS.values()))
    assert {
        "G0",
        "G1c",
        "G-single",
        "G-nonadjacent",
        "G2-item",
        "G1a",
        "G1b",
        "internal",
        "dirty-update",
        "duplicate-elements",
        "incompatible-order",
        "lost-update",
        "garbage-read",
    } <= covered
    assert all(
        t + v in covered
        for t in ("G0", "G1c", "G-single", "G-nonadjacent", "G2-item")
        for v in ("-process", "-realtime")
    )


@given(seed=st.integers(0, 2**32 - 1), plants=st.lists(st.sampled_from(APPEND), max_size=6))
def test_order_variants_vanish_without_order_edges(seed: int, plants: list[str]):
    """Judged against serializable, no process/real-time edges are built: only the
    data-dependency plants show, and validity follows the model's prohibitions."""
    h, expected = synth_history(300, plants, seed=seed)
    r = check(h, {"consistency_model": "serializable"})
    data = {t for t in expected if not t.endswith(("-process", "-realtime"))}
    assert set(r["anomaly_types"]) == data
    assert r["valid"] is (not data)
    si = check(h, {"consistency_model": "snapshot-isolation"})
    assert si["valid"] is (not (data - {"G2-item"}))
