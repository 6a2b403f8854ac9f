"""Building histories by hand (planted violations) and by simulation (linearizable ones).

``HistoryBuilder`` writes invoke/complete pairs with dense indices, so a test reads like
the scenario it plants::

    b = HistoryBuilder()
    b.write(0, "x", 1)              # process 0 writes x=1 (invoke + ok)
    b.read(0, "x", None)            # ... and reads the initial state back
    history = b.history()

``linearizable_history`` simulates a sequential key-value store (registers, append lists,
sets, or register transactions): each op invokes, takes
effect at one random moment while it is pending (its linearization point), then completes
-- or, with some probability, ends ``info`` (before or after taking effect) and the client
carries on under a fresh process id.  Ops carry ``extra["version"]``, the per-key sequence
number of the state they wrote or read, as a replicated log would report it.

``PLANTS`` maps each session guarantee to small histories that violate it and nothing
else.  Other tests may use all of this; it imports only the history contract.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from ddialab.history import NEMESIS, History, Op


class HistoryBuilder:
    """Appends ops with dense indices and increasing times."""

    def __init__(self) -> None:
        self.ops: list[Op] = []

    def _add(self, type_: str, process: Any, f: str, value: Any, **kw: Any) -> int:
        node = kw.pop("node", None)
        extra = {k: v for k, v in kw.items() if v is not None}
        i = len(self.ops)
        self.ops.append(Op(i, i * 10, type_, process, f, value, node=node, extra=extra))
        return i

    def invoke(self, process: Any, f: str, value: Any, **extra: Any) -> int:
        return self._add("invoke", process, f, value, **extra)

    def complete(self, process: Any, f: str, value: Any, type_: str = "ok", **extra: Any) -> int:
        return self._add(type_, process, f, value, **extra)

    def op(
        self, process: Any, f: str, value: Any, result: Any = None, type_: str = "ok", **extra: Any
    ) -> int:
        """A whole op (invoke then completion); returns the completion's index."""
        self.invoke(process, f, value, node=extra.get("node"))
        return self.complete(process, f, value if result is None else result, type_, **extra)

    def write(self, p: Any, key: Any, v: Any, type_: str = "ok", **extra: Any) -> int:
        return self.op(p, "write", [key, v], type_=type_, **extra)

    def append(self, p: Any, key: Any, v: Any, type_: str = "ok", **extra: Any) -> int:
        return self.op(p, "append", [key, v], type_=type_, **extra)

    def read(self, p: Any, key: Any, v: Any, **extra: Any) -> int:
        self.invoke(p, "read", [key, None], node=extra.get("node"))
        return self.complete(p, "read", [key, v], **extra)

    def txn(self, p: Any, mops: list[list[Any]], type_: str = "ok", **extra: Any) -> int:
        invoked = [[m[0], m[1], None if m[0] == "r" else m[2]] for m in mops]
        self.invoke(p, "txn", invoked)
        return self.complete(p, "txn", mops if type_ == "ok" else invoked, type_, **extra)

    def nemesis(self, f: str, value: Any = None) -> int:
        self._add("info", NEMESIS, f, value)
        return self._add("info", NEMESIS, f, value)

    def history(self) -> History:
        return History(list(self.ops))


# -- planted violations ----------------------------------------------------------------
def _ryw_register() -> History:
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.read(0, "x", None)
    return b.history()


def _ryw_append() -> History:
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(1, "x", 2)
    b.read(0, "x", [2])
    return b.history()


def _mr_register() -> History:
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.read(1, "x", 1)
    b.read(1, "x", None)
    return b.history()


def _mr_versions() -> History:
    b = HistoryBuilder()
    b.write(0, "x", 1, version=1)
    b.write(1, "x", 2, version=2)
    b.read(2, "x", 2, version=2)
    b.read(2, "x", 1, version=1)
    return b.history()


def _mw_append() -> History:
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.append(0, "x", 2)
    b.read(1, "x", [2])
    return b.history()


def _mw_versions() -> History:
    b = HistoryBuilder()
    b.write(0, "x", 1, version=2)
    b.write(0, "x", 2, version=1)
    b.read(1, "x", 1, version=2)
    return b.history()


def _mw_txn() -> History:
    b = HistoryBuilder()
    b.txn(0, [["w", "x", 1]])
    b.txn(0, [["w", "y", 1]])
    b.txn(1, [["r", "y", 1], ["r", "x", None]])
    return b.history()


def _wfr_append() -> History:
    b = HistoryBuilder()
    b.append(0, "x", 1)
    b.read(1, "x", [1])
    b.append(1, "x", 2)
    b.read(2, "x", [2])
    return b.history()


