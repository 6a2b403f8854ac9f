"""Elle's compact scan split across two processes (``checkers/elle/_split.py``) against
the one-process compact scan, and the history's part/join under it.

The split must give the very txns, graph, pending invocations, history counts and
re-read ops the one-process scan gives -- wherever the file is cut: between an
invocation and its completion, before an info or fail completion that borrows its
invocation's micro-ops, in a run of nemesis or non-txn ops, at blank lines -- or give
up (``None``) and leave it to the one-process path.  A child that dies, hangs or sends
garbage must never change an answer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checkers.elle import _append, _split, check
from checkers.elle._append import AppendAnalysis
from checkers.elle._compact import collect_compact
from checkers.elle._mops import Source
from checkers.elle.synth import PLANTS, synth_history
from ddialab.errors import HistoryFormatError
from ddialab.history import CompactHistory, dumps_op, read_compact

#: How an op line is changed before the history is written: (kind, where).
EDITS = st.tuples(
    st.sampled_from(["drop", "info", "fail", "null", "nemesis", "read", "blank", "dup", "bad"]),
    st.integers(0, 10_000),
)


def _edit(lines: list[str], kind: str, at: int) -> None:
    """Change op line ``at``: drop it (an orphan completion or a lost invocation),
    make it an info/fail completion or drop its value, turn it into a nemesis or a
    non-txn op, put a blank line before it, repeat it (a second invocation), break a
    micro-op.  Indices are renumbered by ``_write``."""
    if not lines:
        return
    i = at % len(lines)
    if not lines[i]:  # a blank line already
        return
    d = json.loads(lines[i])
    if kind == "drop":
        del lines[i]
        return
    if kind == "blank":
        lines.insert(i, "")
        return
    if kind == "dup":
        lines.insert(i, lines[i])
        return
    if kind in ("info", "fail") and d["type"] != "invoke":
        d["type"] = kind
    elif kind == "null":
        d["value"] = None
    elif kind == "nemesis":
        d.update(process="nemesis", f="kill", value={"nodes": ["n1"]})
    elif kind == "read":
        d.update(f="read", value=7)
    elif kind == "bad" and isinstance(d.get("value"), list) and d["value"]:
        d["value"][0] = ["append", 1, None]
    lines[i] = json.dumps(d, separators=(",", ":"))


def _write(path: str, lines: list[str]) -> None:
    out, index = [], 0
    for line in lines:
        if line:
            d = json.loads(line)
            d["index"] = index
            index += 1
            line = json.dumps(d, separators=(",", ":"))
        out.append(line + "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(out))


@contextmanager
def _settings(share: float, min_bytes: int = 0) -> Any:
    """Split every file (``min_bytes``) at ``share`` of it (module settings: hypothesis
    forbids the function-scoped monkeypatch fixture)."""
    was = _split.PARENT_SHARE, _split.PARALLEL_MIN_BYTES
    _split.PARENT_SHARE, _split.PARALLEL_MIN_BYTES = share, min_bytes
    try:
        yield
    finally:
        _split.PARENT_SHARE, _split.PARALLEL_MIN_BYTES = was


def _txns(ts: list[Any]) -> list[tuple[Any, ...]]:
    return [(t.id, t.index, t.invoke, t.type, t.process, t.mops, t.complete) for t in ts]


def _state(got: Any, h: CompactHistory) -> Any:
    g, failed = got
    ops = [h.op(i) for i in range(len(h))]
    return _txns(g.txns), _txns(failed), [list(a) for a in g.out], g.proc_next, ops


def _one_process(path: str, model: str) -> Any:
    h = read_compact(path)
    assert isinstance(h, CompactHistory)
    try:
        got = collect_compact(h, True, True, Source(path, model))
    except HistoryFormatError as e:
        return _Error(str(e)), h
    return got, h


class _Error(str):
    """The one-process path's read error."""


