"""The lost-fields checker on hand-built records histories (see checkers/evolution)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from ddialab.history import History, Op

V1 = ["id", "name", "visits"]
V2 = [*V1, "email"]


class H:
    """Builds a history one op at a time: ``call`` appends an invocation and completion."""

    def __init__(self) -> None:
        self.ops: list[Op] = []

    def add(self, process: int, type_: str, f: str, value: Any, **extra: Any) -> int:
        i = len(self.ops)
        error = extra.pop("error", None)
        self.ops.append(Op(i, i, type_, process, f, value, error=error, extra=extra))
        return i

    def call(self, f: str, value: Any, outcome: str = "ok", **extra: Any) -> int:
        self.add(0, "invoke", f, value)
        return self.add(0, outcome, f, value, **extra)

    def history(self) -> History:
        return History(self.ops)


def check(h: H) -> dict[str, Any]:
    result: dict[str, Any] = get_checker("lost-fields")(h.history(), {})
    return result


def _rmw_loss(update_schema: int = 1) -> H:
    h = H()
    h.call("write", [1, {"id": 1, "name": "a", "email": "a@x"}], schema=2, fields=V2)
    h.call("update", [1, {"name": "b"}], schema=update_schema, fields=V1)
    h.call("read", [1, {"id": 1, "name": "b"}], schema=2, fields=V2)
    return h


def test_an_update_by_old_code_that_drops_the_field_is_a_lost_field() -> None:
    """Guards the core rule: an acked field, absent in a later read by a reader that knows
    it, with only updates in between, is reported with the versions involved."""
    r = check(_rmw_loss())
    assert r["valid"] is False and r["anomaly_types"] == ["lost-field"]
    w = r["anomalies"]["lost-field"][0]
    assert (w["key"], w["field"], w["value"]) == (1, "email", "a@x")
    assert (w["write"], w["read"], w["write_schema"], w["read_schema"]) == (1, 5, 2, 2)
    assert w["updates"] == [{"op": 3, "schema": 1}]
    assert w["ops"] == [0, 2, 4]
    assert "email" in w["explanation"] and "schema v1" in w["explanation"]


def test_a_reader_that_does_not_know_the_field_is_not_a_witness() -> None:
    """Guards the schema awareness: a v1 reader never shows email, which is not a loss."""
    h = H()
    h.call("write", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
    h.call("read", [1, {"id": 1}], schema=1, fields=V1)
    assert check(h)["valid"] is True


def test_a_write_without_the_field_removes_it_legitimately() -> None:
    """Guards rule 3: an old client's full write without email is a removal, not a loss."""
    h = H()
    h.call("write", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
    h.call("write", [1, {"id": 1, "name": "old"}], schema=2, fields=V2)
    h.call("read", [1, {"id": 1, "name": "old"}], schema=2, fields=V2)
    assert check(h)["valid"] is True


def test_a_concurrent_or_indeterminate_removal_excuses_the_read() -> None:
    """Guards the real-time window: a removing write that may take effect after the field
    was written (overlapping it, or never completed) explains its absence; a failed one
    does not."""
    for outcome, valid in (("info", True), ("fail", False)):
        h = H()
        h.add(1, "invoke", "write", [1, {"id": 1}])
        h.call("write", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
        h.add(1, outcome, "write", [1, {"id": 1}])
        h.call("read", [1, {"id": 1}], schema=2, fields=V2)
        assert check(h)["valid"] is valid, outcome


def test_undecodable_records_are_reported_with_both_versions() -> None:
    """Guards the second anomaly: a definite undecodable error names reader and writer."""
    h = H()
    h.call("read", [2, None], "fail", error="undecodable", schema=3, writer=2,
           detail="record.tier is required but absent", node="n1")  # fmt: skip
    r = check(h)
    assert r["anomaly_types"] == ["undecodable-record"]
    w = r["anomalies"]["undecodable-record"][0]
    assert (w["reader_schema"], w["writer_schema"], w["key"]) == (3, 2, 2)
    assert "v3 on n1" in w["explanation"] and "v2" in w["explanation"]


def test_nothing_to_check_is_unknown() -> None:
    """Guards fail-closed: writes but no read that reports its fields is not valid."""
    h = H()
    h.call("write", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
    h.call("read", [1, {"id": 1}])  # no schema facts
    r = check(h)
    assert r["valid"] == "unknown" and "no ok read" in r["reason"]


@given(st.lists(st.sampled_from(["update", "read"]), max_size=8), st.booleans())
def test_keeping_code_never_shows_a_loss(steps: list[str], drop_at_end: bool) -> None:
    """Property: in a serial history where every update keeps email (a faithful store),
    no read of email is a loss; dropping it once before a final read always is."""
    h = H()
    h.call("write", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
    for s in steps:
        if s == "update":
            h.call("update", [1, {"visits": 1}], schema=1, fields=V1)
        else:
            h.call("read", [1, {"id": 1, "email": "a@x"}], schema=2, fields=V2)
    final = {"id": 1} if drop_at_end else {"id": 1, "email": "a@x"}
    h.call("read", [1, final], schema=2, fields=V2)
    assert check(h)["valid"] is (not drop_at_end)
