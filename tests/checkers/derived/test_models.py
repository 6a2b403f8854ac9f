"""The data-model checkers on hand-made committed txns."""

from __future__ import annotations

from typing import Any

from checkers.derived import check_documents, check_graph, check_relational
from ddialab.history import History, Op


def _txns(*reads: list[Any]) -> History:
    ops: list[Op] = []
    for mops in reads:
        ops.append(Op(len(ops), len(ops), "invoke", 0, "txn", mops))
        ops.append(Op(len(ops), len(ops), "ok", 0, "txn", mops))
    return History(ops)


def _user(u: int, org: int, name: str) -> dict[str, Any]:
    return {"id": u, "org": {"id": org, "name": name}}


def test_documents_copies_must_agree_within_a_read() -> None:
    good = [["r", "org:0", {"id": 0, "name": "a"}], ["r", "user:0", _user(0, 0, "a")]]
    fresh = [["r", "org:0", None], ["r", "user:0", None]]
    bad = [["r", "org:0", {"id": 0, "name": "b"}], ["r", "user:0", _user(0, 0, "a")],
           ["r", "user:2", None]]  # fmt: skip
    r = check_documents(_txns(good, fresh, bad), {})
    assert r["anomaly_types"] == ["inconsistent-copies"]
    w = r["anomalies"]["inconsistent-copies"][0]
    assert w["op"] == 5 and w["copies"] == {"org:0": "b", "user:0": "a", "user:2": None}


def test_graph_half_written_and_dangling_edges() -> None:
    ok = [["r", "vertex:0", {"id": 0}], ["r", "vertex:1", {"id": 1}],
          ["r", "adj:0", [1]], ["r", "adj:1", [0]]]  # fmt: skip
    half = [["r", "adj:0", [1, 1]], ["r", "adj:1", [0]]]
    dangling = [["r", "vertex:1", None], ["r", "adj:0", [1]]]
    r = check_graph(_txns(ok, half, dangling), {})
    assert r["anomaly_types"] == ["dangling-edge", "half-written-edge"]
    assert r["anomalies"]["half-written-edge"][0]["counts"] == {"adj:0": 2, "adj:1": 1}
    assert r["anomalies"]["dangling-edge"][0]["edge"] == ["0", "1"]


def test_relational_dangling_foreign_key_only_when_the_target_was_read() -> None:
    ok = [["r", "users/0", {"id": 0, "org_id": "0.1"}], ["r", "orgs/0.1", {"id": "0.1"}]]
    unjudged = [["r", "users/0", {"id": 0, "org_id": "0.2"}]]
    bad = [["r", "users/0", {"id": 0, "org_id": "0.1"}], ["r", "orgs/0.1", None]]
    r = check_relational(_txns(ok, unjudged, bad), {})
    assert r["anomaly_types"] == ["dangling-reference"] and r["judged"] == 2
    assert r["anomalies"]["dangling-reference"][0]["org_id"] == "0.1"
