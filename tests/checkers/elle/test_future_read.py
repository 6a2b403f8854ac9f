"""Elle's future-read: a txn reads an element it appends only later in the same txn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.elle import ANOMALIES, check, prohibited_anomalies
from checkers.elle._tables import boundary
from ddialab.cli import main

from ._helpers import hist, txn


def test_elle_future_read_test() -> None:
    """Elle's future-read-test (list_append_test.clj): [[:r :x [1]] [:append :x 1]].
    Guards the detection itself; before, this history was judged valid."""
    r = check(hist(*txn(0, [["r", "x", [1]], ["append", "x", 1]])), {})
    assert r["valid"] is False
    assert r["anomaly_types"] == ["future-read"]
    (w,) = r["anomalies"]["future-read"]
    assert (w["op"], w["mop"], w["key"], w["read"], w["element"]) == (1, 0, "x", [1], 1)
    assert w["explanation"] == (
        "op 1 read key x = [1] including 1, which the same txn appends only later (micro-op 1)"
    )
    assert r["not"] == ["read-committed"]


def test_internal_form_of_future_read() -> None:
    """Guards the internal form: a read after the txn's own append that already holds a
    later append of the same txn (Elle: 'an internal read which observes internal writes
    from later in the transaction'); it is also an internal anomaly."""
    mops = [["append", "x", 1], ["r", "x", [1, 2]], ["append", "x", 2]]
    r = check(hist(*txn(0, [["append", "x", 0]]), *txn(1, mops)), {})
    assert "future-read" in r["anomaly_types"] and "internal" in r["anomaly_types"]
    assert r["anomalies"]["future-read"][0]["mop"] == 1


def test_reading_then_appending_something_else_is_fine() -> None:
    """Guards against false positives on the usual read-then-append txn."""
    rows = [*txn(0, [["append", "x", 1]]), *txn(1, [["r", "x", [1]], ["append", "x", 2]])]
    rows += txn(2, [["r", "x", [1, 2]]])
    r = check(hist(*rows), {})
    assert r["valid"] is True


def test_tables_define_and_forbid_future_read() -> None:
    """Guards the table entry: described with its source, implies G1c as in Elle, and
    forbidden by read-atomic (Cerone et al.'s EXT) but not by read-uncommitted."""
    spec = ANOMALIES["future-read"]
    assert spec["implies"] == ["G1c"] and "Cerone" in spec["description"]
    assert "future-read" in prohibited_anomalies("read-atomic")
    assert "future-read" in prohibited_anomalies("read-committed")
    assert "future-read" not in prohibited_anomalies("read-uncommitted")
    assert "read-atomic" in boundary(["future-read"])[1]


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("append"), st.integers(0, 5)),
            st.tuples(st.just("r"), st.lists(st.integers(0, 5), max_size=4, unique=True)),
        ),
        max_size=6,
    )
)
def test_future_read_iff_an_appended_element_was_read_before(steps: list[Any]) -> None:
    """Property against a direct oracle; guards both misses and false alarms."""
    mops, seen_reads, appended, want = [], [], set(), False
    for f, v in steps:
        if f == "append":
            if v in appended:
                continue  # appends are unique per key
            appended.add(v)
            want = want or any(v in read for read in seen_reads)
        else:
            seen_reads.append(v)
        mops.append([f, "x", v])
    if not mops:
        return
    r = check(hist(*txn(0, mops)), {"consistency_model": "read-uncommitted"})
    assert ("future-read" in r["anomaly_types"]) is want


def test_cli_future_read_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Guards the CLI path: exit 1, anomaly named."""
    p = tmp_path / "fr.edn"
    p.write_text(
        "{:process 0, :type :invoke, :f :txn, :value [[:r :x nil] [:append :x 1]]}\n"
        "{:process 0, :type :ok, :f :txn, :value [[:r :x [1]] [:append :x 1]]}\n"
    )
    assert main(["check", str(p), "-c", "elle", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["anomaly_types"] == ["future-read"]
