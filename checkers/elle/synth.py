"""Synthetic histories: a large clean (strict-serializable) history with planted anomalies.

Theory of operation
-------------------
``clean_ops`` simulates ``processes`` clients running list-append or rw-register txns
against one serial store.  Each txn takes effect atomically at its completion, which lies
inside its invoke/complete interval, so the history is strict-serializable by
construction.  As in Jepsen's append workload, a key is retired after ``max_writes``
writes and a fresh key takes its place; a small share of txns fail (no effect) or end
``info`` (effect applied or not, at random; the process is then replaced).

A *plant* is a small group of txns on fresh keys and fresh processes that exhibits one
anomaly.  Its events are spliced into the clean event stream contiguously, with a
schedule that creates exactly the order edges the anomaly needs: ``concurrent`` plants
invoke every txn before completing any (no real-time edges among them); ``-process`` and
``-realtime`` plants run one pair (A then B) back to back — on one process or two —
while the others stay in flight around them.  Fresh keys mean no data edges to the clean
txns, and real-time edges alone can never close a cycle, so the checker must report
exactly each plant's ``expected`` anomaly types.  Some anomalies cannot occur alone: a
G1b reader also misses its writer's final append (a G-single), a lost update is also a
G-single (or G2-item) cycle, a dirty update is read by someone (G1a).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ddialab.history import History, Op

Mop = list[Any]
# A plant txn: (slot, final type, completed micro-ops); slot names its process.
PlantTxn = tuple[str, str, list[Mop]]


@dataclass(frozen=True)
class Plant:
    expected: frozenset[str]
    txns: Callable[[Callable[[str], Any]], list[PlantTxn]]
    #: "concurrent", or "process"/"realtime": the first two txns run A then B.
    schedule: str = "concurrent"


def _a(k: Any, v: Any) -> Mop:
    return ["append", k, v]


def _r(k: Any, v: Any) -> Mop:
    return ["r", k, v]


def _w(k: Any, v: Any) -> Mop:
    return ["w", k, v]


def _cycle_plants(variant: str) -> dict[str, Plant]:
    """The five cycle shapes; in a variant, the first two txns (A, B) are ordered."""
    s = variant or "concurrent"
    suffix = f"-{variant}" if variant else ""

    def p(name: str, txns: Callable[[Callable[[str], Any]], list[PlantTxn]]) -> Plant:
        return Plant(frozenset([name + suffix]), txns, s)

    if not variant:
        return {
            "G0": p(
                "G0",
                lambda k: [
                    ("1", "ok", [_a(k("x"), 1), _a(k("y"), 1)]),
                    ("2", "ok", [_a(k("x"), 2), _a(k("y"), 2)]),
                    ("3", "ok", [_r(k("x"), [1, 2]), _r(k("y"), [2, 1])]),
                ],
            ),
            "G1c": p(
                "G1c",
                lambda k: [
                    ("1", "ok", [_a(k("x"), 1), _r(k("y"), [1])]),
                    ("2", "ok", [_a(k("y"), 1), _r(k("x"), [1])]),
                ],
            ),
            "G-single": p(
                "G-single",
                lambda k: [
                    ("1", "ok", [_a(k("x"), 1), _a(k("y"), 1)]),
                    ("2", "ok", [_r(k("x"), [1]), _r(k("y"), [])]),
                ],
            ),
            "G-nonadjacent": p("G-nonadjacent", _nonadjacent),
            "G2-item": p(
                "G2-item",
                lambda k: [
                    ("1", "ok", [_r(k("x"), []), _a(k("y"), 1)]),
                    ("2", "ok", [_r(k("y"), []), _a(k("x"), 1)]),
                ],
            ),
        }
    b = "A" if variant == "process" else "B"  # the process slot of txn B
    return {
        "G0" + suffix: p(
            "G0",
            lambda k: [
                ("A", "ok", [_a(k("x"), 1)]),
                (b, "ok", [_a(k("x"), 2)]),
                ("R", "ok", [_r(k("x"), [2, 1])]),
            ],
        ),
        "G1c" + suffix: p(
            "G1c", lambda k: [("A", "ok", [_r(k("x"), [1])]), (b, "ok", [_a(k("x"), 1)])]
        ),
        "G-single" + suffix: p(
            "G-single", lambda k: [("A", "ok", [_a(k("x"), 1)]), (b, "ok", [_r(k("x"), [])])]
        ),
        "G-nonadjacent" + suffix: p(
            "G-nonadjacent",
            lambda k: [
                ("A", "ok", [_a(k("c"), 1)]),
                (b, "ok", [_r(k("a"), [])]),
                ("2", "ok", [_a(k("a"), 1), _a(k("b"), 1)]),
                ("3", "ok", [_r(k("b"), [1]), _r(k("c"), [])]),
            ],
        ),
        "G2-item" + suffix: p(
            "G2-item",
            lambda k: [
                ("A", "ok", [_a(k("y"), 1)]),
                (b, "ok", [_r(k("x"), [])]),
                ("X", "ok", [_a(k("x"), 1), _r(k("y"), [])]),
            ],
        ),
    }


def _nonadjacent(k: Callable[[str], Any]) -> list[PlantTxn]:
    return [
        ("1", "ok", [_r(k("a"), []), _r(k("d"), [1])]),
        ("2", "ok", [_a(k("a"), 1), _a(k("b"), 1)]),
        ("3", "ok", [_r(k("b"), [1]), _r(k("c"), [])]),
        ("4", "ok", [_a(k("c"), 1), _a(k("d"), 1)]),
    ]


def _c(expected: Sequence[str], txns: Callable[[Callable[[str], Any]], list[PlantTxn]]) -> Plant:
    return Plant(frozenset(expected), txns)


APPEND_PLANTS: dict[str, Plant] = {
    **_cycle_plants(""),
    **_cycle_plants("process"),
    **_cycle_plants("realtime"),
    "G1a": _c(["G1a"], lambda k: [("F", "fail", [_a(k("x"), 1)]), ("R", "ok", [_r(k("x"), [1])])]),
    "G1b": _c(
        ["G1b", "G-single"],
        lambda k: [("W", "ok", [_a(k("x"), 1), _a(k("x"), 2)]), ("R", "ok", [_r(k("x"), [1])])],
    ),
    "internal": _c(["internal"], lambda k: [("T", "ok", [_a(k("x"), 1), _r(k("x"), [])])]),
    "dirty-update": _c(
        ["dirty-update", "G1a"],
        lambda k: [
            ("F", "fail", [_a(k("x"), 1)]),
            ("W", "ok", [_a(k("x"), 2)]),
            ("R", "ok", [_r(k("x"), [1, 2])]),
        ],
    ),
    "duplicate-elements": _c(
        ["duplicate-elements"],
        lambda k: [("W", "ok", [_a(k("x"), 1)]), ("R", "ok", [_r(k("x"), [1, 1])])],
    ),
    "incompatible-order": _c(
        ["incompatible-order"],
        lambda k: [
            ("1", "ok", [_a(k("x"), 1)]),
            ("2", "ok", [_a(k("x"), 2)]),
            ("3", "ok", [_r(k("x"), [1, 2])]),
            ("4", "ok", [_r(k("x"), [2, 1])]),
        ],
    ),
    "lost-update": _c(
        ["lost-update", "G-single"],
        lambda k: [
            ("1", "ok", [_r(k("x"), []), _a(k("x"), 1)]),
            ("2", "ok", [_r(k("x"), []), _a(k("x"), 2)]),
            ("R", "ok", [_r(k("x"), [1, 2])]),
        ],
    ),
    "garbage-read": _c(["garbage-read"], lambda k: [("R", "ok", [_r(k("x"), [99])])]),
}

REGISTER_PLANTS: dict[str, Plant] = {
    "cyclic-versions": _c(  # needs wfr_keys; each txn also reads the other's write: G1c
        ["cyclic-versions", "G1c"],
        lambda k: [
            ("1", "ok", [_r(k("x"), 1), _w(k("x"), 2)]),
            ("2", "ok", [_r(k("x"), 2), _w(k("x"), 1)]),
        ],
    ),
    "G-single": _c(
        ["G-single"],
        lambda k: [
            ("1", "ok", [_w(k("x"), 1), _w(k("y"), 1)]),
            ("2", "ok", [_r(k("x"), 1), _r(k("y"), None)]),
        ],
    ),
    "G2-item": _c(
        ["G2-item"],
        lambda k: [
            ("1", "ok", [_r(k("x"), None), _w(k("y"), 1)]),
            ("2", "ok", [_r(k("y"), None), _w(k("x"), 1)]),
        ],
    ),
    "G1c": _c(
        ["G1c"],
        lambda k: [
            ("1", "ok", [_w(k("x"), 1), _r(k("y"), 1)]),
            ("2", "ok", [_w(k("y"), 1), _r(k("x"), 1)]),
        ],
    ),
    "G1a": _c(["G1a"], lambda k: [("F", "fail", [_w(k("x"), 1)]), ("R", "ok", [_r(k("x"), 1)])]),
    "G1b": _c(
        ["G1b"],
        lambda k: [("W", "ok", [_w(k("x"), 1), _w(k("x"), 2)]), ("R", "ok", [_r(k("x"), 1)])],
    ),
    "internal": _c(["internal"], lambda k: [("T", "ok", [_w(k("x"), 1), _r(k("x"), 2)])]),
    "lost-update": _c(
        ["lost-update", "G2-item"],
        lambda k: [
            ("1", "ok", [_r(k("x"), None), _w(k("x"), 1)]),
            ("2", "ok", [_r(k("x"), None), _w(k("x"), 2)]),
        ],
    ),
    "G-single-realtime": Plant(
        frozenset(["G-single-realtime"]),
        lambda k: [("A", "ok", [_w(k("x"), 1)]), ("B", "ok", [_r(k("x"), None)])],
        "realtime",
    ),
}

PLANTS = {"list-append": APPEND_PLANTS, "rw-register": REGISTER_PLANTS}

# Events before indexing: (type, process, micro-ops).
Event = tuple[str, Any, list[Mop]]


class _Store:
    def __init__(self, model: str, rng: random.Random, n_keys: int, max_writes: int) -> None:
        self.model, self.rng, self.max_writes = model, rng, max_writes
        self.active = list(range(n_keys))
        self.next_key = n_keys
        self.written: dict[int, int] = {}
        self.state: dict[int, Any] = {}

    def txn(self) -> list[Mop]:
        out: list[Mop] = []
        for _ in range(self.rng.randint(1, 4)):
            k = self.rng.choice(self.active)
            if self.rng.random() < 0.5:
                out.append(["r", k, None])
                continue
            n = self.written[k] = self.written.get(k, 0) + 1
            out.append(["append" if self.model == "list-append" else "w", k, n])
            if n >= self.max_writes:
                self.active[self.active.index(k)] = self.next_key
                self.next_key += 1
        return out

    def apply(self, mops: list[Mop]) -> list[Mop]:
        out = []
        for f, k, v in mops:
            if f == "r":
                cur = self.state.get(k)
                if self.model == "list-append":
                    cur = list(cur or ())
                out.append([f, k, cur])
            elif f == "append":
                self.state.setdefault(k, []).append(v)
                out.append([f, k, v])
            else:
                self.state[k] = v
                out.append([f, k, v])
        return out


def clean_events(
    n_txns: int,
    seed: int,
    model: str = "list-append",
    processes: int = 20,
    n_keys: int = 10,
    max_writes: int = 32,
    p_fail: float = 0.01,
    p_info: float = 0.01,
) -> list[Event]:
    """A strict-serializable history's events (see the module docstring)."""
    rng = random.Random(seed)
    store = _Store(model, rng, n_keys, max_writes)
    idle = list(range(processes))
    next_process = processes
    flight: dict[Any, list[Mop]] = {}
    events: list[Event] = []
    started = 0
    while started < n_txns or flight:
        if idle and started < n_txns and (not flight or rng.random() < 0.5):
            p = idle.pop(rng.randrange(len(idle)))
            flight[p] = store.txn()
            events.append(("invoke", p, flight[p]))
            started += 1
            continue
        p = rng.choice(list(flight))
        mops = flight.pop(p)
        x = rng.random()
        if x < p_fail:
            events.append(("fail", p, mops))
            idle.append(p)
        elif x < p_fail + p_info:
            if rng.random() < 0.5:
                store.apply(mops)
            events.append(("info", p, mops))
            idle.append(next_process)
            next_process += 1
        else:
            events.append(("ok", p, store.apply(mops)))
            idle.append(p)
    return events


