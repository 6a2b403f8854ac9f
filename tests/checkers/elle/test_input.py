"""Fail closed on input: completion-only txns, nothing to check, malformed micro-ops.

The completion-only histories are Elle's own ``checker-test`` cases (test/elle/
list_append_test.clj): every op an ``:ok`` completion of process 0 with no invocation,
written in Elle's shorthand (``ax1ry`` = append 1 to x, read y = nil).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.elle import check
from ddialab.cli import main
from ddialab.errors import HistoryFormatError
from ddialab.history import History, Op

from ._helpers import concurrent, hist, txn


def elle_op(text: str) -> list[Any]:
    """Elle's test shorthand: ``ax1`` appends 1 to x, ``rx12`` reads x = [1 2], ``ry`` reads
    y = nil (``[:r :y nil]``)."""
    mops: list[Any] = []
    for c in text:
        if c in "ar":
            mops.append(["append" if c == "a" else "r"])
        elif c.isalpha():
            mops[-1] += [c] if mops[-1][0] == "append" else [c, None]
        elif mops[-1][0] == "append":
            mops[-1].append(int(c))
        elif mops[-1][2] is None:
            mops[-1][2] = [int(c)]
        else:
            mops[-1][2].append(int(c))
    return mops


def completions(*texts: str) -> History:
    """Completion-only ok txns on process 0, as Elle's ``(h/history [(op ..) ...])``."""
    return History(Op(i, i, "ok", 0, "txn", elle_op(t)) for i, t in enumerate(texts))


ELLE_CASES = [
    # (name, txns, model judged against, anomaly Elle reports)
    ("G0", ("ax1ay1", "ax2ay2", "rx12ry21"), "read-uncommitted", "G0"),
    ("G1c", ("ax1ry1", "ax2ay1", "rx12ry1"), "read-committed", "G1c"),
    ("G-single", ("ax1ay1", "ax2ry", "rx12"), "consistent-view", "G-single"),
    ("G2", ("ax1ry", "ay1rx"), "repeatable-read", "G2-item"),
]


def test_shorthand_matches_elle() -> None:
    """Guards the test's own parser: a wrong shorthand would test other histories."""
    assert elle_op("ax1ry") == [["append", "x", 1], ["r", "y", None]]
    assert elle_op("rx12ry21") == [["r", "x", [1, 2]], ["r", "y", [2, 1]]]


@pytest.mark.parametrize(("name", "texts", "model", "anomaly"), ELLE_CASES)
def test_completion_only_histories_are_analysed(
    name: str, texts: tuple[str, ...], model: str, anomaly: str
) -> None:
    """Guards against dropping completions that have no invocation (they were: txns 0)."""
    r = check(completions(*texts), {"model": "list-append", "consistency_model": model})
    assert r["txns"] == len(texts)
    assert r["valid"] is False
    assert r["anomaly_types"] == [anomaly]


def test_completion_only_txns_take_no_part_in_real_time() -> None:
    """Guards that a completion-only txn is given no invocation time: if it were placed at
    its completion, this serial-looking pair would be a G-single-realtime; Elle knows no
    real-time order here, so only process order (different processes: none) applies."""
    h = History(
        [
            Op(0, 0, "ok", 0, "txn", [["append", "x", 1]]),
            Op(1, 1, "ok", 1, "txn", [["r", "x", None]]),
            Op(2, 2, "ok", 2, "txn", [["r", "x", [1]]]),
        ]
    )
    r = check(h, {"consistency_model": "strict-serializable"})
    assert r["valid"] is True
    assert r["txns"] == 3
    # With invocations before each, the same reads are a real-time anomaly.
    timed = hist(*txn(0, [["append", "x", 1]]), *txn(1, [["r", "x", None]]))
    assert "G-single-realtime" in check(timed, {})["anomaly_types"]


