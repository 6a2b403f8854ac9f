"""Declared version-order assumptions (wfr_keys, sequential_keys, linearizable_keys).

Multi-writer registers without system versions: each planted violation below is
``"unknown"`` with no option, and found (with the assumption named as its evidence) once
the assumption that orders its values is declared.  A declared order the history
contradicts is a ``cyclic-versions`` anomaly, as in the Elle checker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.session import GUARANTEES, check
from checkers.session.testing import HistoryBuilder, linearizable_history
from checkers.versions import find_cycle, linearizable_graphs, merge, reaches
from ddialab.cli import main
from ddialab.history import History, write_history

Noise = list[tuple[int, str, int]]  # (process, key, value): a write then a read-back


def _ryw(b: HistoryBuilder) -> None:
    """P0 read x=1 then wrote 2 in one txn, then read 1: wfr orders 1 < 2."""
    b.write(1, "x", 1)
    b.txn(0, [["r", "x", 1], ["w", "x", 2]])
    b.read(0, "x", 1)


def _mr(b: HistoryBuilder) -> None:
    """P2 read 1 then wrote 2 (wfr: 1 < 2); P0 reads 2, then 1."""
    b.write(1, "x", 1)
    b.txn(2, [["r", "x", 1], ["w", "x", 2]])
    b.read(0, "x", 2)
    b.read(0, "x", 1)


def _wfr(b: HistoryBuilder) -> None:
    """P1 read 2 then wrote 1 (wfr: 2 < 1); P0 read 1, then wrote 2."""
    b.txn(1, [["r", "x", 2], ["w", "x", 1]])
    b.read(0, "x", 1)
    b.write(0, "x", 2)


def _mw(b: HistoryBuilder) -> None:
    """P0 wrote 1 then 2, but wfr chains 2 < 3 < 1 (P0 had read 3 before writing 1)."""
    b.txn(0, [["r", "x", 3], ["w", "x", 1]])
    b.write(0, "x", 2)
    b.txn(1, [["r", "x", 2], ["w", "x", 3]])


def _cp(b: HistoryBuilder) -> None:
    """P0 read x=0 then wrote x=1 (process order: 0 < 1), then y=1; P1 reads y=1, x=0."""
    b.write(2, "x", 0)
    b.read(0, "x", 0)
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    b.read(1, "y", 1)
    b.read(1, "x", 0)


#: guarantee -> (plant, the assumption that orders it, the other guarantees it also breaks)
PLANTED: dict[str, tuple[Callable[[HistoryBuilder], None], str, set[str]]] = {
    "read-your-writes": (_ryw, "wfr_keys", set()),
    "monotonic-reads": (_mr, "wfr_keys", set()),
    "writes-follow-reads": (_wfr, "wfr_keys", set()),
    "monotonic-writes": (_mw, "wfr_keys", {"writes-follow-reads"}),
    "consistent-prefix": (_cp, "sequential_keys", set()),
}


def _history(plant: Callable[[HistoryBuilder], None], noise: Noise | None = None) -> History:
    noise = noise or []
    b = HistoryBuilder()
    for p, k, v in noise[: len(noise) // 2]:
        b.write(p, k, v)
        b.read(p, k, v)
    plant(b)
    for p, k, v in noise[len(noise) // 2 :]:
        b.write(p, k, v)
        b.read(p, k, v)
    return b.history()


@pytest.mark.parametrize("guarantee", list(PLANTED))
def test_planted_violation_is_unknown_without_and_found_with_its_assumption(guarantee: str):
    """Guards that the declared order decides the comparisons (and is off by default):
    without it the guarantee is unknown, never a guessed verdict; with it, exactly the
    planted guarantee (plus any it necessarily drags along) fails, on that evidence."""
    plant, option, also = PLANTED[guarantee]
    h = _history(plant)
    before = check(h, {})
    assert before["guarantees"][guarantee] == "unknown"
    assert before["valid"] == "unknown"
    r = check(h, {option: True})
    assert r["valid"] is False
    assert set(r["anomaly_types"]) == {guarantee, *also}
    assert r["guarantees"] == {g: g not in {guarantee, *also} for g in GUARANTEES}
    evidence = option.replace("_", "-")
    assert r["anomalies"][guarantee][0]["evidence"] == evidence
    assert r["evidence"][guarantee][evidence] > 0


_NOISE = st.lists(
    st.tuples(st.integers(10, 13), st.sampled_from(["a", "b", "c"])), max_size=12
).map(lambda xs: [(p, f"{k}{p}", 100 + i) for i, (p, k) in enumerate(xs)])


@settings(max_examples=40, deadline=None)
@given(guarantee=st.sampled_from(list(PLANTED)), noise=_NOISE)
def test_planted_violation_found_amid_unrelated_traffic(guarantee: str, noise: Noise):
    """Property: other sessions' traffic on other keys neither hides a planted violation
    under its assumption nor lets the checker guess it without one.  Guards that the
    derived order is per key and that undecided comparisons stay unknown."""
    plant, option, _ = PLANTED[guarantee]
    h = _history(plant, noise)
    assert check(h, {})["guarantees"][guarantee] == "unknown"
    assert check(h, {option: True})["guarantees"][guarantee] is False


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_linearizable_registers_are_decided_valid_under_linearizable_keys(seed: int):
    """Property: a simulated linearizable register store without versions is unknown with
    no assumption, and valid -- every comparison decided, no cyclic order -- under
    linearizable_keys.  Guards the real-time derivation (info writes have no completion
    time, reads chain through the frontier) and that it is sound on valid histories."""
    h = linearizable_history(seed, n_ops=150, processes=4, keys=2, versions=False)
    assert check(h, {})["valid"] == "unknown"
    r = check(h, {"linearizable_keys": True})
    assert r["valid"] is True, r["anomalies"]
    assert r["undecided"] == {}
    assert "linearizable-keys" in r["evidence"]["read-your-writes"]


def test_contradicted_assumption_is_cyclic_versions_not_trusted():
    """The CP plant run serially: real time orders x's 0 < 1 < 0.  Guards that a cyclic
    derived order is reported (as Elle: cyclic-versions, naming its sources) and left out
    for that key -- consistent prefix is then unknown, not decided on a cyclic order."""
    r = check(_history(_cp), {"linearizable_keys": True})
    assert r["valid"] is False
    assert r["anomaly_types"] == ["cyclic-versions"]
    (w,) = r["anomalies"]["cyclic-versions"]
    assert w["key"] == "x" and w["sources"] == ["initial-state", "linearizable-keys"]
    assert set(w["cycle"]) == {0, 1} and "cyclically" in w["explanation"]
    assert r["guarantees"]["consistent-prefix"] == "unknown"


def test_shared_derivation_agrees_with_the_elle_checker():
    """The same history through both checkers under linearizable_keys: both report the
    cycle on x.  Guards that the session checker uses the shared derivation (not a copy
    that could drift)."""
    from checkers.elle import check as elle_check

    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(1, [["r", "x", 2]])
    b.txn(2, [["w", "x", 2]])
    b.txn(3, [["r", "x", 1]])
    h = b.history()
    opts = {"model": "rw-register", "linearizable_keys": True}
    elle = elle_check(h, opts)["anomalies"]["cyclic-versions"]
    session = check(h, {"linearizable_keys": True})["anomalies"]["cyclic-versions"]
    assert [w["sources"] for w in elle] == [w["sources"] for w in session]
    assert [set(w["cycle"]) for w in elle] == [set(w["cycle"]) for w in session]


def test_reaches_and_merge():
    """Guards the graph queries the session checker relies on: reachability is
    transitive and directed; merge drops a source that would close a cycle."""
    g = {1: {2}, 2: {3}}
    assert reaches(g, 1, 3) and not reaches(g, 3, 1) and not reaches(g, 1, 4)
    merged, cyclic = merge([("a", {"k": g}), ("b", {"k": {3: {1}}})])
    assert merged == {"k": g} and cyclic[0]["sources"] == ["a", "b"]
    assert find_cycle({1: {2}, 2: {1}}) is not None


def test_info_write_has_no_completion_time():
    """Guards that an indeterminate write never precedes anything in real time: the read
    invoked after its info completion is not ordered after it."""
    b = HistoryBuilder()
    b.write(0, "x", 1, type_="info")
    b.read(1, "x", None)
    h = b.history()
    graphs = linearizable_graphs(_vtxns(h))
    assert 1 not in graphs.get("x", {})


def _vtxns(h: History) -> list[Any]:
    from checkers.session._assumed import _view
    from checkers.session._model import parse

    return [_view(t, {"x"}) for t in parse(h).txns]


# -- CLI ------------------------------------------------------------------------------------
_EDN_OPS = [
    # process 0 writes x=1; process 1 writes x=2 after; process 0 then reads x.
    ("invoke", 0, "write", 1),
    ("ok", 0, "write", 1),
    ("invoke", 1, "write", 2),
    ("ok", 1, "write", 2),
    ("invoke", 0, "read", None),
]


def _edn(tmp_path: Path, last_read: int | None, tail: bool = True) -> Path:
    lines = []
    ops = [*_EDN_OPS, ("ok", 0, "read", last_read)] if tail else list(_EDN_OPS[:4])
    for i, (typ, p, f, v) in enumerate(ops):
        val = "nil" if v is None else str(v)
        lines.append(
            f"{{:type :{typ}, :f :{f}, :value [:x {val}], :process {p}, :time {i}, :index {i}}}"
        )
    path = tmp_path / "history.edn"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("last_read", "flags", "code", "valid"),
    [
        (2, [], 4, "unknown"),  # two writers, no versions: unknowable
        (2, ["--linearizable-keys"], 0, True),  # real time orders 1 < 2
        (1, ["--linearizable-keys"], 1, False),  # read 1 after 2 completed: cyclic
        (1, [], 0, True),  # its own write: direct evidence, no assumption needed
    ],
)
def test_cli_jepsen_register_history(tmp_path, capsys, last_read, flags, code, valid):
    """`ddialab check FILE.edn -c session --linearizable-keys`: exit 0/1/4 as the
    assumption decides.  Guards the flag reaching the checker and the exit codes."""
    path = _edn(tmp_path, last_read)
    got = main(["check", str(path), "-c", "session", *flags, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (got, out["valid"]) == (code, valid)
    if valid is False:
        assert out["anomaly_types"] == ["cyclic-versions"]


def test_cli_jsonl_read_your_writes_under_wfr_keys(tmp_path, capsys):
    """The RYW plant as a jsonl file: exit 4 without, 1 with --wfr-keys."""
    path = tmp_path / "h.jsonl"
    write_history(_history(_ryw), path)
    assert main(["check", str(path), "-c", "session"]) == 4
    assert main(["check", str(path), "-c", "session", "--wfr-keys", "--json"]) == 1
    out = capsys.readouterr().out.splitlines()[-1]
    assert json.loads(out)["anomaly_types"] == ["read-your-writes"]