def plant_events(plant: Plant, plant_no: int) -> list[Event]:
    """The events of one plant, on fresh keys and fresh processes."""
    keys: dict[str, int] = {}

    def key(name: str) -> int:
        return keys.setdefault(name, 10_000_000 + 100 * plant_no + len(keys))

    txns = plant.txns(key)
    procs: dict[str, int] = {}
    proc = [procs.setdefault(slot, 1_000_000 + 100 * plant_no + len(procs)) for slot, _, _ in txns]
    inv = [("invoke", p, _invocation(m)) for p, (_, _, m) in zip(proc, txns, strict=True)]
    done = [(t, p, m) for p, (_, t, m) in zip(proc, txns, strict=True)]
    if plant.schedule == "concurrent":
        return inv + done
    return [*inv[2:], inv[0], done[0], inv[1], done[1], *done[2:]]


def _invocation(mops: list[Mop]) -> list[Mop]:
    return [[f, k, None] if f == "r" else [f, k, v] for f, k, v in mops]


def synth_history(
    n_txns: int,
    plants: Sequence[str],
    seed: int,
    model: str = "list-append",
    **kwargs: Any,
) -> tuple[History, set[str]]:
    """A clean history with ``plants`` spliced in; returns it and the expected anomalies."""
    table = PLANTS[model]
    rng = random.Random(seed ^ 0x5EED)
    events = clean_events(n_txns, seed, model, **kwargs)
    cuts = sorted(rng.randrange(len(events) + 1) for _ in plants)
    out: list[Event] = []
    expected: set[str] = set()
    prev = 0
    for i, (cut, name) in enumerate(zip(cuts, plants, strict=True)):
        out.extend(events[prev:cut])
        out.extend(plant_events(table[name], i))
        expected |= table[name].expected
        prev = cut
    out.extend(events[prev:])
    return to_history(out), expected


def to_history(events: list[Event]) -> History:
    return History(
        Op(i, i * 1000, t, p, "txn", [list(m) for m in mops])
        for i, (t, p, mops) in enumerate(events)
    )