def test_mixed_paired_and_completion_only_ops() -> None:
    """Guards the pairing: a completion-only op among paired ones is neither dropped nor
    mistaken for the completion of another process's invocation."""
    rows = [
        ("invoke", 0, [["append", "x", 1]]),
        ("ok", 1, [["append", "x", 2]]),  # completion-only, process 1
        ("ok", 0, [["append", "x", 1]]),
        *txn(2, [["r", "x", [2, 1]]]),
    ]
    r = check(hist(*rows), {})
    assert r["txns"] == 3
    assert r["valid"] is True


def test_no_transactions_is_unknown_and_empty_history_valid() -> None:
    """Guards 'nothing of the kind it checks' -> unknown (it said valid), and that an
    empty history stays valid as in Knossos and Porcupine."""
    reads = History([Op(0, 0, "invoke", 0, "read", None), Op(1, 1, "ok", 0, "read", 3)])
    r = check(reads, {})
    assert r["valid"] == "unknown"
    assert "no list-append transactions" in r["reason"] and "f: read" in r["reason"]
    assert check(History([]), {})["valid"] is True
    nemesis_only = History([Op(0, 0, "info", "nemesis", "start", None)])
    assert check(nemesis_only, {})["valid"] is True


def test_empty_transaction_graph_is_unknown_but_anomalies_still_count() -> None:
    """Guards Elle's empty-transaction-graph rule: txns with no ww/wr/rw edge between
    them checked nothing, so the verdict is unknown, yet a G1a found stays invalid."""
    lone = hist(*txn(0, [["append", "x", 1]]), *txn(1, [["append", "y", 1]]))
    r = check(lone, {})
    assert r["valid"] == "unknown" and "empty transaction graph" in r["reason"]
    g1a = hist(*txn(0, [["append", "x", 1]], "fail"), *txn(1, [["r", "x", [1]]]))
    r = check(g1a, {})
    assert r["valid"] is False and r["anomaly_types"] == ["G1a"]


def test_vector_keys_are_frozen() -> None:
    """Guards freezing: a list key (valid in Elle) must index like a scalar, not raise."""
    h = hist(
        *concurrent((0, [["append", ["k", 1], 5]]), (1, [["r", ["k", 1], [5]]])),
        *txn(2, [["r", ["k", 1], []]]),
    )
    r = check(h, {"consistency_model": "serializable"})
    assert r["txns"] == 3 and r["valid"] is True
    rw = hist(*concurrent((0, [["w", ["k", [1]], 5]]), (1, [["r", ["k", [1]], 5]])))
    assert check(rw, {"model": "rw-register"})["valid"] is True


BAD_MOPS = [
    # (model, micro-ops, what the message must say)
    ("list-append", [["r"]], "micro-op 0 is ['r']; expected [f, k, v]"),
    ("list-append", [["append", "x"]], "has no value"),
    ("list-append", [["cas", "x", 1]], "unknown f 'cas'; expected one of append, r"),
    ("list-append", [["w", "x", 1]], "unknown f 'w'"),
    ("rw-register", [["append", "x", 1]], "unknown f 'append'"),
    ("list-append", [["append", "x", {"a": 1}]], "expected a scalar value"),
    ("list-append", [["append", "x", [1]]], "expected a scalar value"),
    ("list-append", [["r", "x", 3]], "expected null or a list of scalars"),
    ("list-append", [["r", "x", [[1]]]], "expected null or a list of scalars"),
    ("rw-register", [["r", "x", [1]]], "expected null or a scalar"),
    ("rw-register", [["w", "x", None]], "expected a scalar value"),
    ("list-append", [["append", {"k": 1}, 1]], "expected a scalar or a vector"),
    ("list-append", ["append"], "expected [f, k, v]"),
    ("list-append", {"x": 1}, "expected a list of [f, k, v] micro-ops"),
]


@pytest.mark.parametrize(("model", "mops", "says"), BAD_MOPS)
def test_bad_micro_ops_are_bad_input(model: str, mops: Any, says: str) -> None:
    """Guards fail-closed input: each malformed txn raises HistoryFormatError naming the
    file and op (it used to crash with a traceback, or be skipped and judged valid)."""
    h = History([Op(0, 0, "ok", 0, "txn", [["r", "y", None]]), Op(1, 1, "ok", 3, "txn", mops)])
    h.source = "h.jsonl"
    with pytest.raises(HistoryFormatError) as e:
        check(h, {"model": model})
    assert str(e.value).startswith("h.jsonl: op 1 (")
    assert says in str(e.value)


