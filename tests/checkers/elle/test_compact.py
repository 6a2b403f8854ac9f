"""Elle on a ``CompactHistory`` (``read_compact``) against Elle on ``read_history``.

The compact path (``checkers/elle/_compact.py`` over ``ddialab/history/_compact.py``) must
give the very result the full path gives -- verdict, anomaly types, every witness and
explanation -- or the very error (file, line, what was expected), on any history: clean
or with planted anomalies, and with lines broken in every way the scan must hand to the
full reader (bad JSON, extras, out-of-contract types, malformed micro-ops, blank lines,
carriage returns, indices out of order).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from checkers.elle import check
from checkers.elle.synth import PLANTS, synth_history
from ddialab.errors import HistoryFormatError
from ddialab.history import CompactHistory, _compact, dumps_op, read_compact, read_history
from ddialab.history import count_client_ops as client_ops

SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 300), st.floats(0, 1), st.text(max_size=2)
)
ANY = st.recursive(
    SCALAR,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=1), c, max_size=1),
    max_leaves=4,
)
NEARLY = st.none() | SCALAR | st.lists(SCALAR, max_size=2)  # what msgspec types as a read
MOP = st.one_of(
    st.tuples(st.sampled_from(["append", "r", "w"]), st.integers(0, 9), NEARLY).map(list),
    st.tuples(st.sampled_from(["append", "r", "w", "x"]), SCALAR | ANY, ANY).map(list),
    st.tuples(st.sampled_from(["r"]), SCALAR).map(list),
    ANY,
)

#: How a line is broken: (kind, a value for it).
BREAKS = st.one_of(
    st.tuples(st.just("value"), st.lists(MOP, max_size=3) | ANY),
    st.tuples(st.just("mop"), MOP),
    st.tuples(st.sampled_from(["type"]), st.sampled_from(["invoke", "ok", "fail", "info", "x"])),
    st.tuples(st.just("process"), st.sampled_from([0, 3, 99, "nemesis", "p", -1])),
    st.tuples(st.just("f"), st.sampled_from(["", "nil", "read", 7])),
    st.tuples(st.just("extra"), ANY),
    st.tuples(st.just("drop"), st.sampled_from(["index", "time", "value"])),
    st.tuples(st.sampled_from(["json", "blank", "cr", "index", "crlf", "twice"]), st.none()),
)


def _break(line: str, kind: str, x: Any) -> str:
    try:
        d = json.loads(line)
    except json.JSONDecodeError:  # broken already
        return line
    if kind == "value":
        d["value"] = x
    elif kind == "mop" and isinstance(d.get("value"), list) and d["value"]:
        d["value"][0] = x
    elif kind in ("type", "process", "f"):
        d[kind] = x
    elif kind == "extra":
        d["version_order" if isinstance(x, list) else "note"] = x  # any extra
    elif kind == "drop":
        d.pop(x, None)
    elif kind == "index":
        d["index"] += 1
    else:
        d["index"] += 1  # "twice": indices dense on the last line if not for the line
        twice = line + "," + json.dumps(d, separators=(",", ":"))
        broken = {"json": line[:-3], "blank": "\n" + line, "cr": line + "\r", "twice": twice}
        return broken.get(kind, line)
    return json.dumps(d, separators=(",", ":"))


def _outcome(history: Any, opts: dict[str, Any]) -> Any:
    try:
        return check(history, opts)
    except HistoryFormatError as e:
        return ("error", str(e))


def _write(path: str, lines: list[str], crlf: bool) -> None:
    with open(path, "w", encoding="utf-8", newline="\r\n" if crlf else "\n") as f:
        f.write("".join(line + "\n" for line in lines))


def _case(model: str, n: int, *breaks: tuple[int, tuple[str, Any]]) -> Any:
    return example(
        model=model, n=n, seed=1, plants=[], breaks=list(breaks), cm="serializable", chunk=300
    )


@settings(max_examples=200, deadline=None)
@_case("list-append", 3, (0, ("type", "info")), (0, ("value", None)))  # lone info, no value
@_case("list-append", 3, (0, ("type", "fail")), (0, ("value", 1)))  # lone fail, a scalar
@_case("list-append", 5, (0, ("mop", ["append", 1, None])))  # a null write
@_case("list-append", 5, (1, ("mop", ["r", 1, 5])))  # a scalar read of a list
@_case("rw-register", 5, (1, ("mop", ["r", 1, [1]])))  # a list read of a register
@_case("rw-register", 5, (0, ("mop", ["append", 1, 1])))  # a name of the other model
@_case("list-append", 5, (0, ("mop", ["x", 1, 1])), (-1, ("json", None)))  # read error first
@_case("list-append", 5, (0, ("f", "")), (1, ("f", "nil")))  # txns without f
@_case("list-append", 5, (0, ("f", "")), (0, ("value", [])), (0, ("type", "ok")))  # no mops: no txn
@_case("list-append", 5, (2, ("blank", None)), (3, ("extra", 1)))  # a blank line, extras
@_case("list-append", 5, (-1, ("twice", None)))  # two ops on a line: no JSON Lines
@given(
    model=st.sampled_from(["list-append", "rw-register"]),
    n=st.integers(0, 40),
    seed=st.integers(0, 3),
    plants=st.lists(st.integers(0, 20), max_size=2),
    breaks=st.lists(st.tuples(st.integers(-1, 200), BREAKS), max_size=2),
    cm=st.sampled_from(["strict-serializable", "serializable", "read-committed"]),
    chunk=st.sampled_from([1, 97, 600, _compact.CHUNK]),
)
def test_the_compact_path_gives_the_full_paths_results_and_errors(
    model, n, seed, plants, breaks, cm, chunk
):
    """Guards every shortcut of the compact path: the txns it collects (pairing, info and
    fail txns, completion-only txns, f-less txns), the micro-ops it keeps as tuples, the
    witnesses built from them, and its hand-over to the full reader (errors in the same
    order: a read error later in the file before a bad micro-op earlier), and its chunked
    decode at any chunk size (a chunk of one line, chunks cut mid-history, one chunk)."""
    names = sorted(PLANTS[model])
    chosen = sorted({names[i % len(names)] for i in plants})
    history, _ = synth_history(n, chosen, seed=seed, model=model)
    lines = [dumps_op(op) for op in history]
    crlf = False
    for at, (kind, x) in breaks:
        if lines:
            crlf = crlf or kind == "crlf"
            lines[at % len(lines)] = _break(lines[at % len(lines)], kind, x)
    opts = {"model": model, "consistency_model": cm, "wfr_keys": True}
    with tempfile.TemporaryDirectory() as tmp, _chunks_of(chunk):
        path = os.path.join(tmp, "history.jsonl")
        _write(path, lines, crlf)
        full = _outcome(_read_full(path), opts)
        compact = read_compact(path)
        assert isinstance(compact, CompactHistory)
        assert _outcome(compact, opts) == full
        if not isinstance(full, tuple):
            assert len(compact) == len(read_history(path))
            assert compact.client_op_count() == client_ops(read_history(path))


@contextmanager
def _chunks_of(size: int) -> Iterator[None]:
    """The scan reads ``size`` bytes a chunk (a module setting; hypothesis forbids the
    function-scoped monkeypatch fixture)."""
    was, _compact.CHUNK = _compact.CHUNK, size
    try:
        yield
    finally:
        _compact.CHUNK = was


def _read_full(path: str) -> Any:
    try:
        return read_history(path)
    except HistoryFormatError as e:
        return _Raises(e)


class _Raises:
    """A history that raises its read error when iterated (as the check would meet it)."""

    def __init__(self, e: HistoryFormatError) -> None:
        self.e = e
        self.source = None

    def __iter__(self) -> Any:
        raise self.e


def test_a_clean_history_is_checked_without_reading_a_single_op(tmp_path):
    """Guards the point of it all: if the scan refused ordinary lines (or Elle stopped
    taking its rows), every check would silently read the whole history as ``Op``s."""
    history, _ = synth_history(200, ["G-single", "lost-update"], seed=2)
    path = tmp_path / "h.jsonl"
    path.write_text("".join(dumps_op(op) + "\n" for op in history) + "\n", encoding="utf-8")
    fresh = read_compact(path)
    assert isinstance(fresh, CompactHistory)
    assert (len(fresh), fresh.client_op_count()) == (len(history), client_ops(history))
    assert fresh and not fresh.materialised  # counted by a scan, not by reading ops
    compact = read_compact(path)
    assert isinstance(compact, CompactHistory)
    result = check(compact, {"model": "list-append"})
    assert not compact.materialised
    assert result == check(read_history(path), {"model": "list-append"})
    assert result["anomaly_types"] == ["G-single", "lost-update"]
    assert [compact.op(i) for i in range(len(compact))] == read_history(path).ops
    assert [compact.op(i).line for i in (0, len(compact) - 1)] == [1, len(compact)]


def test_only_jsonl_files_and_run_directories_read_compact(tmp_path):
    """Guards the choice: anything but JSONL (or an unreadable path) is ``None``, so
    ``ddialab check`` reads it with ``read_history``, which names the problem."""
    history, _ = synth_history(3, [], seed=1)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.jsonl").write_text(dumps_op(history[0]) + "\n")
    (tmp_path / "h.edn").write_text("{:type :invoke, :f :txn, :value [], :process 0}\n")
    assert isinstance(read_compact(tmp_path / "run"), CompactHistory)
    assert read_compact(tmp_path / "h.edn") is None
    assert read_compact(tmp_path / "missing.jsonl") is None
    assert read_compact(tmp_path / "run" / "history.jsonl", "edn") is None


LINE = st.one_of(
    st.tuples(
        st.just("txn"),
        st.lists(st.tuples(st.just("append"), st.integers(0, 3), st.integers(0, 9)), max_size=2),
    ),
    st.tuples(
        st.just("nemesis"), st.dictionaries(st.sampled_from("ab"), st.integers(0, 3), max_size=2)
    ),
    st.tuples(st.just("blank"), st.none()),
)


def _lists(x: Any) -> Any:
    return [_lists(y) for y in x] if isinstance(x, tuple | list) else x


@settings(max_examples=150, deadline=None)
@given(kinds=st.lists(LINE, max_size=30), chunk=st.sampled_from([1, 50, 120, 400, 1 << 14]))
def test_scan_rows_and_reread_ops_match_the_full_reader(kinds, chunk, tmp_path_factory):
    """Guards the chunked scan's bookkeeping: chunks decoded in one call or line by line
    (a nemesis map or a blank line in them), blocks split at blank lines, so each row's
    line number and each re-read ``op(i)`` (its line, its text) are the full reader's."""
    lines, i = [], 0
    for kind, x in kinds:
        if kind == "blank":
            lines.append("")
            continue
        d = {"index": i, "time": i, "type": "invoke", "process": i % 3, "f": "txn"}
        if kind == "txn":
            d["value"] = [list(m) for m in x]
        else:
            d.update(process="nemesis", f="kill", value=x, type="info")
        lines.append(json.dumps(d))
        i += 1
    path = tmp_path_factory.mktemp("scan") / "h.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    ops = read_history(path).ops
    with _chunks_of(chunk):
        compact = read_compact(path)
        assert isinstance(compact, CompactHistory)
        rows = [(*r[:4], _lists(r[4]), r[5]) for r in compact.scan()]
        assert rows == [(o.index, o.type, o.process, o.f, o.value, o.line) for o in ops]
        assert [compact.op(i) for i in reversed(range(len(ops)))] == ops[::-1]
        assert [compact.op(i).line for i in range(len(ops))] == [o.line for o in ops]
        assert not compact.materialised


def test_an_object_split_over_two_lines_is_not_read_as_two_lines(tmp_path):
    """Guards the chunked decode's line check: ``{op 1},{"index":2`` on one line and the
    rest of op 2 on the next decode as two objects in ``[...]`` -- as many as lines --
    but are no JSON Lines; the full reader's error (file, line 2) must come out."""
    history, _ = synth_history(3, [], seed=1)
    lines = [dumps_op(op) for op in history]
    two = lines[1] + "," + lines[2]
    cut = two.index('"time"', len(lines[1]))  # the comma before op 2's "time" is the break
    lines[1:3] = [two[: cut - 1], two[cut:]]
    path = tmp_path / "h.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    full = _outcome(_read_full(str(path)), {"model": "list-append"})
    assert isinstance(full, tuple) and ":2:" in full[1]
    compact = read_compact(path)
    assert isinstance(compact, CompactHistory)
    assert _outcome(compact, {"model": "list-append"}) == full