@settings(max_examples=120, deadline=None)
@example(n=30, seed=0, plants=[], edits=[], share=0.5, model="list-append")
@example(n=30, seed=1, plants=[], edits=[("drop", 31)], share=0.5, model="list-append")
@example(
    n=30, seed=1, plants=[], edits=[("info", 33), ("null", 33)], share=0.5, model="list-append"
)
@example(n=40, seed=2, plants=[10], edits=[], share=0.1, model="list-append")  # G1b
@example(n=40, seed=2, plants=[20, 22], edits=[], share=0.1, model="list-append")
@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 3),
    plants=st.lists(st.integers(0, 30), max_size=2),
    edits=st.lists(EDITS, max_size=3),
    share=st.floats(0.02, 0.98),
    model=st.sampled_from(["list-append", "rw-register"]),
)
def test_the_split_collects_what_one_process_collects(
    n, seed, plants, edits, share, model, tmp_path_factory
):
    """Guards the seam: orphan completions paired with the parent's pending invocations
    (invoke index, time node, borrowed micro-ops), time nodes renumbered (including the
    child's first completion reusing the parent's node), pending invocations merged in
    one dict's order, txn ids, failed txns, the history's blocks, op count and client
    op count joined; and that anything it cannot settle exactly gives up (None) rather
    than a different collection.  For list-append, also the reads pass with the child's
    part taken from its summary (or, when its part showed an anomaly, run here): the
    same anomalies, external reads, longest reads and edges as one process."""
    names = sorted(PLANTS[model])
    chosen = sorted({names[i % len(names)] for i in plants})
    history, _ = synth_history(n, chosen, seed=seed, model=model)
    lines = [dumps_op(op) for op in history]
    for kind, at in edits:
        _edit(lines, kind, at)
    path = str(tmp_path_factory.mktemp("split") / "h.jsonl")
    _write(path, lines)
    reference, h1 = _one_process(path, model)
    h2 = read_compact(path)
    assert isinstance(h2, CompactHistory)
    with _settings(share):
        got = _split.collect_split(h2, True, True, Source(path, model))
    if got is None:  # given up: fine, if it had a reason (never on a clean history)
        assert edits or isinstance(reference, _Error) or _split._split_point(path, 0, share) is None
        return
    assert not isinstance(reference, _Error), "the split accepted what one process rejects"
    assert _state(got, h2) == _state(reference, h1)
    assert (len(h2), h2.client_op_count()) == (len(h1), h1.client_op_count())
    if model == "list-append":  # the child's reads pass, merged or refused, changes nothing
        assert _reads_pass(got) == _reads_pass(reference)


def _reads_pass(got: Any) -> Any:
    """What ``AppendAnalysis``'s reads pass leaves (the child's tail used if there is one,
    and reaped), and the edges it then adds."""
    g, failed = got
    try:
        a = AppendAnalysis(g, failed)
    finally:
        if g.tail is not None:
            g.tail.close()
    if not a.duplicate_writes:
        a.add_edges()
    keys = (a.ext_t, a.ext_k, a.ext_n, a.longest, a.bad_keys, a.unobserved, a.pos)
    return a.anomalies, a.duplicate_writes, keys, [list(e) for e in g.out]


def test_a_clean_history_is_split_and_checked_the_same(tmp_path):
    """Guards that the split is really taken on a plain history (a split that always gave
    up would pass the property test above) and that ``check`` gives the same result,
    witnesses and all, on a history with planted cycles and non-cycle anomalies."""
    plants = ["G-single", "G2-item", "G1a", "lost-update", "internal"]
    history, _ = synth_history(400, plants, seed=5)
    path = str(tmp_path / "h.jsonl")
    _write(path, [dumps_op(op) for op in history])
    reference = check(read_compact(path), {"model": "list-append"})
    for share in (0.1, 0.45, 0.55, 0.9):
        h = read_compact(path)
        assert isinstance(h, CompactHistory)
        with _settings(share):
            got = _split.collect_split(h, True, True, Source(path, "list-append"))
            assert got is not None
            got[0].tail.close()
            assert check(read_compact(path), {"model": "list-append"}) == reference
    assert set(plants) <= set(reference["anomaly_types"])


