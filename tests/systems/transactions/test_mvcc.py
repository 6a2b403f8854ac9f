"""MVCC: snapshot isolation against a model of snapshots; SSI's commits are serializable."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import networkx as nx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from systems.transactions import MvccEngine
from systems.transactions._engines import apply_mop

TXNS = st.sampled_from(["a", "b", "c"])
KEYS = st.sampled_from(["x", "y"])
WRITE = {"x": "w", "y": "append"}  # a register and a list


def _run(engine: MvccEngine, txn: str, *mops: list[Any]) -> list[Any]:
    return [engine.op(txn, list(m)).value for m in mops]


def write_skew(ssi: bool) -> list[str]:
    """T1 reads x, writes y; T2 reads y, writes x; both from one snapshot."""
    e = MvccEngine(ssi=ssi)
    e.begin("t1")
    e.begin("t2")
    _run(e, "t1", ["r", "x", None], ["w", "y", 1])
    _run(e, "t2", ["r", "y", None])
    kinds = [e.op("t2", ["w", "x", 1]).kind]
    kinds += [e.commit(t).kind if e.active(t) else "gone" for t in ("t1", "t2")]
    return kinds


def test_snapshot_isolation_allows_write_skew() -> None:
    assert write_skew(ssi=False) == ["ok", "ok", "ok"]


def test_ssi_aborts_one_side_of_write_skew() -> None:
    assert write_skew(ssi=True).count("ok") < 3


def test_ssi_aborts_one_side_of_write_skew_only() -> None:
    assert write_skew(ssi=True) == ["ok", "ok", "abort"]


def test_ssi_catches_the_read_only_anomaly() -> None:
    """Fekete, O'Neil & O'Neil 2004: the pivot p commits before the reader i reads y."""
    e = MvccEngine(ssi=True)
    e.begin("p")
    e.op("p", ["r", "x", None])
    e.begin("o")
    e.op("o", ["w", "x", 1])
    assert e.commit("o").kind == "ok"  # o commits first: p -rw-> o
    e.begin("i")
    assert e.op("i", ["r", "x", None]).value == ["r", "x", 1]  # o -wr-> i
    e.op("p", ["w", "y", 1])
    assert e.commit("p").kind == "ok"  # no in-edge yet: p may commit
    step = e.op("i", ["r", "y", None])  # i -rw-> p closes the cycle: i must go
    assert (step.kind, step.code) == ("abort", "serialization-failure")


def test_first_committer_wins() -> None:
    e = MvccEngine()
    e.begin("t1")
    e.begin("t2")
    assert e.op("t1", ["append", "x", 1]).kind == "ok"
    assert e.op("t2", ["append", "x", 2]).kind == "ok"
    assert e.commit("t2").kind == "ok"
    step = e.commit("t1")
    assert (step.kind, step.code) == ("abort", "write-conflict")
    e.begin("t3")
    assert e.op("t3", ["r", "x", None]).value == ["r", "x", [2]]


def test_reads_come_from_one_snapshot() -> None:
    e = MvccEngine()
    e.begin("reader")
    assert e.op("reader", ["r", "x", None]).value == ["r", "x", None]
    e.begin("writer")
    _run(e, "writer", ["w", "x", 1], ["w", "y", 1])
    assert e.commit("writer").kind == "ok"
    assert e.op("reader", ["r", "y", None]).value == ["r", "y", None]  # no read skew


class SnapshotMachine(RuleBasedStateMachine):
    """Random interleavings of txns on one engine, against a model of snapshots.

    The model keeps the committed txns in commit order; a txn's snapshot is the prefix
    committed when it began.  Reads must equal the model's; a commit must fail with
    ``write-conflict`` exactly when a txn committed since the snapshot wrote a key this
    one wrote.  Under SSI a commit may also fail with ``serialization-failure`` (and a step
    may abort), and the committed txns' dependency graph must stay acyclic.
    """

    ssi = False

    def __init__(self) -> None:
        super().__init__()
        self.engine = MvccEngine(ssi=self.ssi)
        self.committed: list[dict[str, Any]] = []  # {"writes": {k: v}, "reads": {k: ts}}
        self.active: dict[str, dict[str, Any]] = {}
        self.counter = 0
        self.names = 0

    def _value(self, key: str, upto: int) -> tuple[Any, int]:
        for i in range(upto - 1, -1, -1):
            if key in self.committed[i]["writes"]:
                return self.committed[i]["writes"][key], i + 1
        return None, 0

    @rule(txn=TXNS)
    def begin(self, txn: str) -> None:
        if txn in self.active:
            return
        self.names += 1
        name = f"{txn}{self.names}"
        self.engine.begin(name)
        self.active[txn] = {"name": name, "start": len(self.committed), "writes": {}, "reads": {}}

    @precondition(lambda self: self.active)
    @rule(txn=TXNS, key=KEYS, read=st.booleans())
    def step(self, txn: str, key: str, read: bool) -> None:
        t = self.active.get(txn)
        if t is None:
            return
        f = "r" if read else WRITE[key]
        self.counter += 1
        step = self.engine.op(t["name"], [f, key, None if f == "r" else self.counter])
        if step.kind == "abort":
            assert self.ssi and step.code == "serialization-failure"
            del self.active[txn]
            return
        if f != "r":
            base = t["writes"][key] if key in t["writes"] else self._value(key, t["start"])[0]
            t["writes"][key] = apply_mop(base, f, self.counter)
            return
        if key in t["writes"]:
            assert step.value[2] == t["writes"][key]
            return
        value, version = self._value(key, t["start"])
        assert step.value[2] == value
        t["reads"].setdefault(key, version)

    @precondition(lambda self: self.active)
    @rule(txn=TXNS, abort=st.booleans())
    def finish(self, txn: str, abort: bool) -> None:
        t = self.active.pop(txn, None)
        if t is None:
            return
        if abort:
            assert self.engine.abort(t["name"]).kind == "abort"
            return
        later = self.committed[t["start"] :]
        conflict = any(set(c["writes"]) & set(t["writes"]) for c in later)
        step = self.engine.commit(t["name"])
        if conflict:
            assert (step.kind, step.code) == ("abort", "write-conflict")
        elif step.kind == "abort":
            assert self.ssi and step.code == "serialization-failure"
        else:
            assert step.kind == "ok"
            self.committed.append({"writes": t["writes"], "reads": t["reads"]})

    @invariant()
    def committed_history_is_serializable(self) -> None:
        if not self.ssi:
            return
        g = nx.DiGraph()
        writers: dict[str, list[int]] = {}
        for i, c in enumerate(self.committed, start=1):
            g.add_node(i)
            for k in c["writes"]:
                writers.setdefault(k, []).append(i)
        for ws in writers.values():
            g.add_edges_from(pairwise(ws))  # ww
        for i, c in enumerate(self.committed, start=1):
            for k, version in c["reads"].items():
                if version:
                    g.add_edge(version, i)  # wr
                nxt = [w for w in writers.get(k, []) if w > version]
                if nxt and nxt[0] != i:
                    g.add_edge(i, nxt[0])  # rw
        assert nx.is_directed_acyclic_graph(g), nx.find_cycle(g)


class SsiMachine(SnapshotMachine):
    ssi = True


TestSnapshotMachine = SnapshotMachine.TestCase
TestSnapshotMachine.settings = settings(stateful_step_count=30)
TestSsiMachine = SsiMachine.TestCase
TestSsiMachine.settings = settings(stateful_step_count=30)
