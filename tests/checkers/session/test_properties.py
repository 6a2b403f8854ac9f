"""The session checker never raises on arbitrary well-formed histories."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from checkers.session import GUARANTEES, check
from checkers.session.testing import HistoryBuilder, linearizable_history
from ddialab.errors import HistoryFormatError

keys = st.sampled_from(["x", "y", 0])
values = st.none() | st.integers(0, 4) | st.lists(st.integers(0, 4), max_size=3)
versions = (
    st.none() | st.integers(0, 5) | st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3))
)
mop = st.tuples(st.sampled_from(["r", "w", "append", "add"]), keys, values).map(list)


@st.composite
def histories(draw):
    b = HistoryBuilder()
    open_ops: dict[int, tuple[str, object]] = {}
    for _ in range(draw(st.integers(0, 30))):
        p = draw(st.integers(0, 3))
        if p in open_ops:
            f, value = open_ops.pop(p)
            t = draw(st.sampled_from(["ok", "ok", "fail", "info"]))
            extra = {"version": draw(versions), "vclock": draw(versions)}
            b.complete(p, f, draw(st.just(value) | values), t, **extra)
        elif draw(st.booleans()):
            f = draw(st.sampled_from(["read", "write", "append", "add", "txn", "cas"]))
            value = draw(st.lists(mop, max_size=3)) if f == "txn" else [draw(keys), draw(values)]
            open_ops[p] = (f, value)
            b.invoke(p, f, value)
        else:
            b.nemesis("kill")
    return b.history()


@given(histories())
def test_never_raises_and_result_is_well_formed(h):
    """Guards: arbitrary histories give a well-formed result, or (completions whose value
    lost its [key, v] shape) a HistoryFormatError naming the op -- nothing else."""
    try:
        r = check(h, {})
    except HistoryFormatError as e:
        assert re.search(r"op \d+ \((ok|info|fail|invoke) \w+\)", str(e)), str(e)
        return
    assert r["valid"] in (True, False, "unknown")
    assert set(r["guarantees"]) == set(GUARANTEES)
    assert r["anomaly_types"] == sorted(r["anomalies"])
    for ws in r["anomalies"].values():
        assert all(isinstance(w["explanation"], str) for w in ws)
    json.dumps(r)  # JSON-ready as it is: no default= needed


@given(st.integers(0, 10_000), st.sampled_from(["register", "append", "set", "txn"]))
def test_simulated_linearizable_histories_always_pass(seed, mode):
    r = check(linearizable_history(seed, n_ops=60, processes=3, keys=2, mode=mode), {})
    assert r["valid"] is True


@given(st.integers(0, 10_000), st.data())
def test_a_stale_read_injected_into_a_linearizable_history_is_caught(seed, data):
    h = linearizable_history(seed, n_ops=80, processes=3, keys=2, mode="register")
    written: dict[tuple[object, object], int] = {}  # (process, key) -> version written
    candidates = []
    for op in h:
        if op.type != "ok" or op.f not in ("read", "write"):
            continue
        key, version = op.value[0], op.extra["version"]
        if op.f == "write":
            written[(op.process, key)] = version
        elif written.get((op.process, key), 0) > 0:
            candidates.append(op)
    if not candidates:
        return
    stale = data.draw(st.sampled_from(candidates))
    stale.value = [stale.value[0], None]  # back to the initial state...
    stale.extra["version"] = 0  # ...as the system itself reports
    r = check(h, {})
    assert r["valid"] is False
    assert "read-your-writes" in r["anomaly_types"]
