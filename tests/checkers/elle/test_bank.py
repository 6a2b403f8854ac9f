from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers.elle import check_bank
from ddialab.cli import main
from ddialab.errors import HistoryFormatError
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


def test_no_reads_is_unknown_and_empty_is_valid():
    """Guards 'nothing of the kind it checks' -> unknown (it said valid); empty stays valid."""
    transfers = _h(("ok", "transfer", {"from": "a", "to": "b", "amount": 5}))
    r = check_bank(transfers, {})
    assert r["valid"] == "unknown" and "no ok bank reads" in r["reason"]
    assert check_bank(History([]), {})["valid"] is True


@pytest.mark.parametrize(
    ("value", "says"),
    [([1, 2], "expected a map of account to balance"), ({"a": "ten"}, "expected a number")],
)
def test_malformed_reads_are_bad_input(value: object, says: str) -> None:
    """Guards fail-closed input: a read that is not a map of numbers was skipped (or
    called nil-balance); now it is HistoryFormatError naming the op."""
    h = _h(("ok", "read", {"a": 1}), ("ok", "read", value))
    with pytest.raises(HistoryFormatError, match=f"op 1 \\(bank read\\): .*{says}"):
        check_bank(h, {})


def _bank_file(tmp_path: Path, reads: list[dict[str, object]]) -> str:
    p = tmp_path / "bank.jsonl"
    ops = [
        {"index": i, "time": i, "type": "ok", "process": i, "f": "read", "value": v}
        for i, v in enumerate(reads)
    ]
    p.write_text("".join(json.dumps(op) + "\n" for op in ops))
    return str(p)


def test_cli_bank_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Guards --accounts, --total and --allow-negative reaching the checker (each flips
    the verdict of a history that is otherwise valid)."""
    p = _bank_file(tmp_path, [{"0": 10, "1": 10}, {"0": -5, "1": 25}, {"0": 5, "2": 15}])
    base = ["check", p, "-c", "bank", "--json"]
    assert main(base) == 1  # negative balance
    capsys.readouterr()
    assert main([*base, "--allow-negative"]) == 0
    capsys.readouterr()
    assert main([*base, "--allow-negative", "--accounts", "[0, 1, 2]"]) == 0
    capsys.readouterr()
    assert main([*base, "--allow-negative", "--accounts", "[0, 1]"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["anomaly_types"] == ["unexpected-key"]
    assert out["anomalies"]["unexpected-key"][0]["accounts"] == ["2"]
    assert main([*base, "--allow-negative", "--total", "30"]) == 1
    assert json.loads(capsys.readouterr().out)["anomaly_types"] == ["wrong-total"]


@pytest.mark.parametrize("bad", ["{oops", "3", "[]"])
def test_cli_bad_accounts_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    """Guards --accounts validation: not a non-empty JSON list -> exit 2 with an example."""
    p = _bank_file(tmp_path, [{"0": 10}])
    assert main(["check", p, "-c", "bank", "--accounts", bad]) == 2
    assert "--accounts must be" in capsys.readouterr().err


def test_cli_bank_nothing_to_check_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards exits 4 (no reads) and 3 (a read that is not a map), never 0 or a traceback."""
    p = tmp_path / "t.jsonl"
    op = {"index": 0, "time": 0, "type": "ok", "process": 0, "f": "transfer", "value": {}}
    p.write_text(json.dumps(op) + "\n")
    assert main(["check", str(p), "-c", "bank"]) == 4
    bad = _bank_file(tmp_path, [{"0": 10}, [1, 2]])  # type: ignore[list-item]
    assert main(["check", bad, "-c", "bank"]) == 3
    assert "op 1 (bank read)" in capsys.readouterr().err