def test_a_small_file_is_not_split(tmp_path, monkeypatch):
    """Guards that histories under ``PARALLEL_MIN_BYTES`` never pay for a fork."""
    history, _ = synth_history(50, [], seed=1)
    path = str(tmp_path / "h.jsonl")
    _write(path, [dumps_op(op) for op in history])
    monkeypatch.setattr(os, "fork", _no_fork)
    assert check(read_compact(path), {"model": "list-append"})["valid"] is True


def test_no_fork_while_other_threads_run(tmp_path):
    """Guards the fork's one precondition: a process running other threads (a run's
    workers, a progress ticker) is never forked -- its child could inherit a lock held
    for ever by a thread it does not have."""
    history, _ = synth_history(50, [], seed=1)
    path = str(tmp_path / "h.jsonl")
    _write(path, [dumps_op(op) for op in history])
    assert _split._split_point(path, 0, 0.5) is not None
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert _split._split_point(path, 0, 0.5) is None
    finally:
        stop.set()
        worker.join()


def _no_fork() -> int:
    raise AssertionError("forked for a small history")


@pytest.mark.parametrize("child", ["dies", "garbage", "hangs", "fails", "bad reads", "stalls"])
def test_a_failing_child_changes_nothing(child, tmp_path, monkeypatch):
    """Guards fail-closed: a child that exits without its payload, sends bytes that are
    not one, or never answers gives ``None`` (the one-process path then runs) -- not a
    hang, not a traceback, not a partial collection; one that sends its part and reads
    pass whole but exits non-zero, or sends a reads pass that is not one, has its reads
    pass refused (the parent runs it), as has one that never sends its reads pass (the
    parent waits ``READS_WAIT`` plus its own pace, here 0.2 s, not ``CHILD_TIMEOUT``); and
    every child is reaped (killed if need be)."""
    history, _ = synth_history(200, ["G-single"], seed=3)
    path = str(tmp_path / "h.jsonl")
    _write(path, [dumps_op(op) for op in history])
    reference = check(read_compact(path), {"model": "list-append"})
    monkeypatch.setattr(_split, "_child", _CHILDREN[child])
    pids: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: _record(real_fork(), pids))
    h = read_compact(path)
    assert isinstance(h, CompactHistory)
    monkeypatch.setattr(_append, "READS_WAIT", 0.2)
    monkeypatch.setattr(_split, "CHILD_TIMEOUT", 60.0 if child == "stalls" else 0.2)
    with _settings(0.5):
        got = _split.collect_split(h, True, True, Source(path, "list-append"))
        if child in ("fails", "bad reads", "stalls"):  # the part is taken, its reads pass not
            assert got is not None and got[0].tail.reads(0.2) is None
        else:
            assert got is None
        assert check(read_compact(path), {"model": "list-append"}) == reference
    assert len(pids) == 2
    for pid in pids:  # reaped: no such child any more
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _record(pid: int, pids: list[int]) -> int:
    if pid:
        pids.append(pid)
    return pid


def _dies(history: Any, src: Any, split: int, w: int) -> None:
    os._exit(0)


def _garbage(history: Any, src: Any, split: int, w: int) -> None:
    os.write(w, b"\x10\x00\x00\x00\x00\x00\x00\x00not msgpack at all")
    os._exit(0)


def _hangs(history: Any, src: Any, split: int, w: int) -> None:
    time.sleep(600)
    os._exit(0)


def _fails(history: Any, src: Any, split: int, w: int) -> None:
    """Sends a whole, well-formed part and reads pass -- then exits 1."""
    c = _split._PartCollector(history, src)
    c.run(history, split)
    _split._send(w, msgspec.msgpack.encode(_split._part_of(c, history)))
    _split._send(w, msgspec.msgpack.encode(_append.part_reads(c.txns)))
    os._exit(1)