def _wfr_txn() -> History:
    b = HistoryBuilder()
    b.txn(0, [["w", "q", 1]])
    b.txn(1, [["r", "q", 1]])
    b.txn(1, [["w", "a", 1]])
    b.txn(2, [["r", "a", 1], ["r", "q", None]])
    return b.history()


def _cp_ddia() -> History:
    """DDIA's answer-before-question: the observer sees the answer, then no question."""
    b = HistoryBuilder()
    b.write(0, "question", "how far can you see?")
    b.read(1, "question", "how far can you see?")
    b.write(1, "answer", "about ten seconds")
    b.read(2, "answer", "about ten seconds")
    b.read(2, "question", None)
    return b.history()


def _cp_session_order() -> History:
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    b.read(1, "y", 1)
    b.read(1, "x", None)
    return b.history()


def _ryw_set() -> History:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(1, "add", ["s", 2])
    b.read(0, "s", [2])
    return b.history()


def _mr_set() -> History:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(0, "add", ["s", 2])
    b.read(1, "s", [1, 2])
    b.read(1, "s", [1])
    return b.history()


def _mw_set() -> History:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 2])
    b.op(0, "add", ["s", 1])
    b.read(1, "s", [1])  # a set has no order: only the missing 2 counts
    return b.history()


def _wfr_set() -> History:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.read(1, "s", [1])
    b.op(1, "add", ["s", 2])
    b.read(2, "s", [2])
    return b.history()


def _cp_set() -> History:
    b = HistoryBuilder()
    b.op(0, "add", ["q", 1])
    b.read(1, "q", [1])
    b.op(1, "add", ["a", 2])
    b.read(2, "a", [2])
    b.read(2, "q", [])
    return b.history()


PLANTS: dict[str, dict[str, Callable[[], History]]] = {
    "read-your-writes": {"register": _ryw_register, "append": _ryw_append, "set": _ryw_set},
    "monotonic-reads": {"register": _mr_register, "versions": _mr_versions, "set": _mr_set},
    "monotonic-writes": {
        "append": _mw_append,
        "versions": _mw_versions,
        "txn": _mw_txn,
        "set": _mw_set,
    },
    "writes-follow-reads": {"append": _wfr_append, "txn": _wfr_txn, "set": _wfr_set},
    "consistent-prefix": {
        "ddia": _cp_ddia,
        "session-order": _cp_session_order,
        "set": _cp_set,
    },
}


# -- linearizable simulation -------------------------------------------------------------
class _Store:
    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.lsn: dict[Any, int] = {}

    def apply(self, kind: str, key: Any, v: Any) -> tuple[Any, int]:
        if kind == "r":
            return _copy(self.values.get(key)), self.lsn.get(key, 0)
        self.lsn[key] = self.lsn.get(key, 0) + 1
        if kind == "append":
            self.values.setdefault(key, []).append(v)
        elif kind == "add":
            self.values.setdefault(key, set()).add(v)
        else:
            self.values[key] = v
        return v, self.lsn[key]


def _copy(v: Any) -> Any:
    if isinstance(v, set):
        return sorted(v)
    return list(v) if isinstance(v, list) else v


def linearizable_history(
    seed: int,
    n_ops: int = 200,
    processes: int = 4,
    keys: int = 3,
    mode: str = "register",
    info_rate: float = 0.05,
    versions: bool = True,
) -> History:
    """A history of a linearizable store; ``mode`` is register, append, set or txn."""
    rng = random.Random(seed)
    sim = _Sim(rng, mode, keys, info_rate, versions)
    live = list(range(processes))
    while sim.started < n_ops or sim.pending:
        slot = rng.randrange(len(live))
        live[slot] = sim.step(live[slot], can_start=sim.started < n_ops)
    return sim.b.history()


