"""``ddialab check`` fails closed: each case of issue #16 part C at the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddialab.cli import main


def _write(path: Path, rows: list[tuple[Any, str, str, Any]]) -> Path:
    """Rows (process, type, f, value) as a JSON Lines history."""
    ops = [
        {"index": i, "time": i, "type": t, "process": p, "f": f, "value": v}
        for i, (p, t, f, v) in enumerate(rows)
    ]
    path.write_text("".join(json.dumps(op) + "\n" for op in ops))
    return path


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_negative_time_limit_is_a_usage_error_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: a budget of -1 s was taken as 'ran out' (exit 4); it is a range error."""
    p = _write(tmp_path / "h.jsonl", [(0, "invoke", "read", None), (0, "ok", "read", 1)])
    code, _, err = _check(capsys, str(p), "-c", "counter", "--time-limit", "-1")
    assert code == 2
    assert "--time-limit must be a non-negative number" in err and "-1" in err


def test_empty_history_is_valid_and_says_nothing_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: an empty history stays valid (Knossos, Porcupine) but says so plainly."""
    p = tmp_path / "h.jsonl"
    p.write_text("")
    code, out, _ = _check(capsys, str(p), "-c", "set")
    assert code == 0
    assert "valid (0 ops: nothing to check)" in out


@pytest.mark.parametrize(
    ("checker", "rows"),
    [
        ("set", [(0, "invoke", "add", 1), (0, "ok", "add", 1)]),
        ("counter", [(0, "invoke", "add", 1), (0, "ok", "add", 1)]),
        ("register-simple", [(0, "invoke", "write", [1, 1]), (0, "ok", "write", [1, 1])]),
        ("unique-ids", [(0, "invoke", "read", None), (0, "ok", "read", 1)]),
        ("queue", [(0, "invoke", "enqueue", 1), (0, "ok", "enqueue", 1)]),
        ("kafka", [(0, "invoke", "read", None), (0, "ok", "read", 1)]),
        ("graph", [(0, "invoke", "read", None), (0, "ok", "read", 1)]),
    ],
)
def test_nothing_of_the_kind_is_unknown_with_a_reason(
    checker: str, rows: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: a checker that saw no op it checks must not say valid."""
    p = _write(tmp_path / "h.jsonl", rows)
    code, out, _ = _check(capsys, str(p), "-c", checker, "--json")
    result = json.loads(out)
    assert (code, result["valid"]) == (4, "unknown")
    assert result["reason"]


@pytest.mark.parametrize("checker", ["linearizable", "set", "counter", "session", "kafka"])
def test_completion_without_invocation_is_bad_input_naming_the_line(
    checker: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: an orphan completion was silently dropped; now exit 3 with file:line."""
    rows = [(0, "invoke", "read", None), (0, "ok", "read", [1, 1]), (1, "ok", "write", [1, 2])]
    p = _write(tmp_path / "h.jsonl", rows)
    args = ["--model", "cas-register", "--independent"] if checker == "linearizable" else []
    code, _, err = _check(capsys, str(p), "-c", checker, *args)
    assert code == 3
    assert f"{p}:3: op 2 (ok write): a completion with no invocation" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("checker", "args", "value", "expected"),
    [
        ("linearizable", ["--model", "counter"], {"n": 1}, "a counter read needs a number"),
        ("linearizable", ["--model", "set"], "abc", "a set read returns an array"),
        ("counter", [], [1], "expects an integer"),
        ("set", [], 7, "expects an array of"),
        ("session", [], [1], "expects [key, value]"),
    ],
)
def test_wrong_value_shape_is_bad_input_naming_the_line(
    checker: str,
    args: list[str],
    value: Any,
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards: dict/list values where scalars belong gave tracebacks or exit 1."""
    invoked = [1, None] if checker == "session" else None  # session reads name their key
    rows = [(0, "invoke", "read", invoked), (0, "ok", "read", value)]
    p = _write(tmp_path / "h.jsonl", rows)
    code, _, err = _check(capsys, str(p), "-c", checker, *args)
    assert code == 3, err
    assert f"{p}:2: op 1 (ok read)" in err and expected in err


def test_set_read_with_a_duplicate_is_not_linearizable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: reads were turned into frozensets, so [100, 100, 110] passed; a set never
    returns an element twice (Knossos and Porcupine compare reads exactly)."""
    rows: list[Any] = [(0, "invoke", "add", 100), (0, "ok", "add", 100)]
    rows += [(0, "invoke", "add", 110), (0, "ok", "add", 110)]
    rows += [(1, "invoke", "read", None), (1, "ok", "read", [100, 100, 110])]
    p = _write(tmp_path / "h.jsonl", rows)
    assert _check(capsys, str(p), "-c", "linearizable", "--model", "set")[0] == 1
    rows[-1] = (1, "ok", "read", [110, 100])
    p = _write(tmp_path / "h.jsonl", rows)
    assert _check(capsys, str(p), "-c", "linearizable", "--model", "set")[0] == 0


def test_state_budget_follows_the_time_limit_and_the_reason_names_the_limit() -> None:
    """Guards: the state cap was a fixed 2M whatever --time-limit said; it now scales with
    the limit, and the unknown reason says which limit ended the search."""
    from checkers.linearizable._check import STATES_PER_SECOND, _budget

    assert _budget({"time_limit": 60}).max_states == 60 * STATES_PER_SECOND
    assert _budget({"time_limit": 600}).max_states == 600 * STATES_PER_SECOND
    assert _budget({"time_limit": 60, "max_states": 5}).max_states == 5
    from checkers.linearizable import check
    from ddialab.history import History, Op

    ops = [Op(0, 0, "invoke", 0, "write", 1), Op(1, 1, "invoke", 1, "read", None)]
    ops += [Op(2, 2, "ok", 1, "read", 1), Op(3, 3, "ok", 0, "write", 1)]
    r = check(History(ops), {"model": "register", "max_states": 0})
    assert r["valid"] == "unknown" and "state limit (0 memoized states)" in r["reason"]