def test_bad_invocation_is_bad_input_too() -> None:
    """Guards that invocations are validated, not only completions."""
    h = hist(("invoke", 0, [["r"]]), ("ok", 0, [["r", "x", None]]))
    with pytest.raises(HistoryFormatError, match="op 0"):
        check(h, {})


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=3),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
        ),
        min_size=0,
        max_size=4,
    )
)
def test_any_micro_op_is_judged_or_rejected_never_crashes(mop: list[Any]) -> None:
    """Guards the validator's coverage: whatever a micro-op holds, the checker returns a
    verdict or raises HistoryFormatError, never another exception."""
    for model in ("list-append", "rw-register"):
        for f in ("append", "w", "r"):
            h = hist(*txn(0, [["r", "x", None]]), ("ok", 1, [[f, *mop]]))
            try:
                r = check(h, {"model": model})
            except HistoryFormatError:
                continue
            assert r["valid"] in (True, False, "unknown")


# -- the command line ---------------------------------------------------------------


def _edn(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_cli_completion_only_g0_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the whole path from an Elle-style EDN file: exit 1, G0, three txns."""
    p = _edn(
        tmp_path / "g0.edn",
        [
            "{:type :ok, :f :txn, :value [[:append :x 1] [:append :y 1]]}",
            "{:type :ok, :f :txn, :value [[:append :x 2] [:append :y 2]]}",
            "{:type :ok, :f :txn, :value [[:r :x [1 2]] [:r :y [2 1]]]}",
        ],
    )
    assert main(["check", p, "-c", "elle", "--model", "list-append", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["anomaly_types"] == ["G0"] and out["txns"] == 3


def test_cli_no_transactions_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Guards exit 4 (unknown) with the reason, where 'valid' was printed."""
    p = _edn(tmp_path / "r.edn", ["{:process 0, :type :ok, :f :read, :value 3}"])
    assert main(["check", p, "-c", "elle", "--model", "list-append"]) == 4
    assert "no list-append transactions" in capsys.readouterr().out


def test_cli_empty_history_exits_0(tmp_path: Path) -> None:
    """Guards that an empty file stays valid."""
    p = _edn(tmp_path / "e.edn", [])
    assert main(["check", p, "-c", "elle"]) == 0


@pytest.mark.parametrize(
    ("mop", "says"),
    [
        ("[:r]", "micro-op 0 is ['r']"),
        ("[:frob :x 1]", "unknown f 'frob'"),
        ("[:append :x {:a 1}]", "expected a scalar value"),
        ("[:r :x [[1]]]", "expected null or a list of scalars"),
    ],
)
def test_cli_bad_micro_op_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mop: str, says: str
) -> None:
    """Guards exit 3 with file, op and expectation for a malformed micro-op (was a
    traceback or exit 0)."""
    p = _edn(
        tmp_path / "bad.edn",
        ["{:type :ok, :f :txn, :value [[:r :y nil]]}", f"{{:type :ok, :f :txn, :value [{mop}]}}"],
    )
    assert main(["check", p, "-c", "elle", "--model", "list-append"]) == 3
    err = capsys.readouterr().err
    assert f"{p}:2: op 1 (list-append txn): " in err and says in err
    assert "Traceback" not in err


def test_cli_vector_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Guards vector keys end to end (EDN vectors arrive as lists)."""
    p = _edn(
        tmp_path / "v.edn",
        [
            "{:type :ok, :f :txn, :value [[:append [:k 1] 5]]}",
            "{:type :ok, :f :txn, :value [[:r [:k 1] [5]] [:append [:k 1] 6]]}",
            "{:type :ok, :f :txn, :value [[:r [:k 1] [6 5]]]}",
        ],
    )
    assert main(["check", p, "-c", "elle", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["anomaly_types"] == ["incompatible-order"]