class _Sim:
    def __init__(self, rng: random.Random, mode: str, keys: int, info: float, ver: bool) -> None:
        self.rng, self.mode, self.keys, self.info, self.ver = rng, mode, keys, info, ver
        self.b = HistoryBuilder()
        self.store = _Store()
        self.pending: dict[Any, dict[str, Any]] = {}
        self.started = 0
        self.next_value = 1
        self.next_process = 1000

    def step(self, p: Any, can_start: bool) -> Any:
        op = self.pending.get(p)
        if op is None:
            if can_start:
                self._start(p)
            return p
        if not op["done"] and self.rng.random() < 0.5:
            self._take_effect(op)
            return p
        return self._finish(p, op)

    def _start(self, p: Any) -> None:
        mops = self._mops()
        self.started += 1
        f, value = self._encode(mops, reads_blank=True)
        self.b.invoke(p, f, value)
        self.pending[p] = {"mops": mops, "done": False, "versions": {}, "read": {}}

    def _mops(self) -> list[list[Any]]:
        n = self.rng.randint(1, 3) if self.mode == "txn" else 1
        out: list[list[Any]] = []
        for _ in range(n):
            key = f"k{self.rng.randrange(self.keys)}"
            if self.rng.random() < 0.5:
                out.append(["r", key, None])
            else:
                kind = {"append": "append", "set": "add"}.get(self.mode, "w")
                out.append([kind, key, self.next_value])
                self.next_value += 1
        return out

    def _encode(self, mops: list[list[Any]], reads_blank: bool = False) -> tuple[str, Any]:
        if self.mode == "txn":
            return "txn", [
                [m[0], m[1], None if reads_blank and m[0] == "r" else m[2]] for m in mops
            ]
        kind, key, v = mops[0]
        f = {"r": "read", "w": "write", "append": "append", "add": "add"}[kind]
        return f, [key, None if reads_blank and kind == "r" else v]

    def _take_effect(self, op: dict[str, Any]) -> None:
        for m in op["mops"]:
            m[2], version = self.store.apply(m[0], m[1], m[2])
            if m[0] == "r" and m[1] not in op["versions"]:
                op["read"][m[1]] = version
            op["versions"][m[1]] = version
        op["done"] = True

    def _finish(self, p: Any, op: dict[str, Any]) -> Any:
        del self.pending[p]
        if self.rng.random() < self.info:
            f, value = self._encode(op["mops"], reads_blank=True)
            self.b.complete(p, f, value, "info")
            self.next_process += 1
            return self.next_process
        if not op["done"]:
            self._take_effect(op)
        f, value = self._encode(op["mops"])
        self.b.complete(p, f, value, "ok", **self._versions(op))
        return p

    def _versions(self, op: dict[str, Any]) -> dict[str, Any]:
        if not self.ver or self.mode in ("append", "set"):
            return {}
        if self.mode != "txn":
            return {"version": next(iter(op["versions"].values()))}
        out = {"version": {str(k): v for k, v in op["versions"].items()}}
        wrote = {m[1] for m in op["mops"] if m[0] != "r"}
        read = {str(k): v for k, v in op["read"].items() if k in wrote}
        return {**out, "read_version": read} if read else out


# -- leader/follower simulation (DDIA ch. 5's replication lag) -------------------------------
def replicated_history(
    seed: int,
    n_ops: int = 200,
    processes: int = 4,
    keys: int = 3,
    followers: int = 3,
    reads: str = "pinned",
    partitioned: bool = False,
) -> History:
    """Writes go to a leader's log; reads go to lagging followers that apply log prefixes.

    ``reads="pinned"``: each process always reads the same follower (read-your-writes
    fails, nothing else can); ``"random"``: any follower (monotonic reads fails too).
    ``partitioned=True`` gives every key its own leader and followers, whose lags are
    independent: DDIA's consistent-prefix violation.  Ops carry ``extra["version"]``.
    """
    rng = random.Random(seed)
    b = HistoryBuilder()
    length: dict[Any, int] = {}  # partition -> log length
    index: dict[Any, list[int]] = {}  # key -> log positions of its writes
    values: dict[Any, list[Any]] = {}  # key -> written values, in log order
    applied: dict[tuple[Any, int], int] = {}  # (partition, follower) -> log prefix applied
    pinned = {p: rng.randrange(followers) for p in range(processes)}
    for _ in range(n_ops):
        p = rng.randrange(processes)
        key = f"k{rng.randrange(keys)}"
        part = key if partitioned else None
        if length and rng.random() < 0.5:
            lagging = (rng.choice(sorted(length, key=str)), rng.randrange(followers))
            n = applied.get(lagging, 0)
            applied[lagging] = n + round(rng.random() * (length[lagging[0]] - n))
        if rng.random() < 0.4:
            index.setdefault(key, []).append(length.get(part, 0))
            length[part] = length.get(part, 0) + 1
            values.setdefault(key, []).append(len(b.ops) + 1)
            b.write(p, key, values[key][-1], version=len(values[key]))
            continue
        f = pinned[p] if reads == "pinned" else rng.randrange(followers)
        n = bisect_left(index.get(key, []), applied.get((part, f), 0))
        b.read(p, key, values[key][n - 1] if n else None, version=n)
    return b.history()