def _bad_reads(history: Any, src: Any, split: int, w: int) -> None:
    """Sends a whole part, then a frame that is not a reads pass, and exits 0."""
    c = _split._PartCollector(history, src)
    c.run(history, split)
    _split._send(w, msgspec.msgpack.encode(_split._part_of(c, history)))
    _split._send(w, msgspec.msgpack.encode([1, 2, 3]))
    os._exit(0)


def _stalls(history: Any, src: Any, split: int, w: int) -> None:
    """Sends a whole part, then never its reads pass."""
    c = _split._PartCollector(history, src)
    c.run(history, split)
    _split._send(w, msgspec.msgpack.encode(_split._part_of(c, history)))
    time.sleep(600)
    os._exit(0)


_CHILDREN = {
    "stalls": _stalls,
    "dies": _dies,
    "garbage": _garbage,
    "hangs": _hangs,
    "fails": _fails,
    "bad reads": _bad_reads,
}


def test_a_bad_op_in_the_second_part_is_reported_as_one_process_reports_it(tmp_path):
    """Guards error order and wording: a malformed micro-op past the seam (the child
    gives up) and a malformed line past it give the one-process path's error (file, line,
    what was expected)."""
    history, _ = synth_history(200, [], seed=4)
    lines = [dumps_op(op) for op in history]
    _edit(lines, "bad", len(lines) - 5)
    path = str(tmp_path / "h.jsonl")
    _write(path, lines)
    with pytest.raises(HistoryFormatError) as one:
        check(read_compact(path), {"model": "list-append"})
    with _settings(0.5), pytest.raises(HistoryFormatError) as two:
        check(read_compact(path), {"model": "list-append"})
    assert str(two.value) == str(one.value)
    assert f"h.jsonl:{len(lines) - 4}: op {len(lines) - 5} " in str(one.value)


def _op(typ: str, p: int, value: Any) -> str:
    op = {"index": 0, "time": 0, "type": typ, "process": p, "f": "txn", "value": value}
    return json.dumps(op, separators=(",", ":"))


_A, _R = (lambda k, v: ["append", k, v]), (lambda k, v: ["r", k, v])
#: (first part, second part): the seam cases one by one.
SEAMS = {
    "orphans": (
        [
            *(_op("invoke", 0, [_A("x", 1)]), _op("ok", 0, [_A("x", 1)])),
            _op("invoke", 1, [_A("x", 2)]),  # completes ok past the seam
            _op("invoke", 2, [_A("y", 1)]),  # ends info, no value: its mops are these
            _op("invoke", 3, [_R("x", None)]),  # never completes: pending first
            _op("invoke", 4, [_A("z", 1)]),  # fails past the seam, no value
        ],
        [
            _op("ok", 1, [_A("x", 2)]),
            *(_op("info", 2, None), _op("fail", 4, None)),
            _op("invoke", 5, [_R("x", None)]),  # never completes: pending second
            *(_op("invoke", 6, [_R("x", None)]), _op("ok", 6, [_R("x", [1, 2])])),
        ],
    ),
    "early": (
        [
            *(_op("invoke", 1, [_A("x", 2)]), _op("invoke", 0, [_A("x", 1)])),
            _op("ok", 0, [_A("x", 1)]),  # a time node, and no invocation after it
        ],
        [
            _op("ok", 1, [_A("x", 2)]),  # shares that time node
            *(_op("invoke", 2, [_R("x", None)]), _op("ok", 2, [_R("x", [1, 2])])),
        ],
    ),
}


