"""The kafka checker on hand-made histories: one per anomaly, and a clean one."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from checkers.derived import check_kafka
from ddialab.history import History, Op


def _history(events: list[tuple[Any, str, Any, dict[str, Any]]]) -> History:
    """(process, f, ok value, extras) -> invoke/ok pairs in sequence."""
    ops: list[Op] = []
    for process, f, value, extra in events:
        ops.append(Op(len(ops), len(ops), "invoke", process, f, None))
        ops.append(Op(len(ops), len(ops), "ok", process, f, value, extra=extra))
    return History(ops)


def _send(p: Any, k: int, o: int, v: Any) -> tuple[Any, str, Any, dict[str, Any]]:
    return (p, "send", [k, [o, v]], {})


def _poll(p: Any, recs: list[Any], **extra: Any) -> tuple[Any, str, Any, dict[str, Any]]:
    return (p, "poll", recs, extra)


def test_clean_history_is_valid() -> None:
    h = _history([
        _send(0, 0, 0, "a"), _send(0, 0, 1, "b"),
        _poll(1, [[0, [[0, "a"]]]], assigned=[0]), _poll(1, [[0, [[1, "b"]]]]),
    ])  # fmt: skip
    r = check_kafka(h, {})
    assert r["valid"] is True and r["stats"] == {"acked_sends": 2, "unseen": 0, "expired": 0}


def test_lost_write_and_inconsistent_offsets() -> None:
    h = _history([
        _send(0, 0, 0, "a"), _send(0, 0, 1, "b"),
        _poll(1, [[0, [[0, "a"], [1, "c"], [2, "d"]]]], final=True),
    ])  # fmt: skip
    r = check_kafka(h, {})
    assert r["anomaly_types"] == ["inconsistent-offsets", "lost-write"]
    lost = r["anomalies"]["lost-write"][0]
    assert (lost["offset"], lost["value"], lost["send"]) == (1, "b", 3)
    assert lost["read_beyond"] == {"offset": 2, "op": 5}
    assert r["anomalies"]["inconsistent-offsets"][0]["values"] == ["b", "c"]


def test_duplicate_and_nonmonotonic_send() -> None:
    h = _history([_send(0, 0, 3, "a"), _send(0, 0, 2, "b"), _poll(1, [[0, [[5, "a"]]]])])
    r = check_kafka(h, {})
    assert "duplicate" in r["anomaly_types"] and "nonmonotonic-send" in r["anomaly_types"]
    assert r["anomalies"]["duplicate"][0]["offsets"] == [3, 5]


def test_poll_skip_and_nonmonotonic_poll_reset_by_assignment() -> None:
    h = _history([
        _send(0, 0, 1, "b"),
        _poll(1, [[0, [[0, "a"]]]], assigned=[0]),
        _poll(1, [[0, [[2, "c"]]]]),                  # skips offset 1, which exists
        _poll(1, [[0, [[2, "c"]]]]),                  # backwards: 2 again
        _poll(1, [[0, [[0, "a"]]]], assigned=[0]),    # reassigned: a restart is fine
    ])  # fmt: skip
    r = check_kafka(h, {})
    kinds = ["lost-delivery", "lost-write", "nonmonotonic-poll", "poll-skip"]
    assert r["anomaly_types"] == kinds
    assert r["anomalies"]["poll-skip"][0]["skipped"] == [1]
    assert len(r["anomalies"]["nonmonotonic-poll"]) == 1


def test_lost_delivery_counts_only_the_group_not_final_reads() -> None:
    h = _history([
        _poll(1, [[0, [[0, "a"], [1, "b"], [2, "c"]]]], final=True),
        _poll(2, [[0, [[0, "a"]]]], assigned=[0]),
        _poll(3, [[0, [[2, "c"]]]], assigned=[0]),
    ])  # fmt: skip
    r = check_kafka(h, {})
    assert r["anomaly_types"] == ["lost-delivery"]
    w = r["anomalies"]["lost-delivery"][0]
    assert (w["offset"], w["delivered_beyond"]) == (1, {"offset": 2, "op": 5})


def test_records_below_a_reported_log_start_are_expired_not_lost() -> None:
    h = _history([
        _send(0, 0, 0, "a"), _send(0, 0, 1, "b"),
        _poll(1, [[0, [[2, "c"]]]], assigned=[0], log_starts=[[0, 2]]),
    ])  # fmt: skip
    r = check_kafka(h, {})
    assert r["valid"] is True
    assert r["stats"] == {"acked_sends": 2, "unseen": 0, "expired": 2}


@given(st.lists(st.tuples(st.sampled_from(["send", "poll"]), st.integers(0, 2)), max_size=40))
def test_histories_of_a_correct_log_are_valid(steps: list[tuple[str, int]]) -> None:
    """Sends append to an in-memory log; consumers read contiguously from 0; and a final
    read of everything.  Whatever the interleaving, the checker finds nothing."""
    logs: dict[int, list[Any]] = {0: [], 1: [], 2: []}
    positions: dict[int, dict[int, int]] = {c: {} for c in range(3)}
    events: list[tuple[Any, str, Any, dict[str, Any]]] = []
    for n, (f, k) in enumerate(steps):
        if f == "send":
            logs[k].append(n)
            events.append(_send(k, k, len(logs[k]) - 1, n))
        else:
            consumer, pos = k, positions[k]
            recs = [[p, [[o, logs[p][o]] for o in range(pos.get(p, 0), len(logs[p]))]]
                    for p in logs]  # fmt: skip
            fresh = [p for p in logs if p not in pos]
            for p in logs:
                pos[p] = len(logs[p])
            events.append(_poll(10 + consumer, [r for r in recs if r[1]], assigned=fresh))
    final = [[p, [[o, v] for o, v in enumerate(logs[p])]] for p in logs if logs[p]]
    events.append(_poll(99, final, final=True))
    r = check_kafka(_history(events), {})
    assert r["valid"] is True, r["anomalies"]
    assert r["stats"]["unseen"] == 0


def test_option_anomalies_judges_only_the_named_types() -> None:
    h = _history([_send(0, 0, 1, "b"), _poll(1, [[0, [[0, "a"]]]]), _poll(1, [[0, [[2, "c"]]]])])
    assert "poll-skip" in check_kafka(h, {})["anomaly_types"]
    r = check_kafka(h, {"anomalies": ["lost-write", "inconsistent-offsets"]})
    assert r["anomaly_types"] == ["lost-write"]
