"""The term-index checker on hand-built histories (see checkers/indexes)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from ddialab.history import History, Op


class H:
    def __init__(self) -> None:
        self.ops: list[Op] = []

    def add(self, process: int, type_: str, f: str, value: Any) -> int:
        self.ops.append(Op(len(self.ops), len(self.ops), type_, process, f, value))
        return len(self.ops) - 1

    def call(self, f: str, value: Any, result: Any = None, outcome: str = "ok") -> int:
        self.add(0, "invoke", f, value)
        done = [value[0], result] if f == "query" and outcome == "ok" else value
        return self.add(0, outcome, f, done)


def check(h: H) -> dict[str, Any]:
    result: dict[str, Any] = get_checker("term-index")(History(h.ops), {})
    return result


def test_a_settled_document_missing_from_its_term_is_reported() -> None:
    """Guards missing-entry: an acknowledged put, then a query of its term without it."""
    h = H()
    h.call("put", [1, "red"])
    h.call("query", ["red", None], [])
    r = check(h)
    assert r["anomaly_types"] == ["missing-entry"]
    w = r["anomalies"]["missing-entry"][0]
    assert (w["doc"], w["term"], w["written_term"], w["write"], w["query"]) == (
        1,
        "red",
        "red",
        1,
        3,
    )
    assert "did not list it" in w["explanation"]


def test_moved_and_deleted_documents_still_listed_are_stale() -> None:
    """Guards stale-entry for both an update (recolour) and a delete."""
    h = H()
    h.call("put", [1, "red"])
    h.call("put", [2, "red"])
    h.call("put", [1, "blue"])
    h.call("delete", [2, None])
    h.call("query", ["red", None], [1, 2])
    r = check(h)
    assert r["anomaly_types"] == ["stale-entry"]
    assert sorted(w["doc"] for w in r["anomalies"]["stale-entry"]) == [1, 2]


def test_racing_and_indeterminate_writes_excuse_a_query_but_failed_ones_do_not() -> None:
    """Guards the settled-write rule: a write that may take effect during the query makes
    the document's term unknown (nothing judged: unknown); a failed write changes nothing."""
    for outcome, valid in (("info", "unknown"), ("fail", False)):
        h = H()
        h.call("put", [1, "red"])
        h.add(1, "invoke", "put", [1, "blue"])
        h.add(1, outcome, "put", [1, "blue"])
        h.call("query", ["red", None], [])
        assert check(h)["valid"] == valid, outcome


def _recolour_in_flight(first: str, second: str) -> H:
    """Document 1 red (settled); a move to blue in flight while two queries run, one after
    the other, the first of ``first``, the second of ``second``; both list document 1."""
    h = H()
    h.call("put", [1, "red"])
    h.add(1, "invoke", "put", [1, "blue"])
    h.call("query", [first, None], [1])
    h.call("query", [second, None], [1])
    h.add(1, "ok", "put", [1, "blue"])
    return h


def test_a_write_seen_by_one_query_and_unseen_by_a_later_one_is_mixed_visibility() -> None:
    """Guards mixed-visibility (atomic visibility across the document's and the terms'
    partitions): a query lists document 1 under blue -- only the in-flight move explains
    that -- and a query that starts after it still lists it under red.  Neither query has a
    settled write to judge, so only this rule can catch it; the same answers in the other
    order (red, then blue) are a move taking effect between them, and valid."""
    r = check(_recolour_in_flight("blue", "red"))
    assert r["anomaly_types"] == ["mixed-visibility"]
    w = r["anomalies"]["mixed-visibility"][0]
    assert (w["doc"], w["written_term"], w["write"]) == (1, "blue", 2)
    assert "saw neither that write nor a later one" in w["explanation"]
    assert check(_recolour_in_flight("red", "blue"))["valid"] == "unknown"


def test_a_document_never_put_under_the_term_is_a_phantom() -> None:
    """Guards phantom-entry (an index listing something nobody wrote)."""
    h = H()
    h.call("put", [1, "red"])
    h.call("query", ["red", None], [1, 7])
    assert check(h)["anomaly_types"] == ["phantom-entry"]


def test_no_settled_document_is_unknown() -> None:
    """Guards fail-closed: queries with nothing to compare are not a pass."""
    h = H()
    h.call("query", ["red", None], [])
    assert check(h)["valid"] == "unknown"


ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 3), st.sampled_from(["red", "blue"])),
        st.tuples(st.just("delete"), st.integers(0, 3), st.none()),
        st.tuples(st.just("query"), st.sampled_from(["red", "blue"]), st.none()),
    ),
    max_size=25,
)


@given(ops, st.integers(0, 3))
def test_a_faithful_index_passes_and_one_lagging_write_is_caught(
    script: list[tuple[str, Any, Any]], lag: int
) -> None:
    """Property: serial ops against an index that applies every write at once are valid;
    an index that forgets the last write is invalid exactly when a later query's answer
    differs from the truth."""
    truth: dict[int, str | None] = {}
    lagging: dict[int, str | None] = {}
    h, differs = H(), False
    for f, a, b in script:
        if f == "query":
            real = sorted(d for d, t in truth.items() if t == a)
            shown = sorted(d for d, t in lagging.items() if t == a)
            differs |= real != shown
            h.call("query", [a, None], shown)
            continue
        h.call(f, [a, b])
        lagging = dict(truth)  # one write behind
        truth[a] = b
    r = check(h)
    assert r["valid"] in ((not differs), "unknown")
    if differs:
        assert r["valid"] is False
