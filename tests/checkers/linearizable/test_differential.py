"""The WGL search against a brute force: every real-time-consistent order of every subset
of the calls that need not have happened, run through an independent spec."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from checkers.linearizable import check, resolve_model
from checkers.linearizable._check import calls_of
from ddialab.history import History, Op

V = st.sampled_from([0, 1, 2])
MAYBE = st.sampled_from([None, 0, 1, 2])
KEY = st.sampled_from(["a", "b"])


# --- specs: (state, f, value, known, extra) -> list of possible next states ----------


def reg(s, f, v, known, extra):
    if f == "read":
        return [s] if not known or v == s else []
    if f == "write":
        return [v]
    old, new = v
    if known and extra.get("result") is False:
        return [s] if s != old else []
    return [new] if s == old else []


def keyed_reg(s, f, v, known, extra):
    d = dict(s)
    k, inner = v
    return [_put(d, k, x) for x in reg(d.get(k), f, inner, known, extra)]


def _put(d, k, x):
    d = dict(d)
    d[k] = x
    return tuple(sorted(d.items()))


def kv(s, f, v, known, extra):
    d = dict(s)
    k, inner = v
    cur = d.get(k, "")
    if f == "get":
        return [s] if not known or inner == cur else []
    return [_put(d, k, inner if f == "put" else cur + inner)]


def fifo(s, f, v, known, extra):
    if f == "enqueue":
        return [(*s, v)]
    if not known:
        return [s[1:]]
    if v is None:
        return [s] if not s else []
    return [s[1:]] if s and s[0] == v else []


def unordered(s, f, v, known, extra):
    if f == "enqueue":
        return [tuple(sorted((*s, v)))]
    if not known:
        return [s[:i] + s[i + 1 :] for i in range(len(s))] or [s]
    if v is None:
        return [s] if not s else []
    return [s[: s.index(v)] + s[s.index(v) + 1 :]] if v in s else []


def mutex(s, f, v, known, extra):
    return ([True] if not s else []) if f == "acquire" else ([False] if s else [])


def counter(s, f, v, known, extra):
    if f == "read":
        return [s] if not known or v == s else []
    return [s + v]


def set_spec(s, f, v, known, extra):
    if f == "add":
        return [s | {v}]
    # exact comparison: a read naming an element twice matches no set (Knossos, Porcupine)
    return [s] if not known or (len(set(v)) == len(v) and frozenset(v) == s) else []


# --- brute force ----------------------------------------------------------------------


def brute_force(ops: list[Op], spec, init) -> bool:
    calls = []
    open_: dict[Any, Op] = {}
    done: dict[int, Op] = {}
    for op in ops:
        if op.process == "nemesis":
            continue
        if op.type == "invoke":
            open_[op.process] = op
        elif op.process in open_:
            done[open_.pop(op.process).index] = op
    for op in ops:
        if op.type != "invoke" or op.process == "nemesis":
            continue
        c = done.get(op.index)
        if c is not None and c.type == "fail":
            continue
        known = c is not None and c.type == "ok"
        value = _freeze(c.value if known else op.value)
        calls.append(
            (op.index, c.index if known else None, op.f, value, known, c.extra if c else {})
        )

    def must_precede(a, b):
        return a[1] is not None and a[1] < b[0]

    seen: set[tuple[frozenset[int], Any]] = set()

    def dfs(remaining: frozenset[int], s: Any) -> bool:
        if (remaining, s) in seen:  # memo only: failed before
            return False
        seen.add((remaining, s))
        if all(calls[i][1] is None for i in remaining):
            return True
        for i in remaining:
            c = calls[i]
            if any(must_precede(calls[o], c) for o in remaining if o != i):
                continue
            if any(dfs(remaining - {i}, s2) for s2 in spec(s, c[2], c[3], c[4], c[5])):
                return True
        return False

    return dfs(frozenset(range(len(calls))), init)


def _freeze(v):
    return tuple(_freeze(x) for x in v) if isinstance(v, list) else v


# --- random histories -----------------------------------------------------------------


@st.composite
def histories(draw, fs, max_calls=6):
    """fs: f -> (invoke value strategy, ok value strategy or None = same as invoked)."""
    ops: list[Op] = []
    pending: dict[int, tuple[str, Any]] = {}
    next_p = 3
    idle = [0, 1, 2]
    n_calls = 0

    def emit(p, typ, f, v, extra=None):
        ops.append(Op(len(ops), len(ops), typ, p, f, v, extra=extra or {}))

    while draw(st.booleans()) or pending:
        can_invoke = idle and n_calls < max_calls
        if can_invoke and (not pending or draw(st.booleans())):
            p = idle.pop(draw(st.integers(0, len(idle) - 1)))
            f = draw(st.sampled_from(sorted(fs)))
            v = draw(fs[f][0])
            emit(p, "invoke", f, v)
            pending[p] = (f, v)
            n_calls += 1
            if draw(st.integers(0, 9)) == 0:
                emit("nemesis", "info", "kill", None)
            continue
        if not pending:
            break
        p = draw(st.sampled_from(sorted(pending)))
        f, v = pending.pop(p)
        typ = draw(st.sampled_from(["ok", "ok", "ok", "fail", "info", "none"]))
        if typ == "none":  # never completes
            continue
        out = draw(fs[f][1]) if fs[f][1] is not None and typ == "ok" else v
        extra = {}
        if f == "cas" and typ == "ok" and draw(st.booleans()):
            extra = {"result": False}
        emit(p, typ, f, out, extra)
        if typ == "info":
            idle.append(next_p)
            next_p += 1
        else:
            idle.append(p)
    return ops


REG_FS = {"read": (st.none(), MAYBE), "write": (V, None)}
CAS_FS = {**REG_FS, "cas": (st.lists(V, min_size=2, max_size=2), None)}
KEYED_FS = {
    "read": (st.tuples(KEY, st.none()).map(list), st.tuples(KEY, MAYBE).map(list)),
    "write": (st.tuples(KEY, V).map(list), None),
}
KV_VAL = st.sampled_from(["", "x", "y", "xy", "yx"])
KV_FS = {
    "get": (st.tuples(KEY, st.none()).map(list), st.tuples(KEY, KV_VAL).map(list)),
    "put": (st.tuples(KEY, st.sampled_from(["x", "y"])).map(list), None),
    "append": (st.tuples(KEY, st.sampled_from(["x", "y"])).map(list), None),
}
Q_FS = {"enqueue": (V, None), "dequeue": (st.none(), MAYBE)}
MUTEX_FS = {"acquire": (st.none(), None), "release": (st.none(), None)}
COUNTER_FS = {"add": (st.sampled_from([1, 2]), None), "read": (st.none(), st.integers(0, 4))}
SET_FS = {"add": (V, None), "read": (st.none(), st.lists(V, max_size=3))}


def agree(ops, options, spec, init):
    """The search agrees with brute force; a non-empty history whose ops are all reads of
    unknown value was not checked at all, so the verdict must be unknown."""
    history = History(ops)
    got = check(history, options)["valid"]
    nothing = not calls_of(history, resolve_model(options)) and not (
        not ops or any(op.type == "fail" for op in ops)
    )
    assert got == ("unknown" if nothing else brute_force(ops, spec, init)), ops


@given(histories(REG_FS))
def test_register(ops):
    agree(ops, {"model": "register"}, reg, None)


@given(histories(CAS_FS))
def test_cas_register(ops):
    agree(ops, {"model": "cas-register", "init": 0}, reg, 0)


@given(histories(KEYED_FS))
def test_independent_register_matches_whole_map(ops):
    agree(ops, {"model": "register", "independent": True}, keyed_reg, ())


@given(histories(KV_FS))
def test_kv_matches_whole_map(ops):
    agree(ops, {"model": "kv"}, kv, ())
    agree(ops, {"model": "kv-nopartition"}, kv, ())


@given(histories(Q_FS))
def test_fifo_queue(ops):
    agree(ops, {"model": "fifo-queue"}, fifo, ())


@given(histories(Q_FS))
def test_unordered_queue(ops):
    agree(ops, {"model": "unordered-queue"}, unordered, ())


@given(histories(MUTEX_FS))
def test_mutex(ops):
    agree(ops, {"model": "mutex"}, mutex, False)


@given(histories(COUNTER_FS))
def test_counter(ops):
    agree(ops, {"model": "counter"}, counter, 0)


@given(histories(SET_FS))
def test_set(ops):
    agree(ops, {"model": "set"}, set_spec, frozenset())


@given(histories(CAS_FS, max_calls=14))
def test_cas_register_longer(ops):
    agree(ops, {"model": "cas-register", "init": 0}, reg, 0)


@given(histories(KV_FS, max_calls=12))
def test_kv_longer(ops):
    agree(ops, {"model": "kv"}, kv, ())