@pytest.mark.parametrize("seam", sorted(SEAMS))
def test_each_seam_case_is_settled_as_one_process_settles_it(seam, tmp_path):
    """Guards, one by one, what the property test meets only by chance: an orphan ok
    completion (the parent's invocation index and time node), an info completion with no
    value (the invocation's micro-ops), a failed one, pending invocations left in both
    parts (finished as info txns in one dict's order: the parent's first), and the
    child's first completion sharing the parent's last time node (``early``)."""
    first, second = SEAMS[seam]
    path = str(tmp_path / "h.jsonl")
    _write(path, first + second)
    cut = len("".join(line + "\n" for line in _renumbered(first)))
    reference, h1 = _one_process(path, "list-append")
    h2 = read_compact(path)
    assert isinstance(h2, CompactHistory)
    with _settings((cut - 0.5) / os.path.getsize(path)):
        assert _split._split_point(path, 0, _split.PARENT_SHARE) == cut
        got = _split.collect_split(h2, True, True, Source(path, "list-append"))
    assert got is not None
    got[0].tail.close()
    assert _state(got, h2) == _state(reference, h1)


def _renumbered(lines: list[str]) -> list[str]:
    return [line.replace('"index":0', f'"index":{i}', 1) for i, line in enumerate(lines)]


def _pair(p: int, mops: list[Any], got: list[Any] | None = None) -> list[str]:
    return [_op("invoke", p, mops), _op("ok", p, mops if got is None else got)]


#: (first part, second part, whether the child's reads pass is taken): each part clean
#: on its own; only the seam decides.
READS_SEAMS = {
    "clean": (
        [
            *_pair(0, [_A("x", 1)]),
            *_pair(1, [_R("x", None), _A("y", 1)], [_R("x", [1]), _A("y", 1)]),
        ],
        [*_pair(2, [_R("x", None)], [_R("x", [1])]), *_pair(3, [_R("y", None)], [_R("y", [1])])],
        True,
    ),
    "incompatible orders": (
        [*_pair(0, [_A("x", 1)]), *_pair(1, [_A("x", 2)]), *_pair(2, [_R("x", [1, 2])])],
        [*_pair(3, [_R("x", [2, 1])])],
        False,
    ),
    "lost update": (
        [*_pair(0, [_A("x", 1)]), *_pair(1, [_R("x", [1]), _A("x", 2)])],
        [*_pair(2, [_R("x", [1]), _A("x", 3)])],
        False,
    ),
    "hidden G1b": (
        [*_pair(0, [_A("x", 1), _A("x", 2)])],
        [*_pair(1, [_R("x", [1])])],
        False,
    ),
    "G1b of a pending invocation": (
        [_op("invoke", 5, [_A("x", 1), _A("x", 2)])],  # never completes: an info txn, last
        [*_pair(1, [_R("x", [1])])],
        False,
    ),
}


@pytest.mark.parametrize("seam", sorted(READS_SEAMS))
def test_the_childs_reads_pass_is_taken_only_when_exact(seam, tmp_path, monkeypatch):
    """Guards ``_tails.merge``: a clean seam takes the child's reads pass (a merge that
    always refused would pass the property test); a seam where the two parts' reads of a
    key disagree, where both parts' txns appended after reading the same list, or where
    a child read ends with an intermediate append the child could not see (a txn of the
    first part's, or an invocation pending at the end) is refused -- and ``check`` gives
    the one-process answer, witnesses and all, either way."""
    first, second, taken = READS_SEAMS[seam]
    path = str(tmp_path / "h.jsonl")
    _write(path, first + second)
    cut = len("".join(line + "\n" for line in _renumbered(first)))
    reference = check(read_compact(path), {"model": "list-append"})
    merged: list[bool] = []
    real = _append.merge
    monkeypatch.setattr(_append, "merge", lambda *a: _record_merge(real(*a), merged))
    with _settings((cut - 0.5) / os.path.getsize(path)):
        assert _split._split_point(path, 0, _split.PARENT_SHARE) == cut
        assert check(read_compact(path), {"model": "list-append"}) == reference
    assert merged == [taken]
    assert (reference["valid"] is True) is taken


def _record_merge(taken: bool, merged: list[bool]) -> bool:
    merged.append(taken)
    return taken
