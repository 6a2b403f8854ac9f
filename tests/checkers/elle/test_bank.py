from __future__ import annotations

from checkers.elle import check_bank
from ddialab.history import History, Op


def _h(*rows: tuple[str, str, object]) -> History:
    return History(Op(i, i, t, i % 3, f, v) for i, (t, f, v) in enumerate(rows))


def test_conserved_total_is_valid():
    h = _h(
        ("invoke", "transfer", {"from": "a", "to": "b", "amount": 5}),
        ("ok", "transfer", {"from": "a", "to": "b", "amount": 5}),
        ("ok", "read", {"a": 10, "b": 10}),
        ("ok", "read", {"a": 5, "b": 15}),
    )
    r = check_bank(h, {"total": 20})
    assert r["valid"] is True and r["reads"] == 2 and not r["total_inferred"]


def test_wrong_total_and_negative_balances():
    h = _h(
        ("ok", "read", {"a": 10, "b": 10}),
        ("ok", "read", {"a": -5, "b": 20}),
        ("ok", "read", {"a": 10, "b": 5}),
    )
    r = check_bank(h, {})
    assert r["total_inferred"] and r["total"] == 20
    assert r["anomaly_types"] == ["negative-value", "wrong-total"]
    assert r["anomalies"]["wrong-total"][0]["explanation"] == (
        "op 1 read balances summing to 15, not 20"
    )
    assert r["anomalies"]["negative-value"][0]["explanation"] == (
        "op 1 read negative balance(s): a = -5"
    )
    assert check_bank(h, {"negative_balances": True})["anomaly_types"] == ["wrong-total"]
    assert "consistent-view" in r["not"]


def test_unexpected_and_nil_accounts():
    h = _h(("ok", "read", {"a": 10, "z": 0}), ("ok", "read", {"a": None, "b": 10}))
    r = check_bank(h, {"total": 10, "accounts": ["a", "b"]})
    assert r["anomaly_types"] == ["nil-balance", "unexpected-key"]
