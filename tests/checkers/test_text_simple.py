"""The ``text`` and ``register-simple`` checkers' witnesses, held to the witness schema.

Both checkers are wrapped by this directory's conftest (every result checked against the
vocabulary: ``explanation`` and ``ops`` present, ops inside the history), so these tests
guard that each anomaly type they report carries a conforming witness, and pin which ops
each witness names: the ops that prove it, not merely some indices.
"""

from __future__ import annotations

from typing import Any

from checkers.session.testing import HistoryBuilder
from checkers.simple import check_register
from checkers.text import check_text
from ddialab.vocabulary import witness_problems


def _edit(b: HistoryBuilder, p: int, f: str, tok: str, after: Any = None) -> int:
    return b.op(p, f, ["d", tok], after=after)


def _final(b: HistoryBuilder, node: str, text: list[str]) -> int:
    b.invoke(9, "final-read", ["d", None], node=node)
    return b.complete(9, "final-read", ["d", text], node=node)


def test_text_divergence_names_every_replicas_final_read() -> None:
    """Guards divergence's ops: the final reads that disagree (one per replica)."""
    b = HistoryBuilder()
    _edit(b, 0, "insert", "x")
    r1, r2 = _final(b, "n1", ["x"]), _final(b, "n2", [])
    (w,) = check_text(b.history())["anomalies"]["divergence"]
    assert w["ops"] == [r1, r2] and w["texts"] == {"n1": ["x"], "n2": []}
    assert f"op {r2}" in w["explanation"]


def test_text_lost_insert_resurrected_and_intent_order_name_their_ops() -> None:
    """Guards the three per-token anomalies: each names the edit (insert or delete) and
    the final read that contradicts it, and keeps the keys reports read (token, after)."""
    b = HistoryBuilder()
    lost = _edit(b, 0, "insert", "lost")
    a = _edit(b, 0, "insert", "a")
    c = _edit(b, 1, "insert", "c", after="a")
    _edit(b, 1, "insert", "z")
    gone = _edit(b, 1, "delete", "z")
    read = _final(b, "n1", ["c", "a", "z"])
    r = check_text(b.history())
    assert r["anomaly_types"] == ["intent-order", "lost-insert", "resurrected"]
    assert r["anomalies"]["lost-insert"][0]["ops"] == [lost, read]
    assert r["anomalies"]["resurrected"][0]["ops"] == [gone, read]
    (order,) = r["anomalies"]["intent-order"]
    assert order["ops"] == [c, read] and (order["token"], order["after"]) == ("c", "a")
    assert a not in order["ops"]
    assert all(not witness_problems(w) for ws in r["anomalies"].values() for w in ws)


def test_text_agreeing_replicas_are_valid() -> None:
    """Guards against the witness rewrite reporting where there is nothing wrong."""
    b = HistoryBuilder()
    _edit(b, 0, "insert", "x")
    _final(b, "n1", ["x"])
    _final(b, "n2", ["x"])
    assert check_text(b.history())["valid"] is True


def test_register_simple_garbage_read_names_the_read() -> None:
    """Guards register-simple's witness: ``ops`` is the read of a value never written."""
    b = HistoryBuilder()
    b.write(0, "k", 1)
    bad = b.read(1, "k", 2)
    (w,) = check_register(b.history(), {})["anomalies"]["garbage-read"]
    assert w["ops"] == [bad] == [w["op"]]
    assert not witness_problems(w)
