"""The derived-view checker on hand-made histories."""

from __future__ import annotations

from typing import Any

from checkers.derived import check_view
from ddialab.history import History, Op


def _history(ops: list[tuple[Any, int, int, str, Any, dict[str, Any]]]) -> History:
    """(process, invoke time, complete time, f, ok value, extras) -> a sorted history."""
    events: list[tuple[int, int, Any, str, str, Any, dict[str, Any]]] = []
    for p, t0, t1, f, value, extra in ops:
        events.append((t0, 0, p, "invoke", f, value, {}))
        events.append((t1, 1, p, "ok", f, value, extra))
    events.sort(key=lambda e: (e[0], e[1]))
    return History(
        Op(i, t, kind, p, f, v, extra=x) for i, (t, _, p, kind, f, v, x) in enumerate(events)
    )


def _final(source: list[Any], cache: list[Any], index: list[Any], versions: list[Any]) -> Any:
    view = {"cache": cache, "index": index, "versions": versions}
    return (9, 1000, 1001, "read-all", {"source": source, "view": view}, {})


def test_converged_view_is_valid_and_lag_is_measured() -> None:
    h = _history([
        (0, 0, 10, "write", [1, "a"], {}),
        (0, 20, 30, "write", [1, "b"], {}),
        (1, 50, 51, "read-view", [1, "a"], {}),   # stale since b completed at 30
        (1, 60, 61, "read-view", [1, "b"], {}),
        _final([[1, "b", 2]], [[1, "b"]], [["b", [1]]], [[1, 2]]),
    ])  # fmt: skip
    r = check_view(h, {})
    assert r["valid"] is True
    assert r["lag"]["series"] == [[50, 20], [60, 0]]
    assert r["lag"]["max_ns"] == 20 and r["lag"]["stale_reads"] == 1


def test_racing_writes_are_the_witness_of_divergence() -> None:
    a_steps = {"source": 2, "view": 9}
    b_steps = {"source": 4, "view": 6}
    h = _history([
        (0, 0, 10, "write", [1, "a"], {"steps": a_steps}),
        (1, 1, 8, "write", [1, "b"], {"steps": b_steps}),
        _final([[1, "b", 2]], [[1, "a"]], [["a", [1]]], [[1, 2]]),
    ])  # fmt: skip
    r = check_view(h, {})
    assert r["anomaly_types"] == ["divergence", "index-mismatch"]
    w = r["anomalies"]["divergence"][0]
    assert (w["source_value"], w["view_value"], w["racing"]) == ("b", "a", True)
    assert w["source_write"]["steps"] == b_steps and w["view_write"]["op"] == 0
    idx = r["anomalies"]["index-mismatch"]
    assert {(m["value"], tuple(m["index_keys"])) for m in idx} == {("a", (1,)), ("b", ())}


def test_aggregate_mismatch_and_missing_final_read() -> None:
    h = _history([
        (0, 0, 10, "write", [1, "a"], {}),
        _final([[1, "a", 1]], [[1, "a"]], [["a", [1]]], [[1, 2]]),
    ])  # fmt: skip
    r = check_view(h, {})
    assert r["anomaly_types"] == ["aggregate-mismatch"]
    assert r["anomalies"]["aggregate-mismatch"][0]["view_writes"] == 2
    assert check_view(_history([(0, 0, 1, "write", [1, "a"], {})]), {})["valid"] == "unknown"
