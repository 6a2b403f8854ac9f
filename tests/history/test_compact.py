"""The compact JSONL reader (``read_compact``, ``CompactHistory``) pinned from its own package.

Issue #19: ``ddialab/history/_compact.py`` was tested only through Elle
(``tests/checkers/elle/test_compact.py``), so its mutants were "no tests" for the history
package.  These tests hold the compact history to its contract without any checker: its
ops, rows, line numbers, counts and re-read ops are the full reader's, it counts without
reading ops, and every line it cannot read exactly is handed to the full reader
(``CompactUnsupported``), whose error or ops then come out unchanged.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import (
    CompactHistory,
    CompactUnsupported,
    Op,
    _compact,
    count_client_ops,
    read_compact,
    read_history,
)


def _txn(i: int, type: str = "invoke", process: Any = 0, **kw: Any) -> str:
    d = {"index": i, "time": i, "type": type, "process": process, "f": "txn"}
    d["value"] = kw.pop("value", [["append", i % 3, i]])
    d.update(kw)
    return json.dumps(d)


def _file(tmp_path: Path, lines: list[str], name: str = "h.jsonl", end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


def _compact_of(path: Path | str) -> CompactHistory:
    h = read_compact(path)
    assert isinstance(h, CompactHistory)
    return h


def _rows(h: CompactHistory) -> list[tuple[Any, ...]]:
    return [(*r[:4], _lists(r[4]), r[5]) for r in h.scan()]


def _lists(x: Any) -> Any:
    return [_lists(y) for y in x] if isinstance(x, tuple | list) else x


def _expected(path: Path) -> list[tuple[Any, ...]]:
    return [(o.index, o.type, o.process, o.f, o.value, o.line) for o in read_history(path)]


@contextmanager
def _chunks_of(size: int) -> Iterator[None]:
    """The scan reads ``size`` bytes a chunk (hypothesis forbids ``monkeypatch``)."""
    was, _compact.CHUNK = _compact.CHUNK, size
    try:
        yield
    finally:
        _compact.CHUNK = was


def _pairs(n: int) -> list[str]:
    """``n`` txns, each invoked and completed ok by its own process, one after the other."""
    lines = []
    for k in range(n):
        lines.append(_txn(2 * k, process=k % 4))
        lines.append(_txn(2 * k + 1, "ok", process=k % 4))
    return lines


# -- reading, counting and re-reading without materialising -----------------------------


def test_a_compact_history_iterates_as_the_full_reader(tmp_path: Path) -> None:
    """Guards ``CompactHistory._ops`` (the full history on first use): iterating it gives
    exactly ``read_history``'s ops, and only then is it ``materialised``."""
    path = _file(tmp_path, _pairs(30))
    h = _compact_of(path)
    assert not h.materialised
    assert list(h) == read_history(path).ops
    assert h.materialised
    assert h.source == str(path) and repr(h) == f"CompactHistory({str(path)!r})"


def test_len_and_client_op_count_come_from_a_scan(tmp_path: Path) -> None:
    """Guards ``__len__`` and ``client_op_count`` counting by a scan (``_count``, the
    ``_ClientCounter``) without reading a single op, and counting what the full reader
    counts: a nemesis event is no op, a completion with no invocation is one."""
    lines = _pairs(300)  # several chunks of the natural size
    lines.append(_txn(600, "info", process="nemesis", f="kill", value={"node": "n1"}))
    lines.append(_txn(601, "ok", process=9))  # a completion nobody invoked
    lines.append(_txn(602, process=5))  # an invocation never completed
    path = _file(tmp_path, lines)
    h = _compact_of(path)
    assert len(h) == 603
    assert not h.materialised
    assert h.client_op_count() == 302 == count_client_ops(read_history(path))
    assert not h.materialised
    fresh = _compact_of(path)
    assert fresh.client_op_count() == 302  # the count scans when no scan has


def test_count_client_ops_counts_invocations_and_orphan_completions() -> None:
    """Guards ``count_client_ops``: nemesis events skipped, an invocation and its
    completion one op, a completion with no open invocation of its process one op."""
    ops = [
        Op(0, 0, "invoke", 0, "txn", None),
        Op(1, 1, "info", "nemesis", "kill", None),
        Op(2, 2, "ok", 0, "txn", None),
        Op(3, 3, "ok", 0, "txn", None),  # process 0 has no open invocation now
        Op(4, 4, "fail", 1, "txn", None),
        Op(5, 5, "invoke", 2, "txn", None),
    ]
    assert count_client_ops(ops) == 4
    assert count_client_ops(ops[:3]) == 1


def test_op_re_reads_each_op_exactly_without_materialising(tmp_path: Path) -> None:
    """Guards ``op(i)``: after a scan each op is re-read from its block's lines (any
    block, any order, across the block cache) and is the full reader's op, line and all."""
    lines = _pairs(200)
    lines.insert(150, "")  # two blocks
    path = _file(tmp_path, lines)
    h = _compact_of(path)
    assert len(h) == 400
    full = read_history(path).ops
    order = [399, 0, 1, 250, 149, 150, 151, 398, 2]
    assert [h.op(i) for i in order] == [full[i] for i in order]
    assert [h.op(i).line for i in (149, 150)] == [150, 152]
    assert not h.materialised
    assert [h.op(i) for i in range(400)] == full


def test_op_before_any_scan_and_after_materialising_reads_the_full_ops(
    tmp_path: Path,
) -> None:
    """Guards ``op(i)``'s first branch: with no scan yet (no blocks to re-read) or once
    the ops are read, op ``i`` is the full history's op ``i``."""
    path = _file(tmp_path, _pairs(5))
    full = read_history(path).ops
    h = _compact_of(path)
    assert h.op(7) == full[7] and h.materialised
    h2 = _compact_of(path)
    list(h2)
    assert [h2.op(i) for i in range(10)] == full


def test_reading_the_full_history_restores_the_collector(tmp_path: Path) -> None:
    """Guards ``_read_all``: the collector paused while reading is enabled again after,
    and left off when the caller had it off."""
    path = _file(tmp_path, _pairs(3))
    assert gc.isenabled()
    list(_compact_of(path))
    assert gc.isenabled()
    gc.disable()
    try:
        list(_compact_of(path))
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- the scan's rows and line numbers -------------------------------------------------


def test_scan_rows_are_the_full_readers_fields(tmp_path: Path) -> None:
    """Guards ``scan``'s row ``(index, type, process, f, value, line)`` for txn values
    (tuples of micro-op tuples), nemesis maps, scalar and null values, reads of lists."""
    lines = [
        _txn(0, value=[["append", 1, 2], ["r", 1, None]]),
        _txn(1, "ok", value=[["append", 1, 2], ["r", 1, [2]]]),
        _txn(2, "info", process="nemesis", f="kill", value={"node": "n1"}),
        _txn(3, process=3, f="read", value=None),
        _txn(4, "fail", process=3, f="read", value=7),
    ]
    path = _file(tmp_path, lines)
    h = _compact_of(path)
    rows = list(h.scan())
    assert rows[1] == (1, "ok", 0, "txn", (("append", 1, 2), ("r", 1, [2])), 2)
    assert [r[2] for r in rows] == [0, 0, "nemesis", 3, 3]
    assert _rows(h) == _expected(path)


def test_scan_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    """Guards the block bookkeeping: a blank line starts a new block, and each row's line
    (and each re-read op's) is counted from the file, not from the op's index -- also for
    rows of an earlier block handed on in the same chunk."""
    lines = _pairs(3)
    lines[2:2] = ["", ""]
    lines.insert(5, "")
    path = _file(tmp_path, lines)
    h = _compact_of(path)
    assert [r[5] for r in h.scan()] == [1, 2, 5, 7, 8, 9]
    assert _rows(h) == _expected(path)
    assert [h.op(i).line for i in range(6)] == [1, 2, 5, 7, 8, 9]


def test_a_file_without_a_final_newline_is_scanned_to_its_end(tmp_path: Path) -> None:
    """Guards ``_chunks`` reading to the end of a chunk's last line and ``_decode_chunk``
    on a body with no final newline: the last op is neither lost nor split."""
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(_pairs(2)), encoding="utf-8")
    with _chunks_of(50):  # every chunk ends mid-line
        h = _compact_of(path)
        assert _rows(h) == _expected(path)
        assert len(h) == 4


LINE = st.one_of(
    st.tuples(st.just("txn"), st.lists(st.tuples(st.just("r"), st.integers(0, 3)), max_size=2)),
    st.tuples(st.just("nemesis"), st.dictionaries(st.sampled_from("ab"), st.integers(0, 3))),
    st.tuples(st.just("scalar"), st.integers(-5, 5) | st.text(max_size=3) | st.none()),
    st.tuples(st.just("blank"), st.none()),
)


@settings(max_examples=120, deadline=None)
@given(kinds=st.lists(LINE, max_size=25), chunk=st.sampled_from([1, 40, 130, 500, 1 << 14]))
def test_scan_counts_and_reread_ops_match_the_full_reader(
    kinds: list[tuple[str, Any]], chunk: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Guards the chunked scan at any chunk size (one decode per chunk of plain txn lines,
    line by line otherwise): rows, line numbers, ``len``, the client count and every
    re-read op are the full reader's, and nothing is materialised."""
    lines, i = [], 0
    for kind, x in kinds:
        if kind == "blank":
            lines.append("")
            continue
        if kind == "txn":
            value: Any = [[m, k, None] for m, k in x]
            lines.append(_txn(i, "invoke" if i % 2 == 0 else "ok", process=i % 3, value=value))
        elif kind == "nemesis":
            lines.append(_txn(i, "info", process="nemesis", f="kill", value=x))
        else:
            lines.append(_txn(i, "ok", process=i % 3, f="read", value=x))
        i += 1
    path = _file(tmp_path_factory.mktemp("scan"), lines)
    full = read_history(path)
    with _chunks_of(chunk):
        h = _compact_of(path)
        assert _rows(h) == _expected(path)
        assert [h.op(j) for j in reversed(range(i))] == full.ops[::-1]
        assert (len(h), h.client_op_count()) == (i, count_client_ops(full))
        assert not h.materialised


# -- what the scan does not read: handed to the full reader ----------------------------


def _unsupported(path: Path) -> str:
    with pytest.raises(CompactUnsupported) as e:
        list(_compact_of(path).scan())
    return str(e.value)


@pytest.mark.parametrize("chunk", [1, 1 << 14])
def test_indices_out_of_order_are_handed_over_with_their_line(tmp_path: Path, chunk: int) -> None:
    """Guards the density checks (``_dense`` on a chunk decoded at once, the per-line
    check otherwise): an index out of order is refused, naming its line, and the full
    reader's error comes out when the history is read."""
    lines = _pairs(3)
    lines[3] = _txn(4, "ok", process=1)
    path = _file(tmp_path, lines)
    with _chunks_of(chunk):
        message = _unsupported(path)
    assert message == ("line 4: index out of order" if chunk == 1 else "line 1: index out of order")
    with pytest.raises(HistoryFormatError) as e:
        list(_compact_of(path))
    assert e.value.line == 4


def test_a_carriage_return_is_handed_over(tmp_path: Path) -> None:
    """Guards ``_decode_chunk``'s and ``_lines``' carriage-return checks: the full reader
    splits a line there, so the scan refuses it, naming the line."""
    path = _file(tmp_path, _pairs(2), end="\r\n")
    assert _unsupported(path) == "line 1: a carriage return"
    assert len(_compact_of(path)) == 4  # the full reader reads it


def test_two_objects_on_a_line_are_handed_over(tmp_path: Path) -> None:
    """Guards ``_TWO_ON_A_LINE`` and the count check of ``_decode_chunk``: ``{op},{op}``
    on a line is no JSON Lines; the scan refuses it and the full reader names line 2."""
    lines = _pairs(2)
    lines[1:3] = [lines[1] + "," + lines[2]]
    path = _file(tmp_path, lines)
    _unsupported(path)
    with pytest.raises(HistoryFormatError) as e:
        list(_compact_of(path))
    assert e.value.line == 2


def test_extras_and_bad_json_are_handed_over(tmp_path: Path) -> None:
    """Guards ``_decode_other`` refusing what the contract's typed line does not read:
    extras go to the full reader (which keeps them), bad JSON to its error; ``len`` and
    the client count then come from the full ops."""
    lines = _pairs(2)
    lines[1] = _txn(1, "ok", process=0, note="extra")
    path = _file(tmp_path, lines)
    _unsupported(path)
    h = _compact_of(path)
    assert (len(h), h.client_op_count()) == (4, 2)
    assert h.materialised and h.op(1).extra == {"note": "extra"}
    bad = _file(tmp_path, [*_pairs(1), "{not json"], name="bad.jsonl")
    _unsupported(bad)
    with pytest.raises(HistoryFormatError) as e:
        len(_compact_of(bad))
    assert (e.value.path, e.value.line) == (str(bad), 3)


# -- read_compact: which paths are read compactly -------------------------------------


def test_read_compact_takes_jsonl_files_and_run_directories(tmp_path: Path) -> None:
    """Guards ``read_compact``'s choice: a JSONL file (detected, or ``format="jsonl"``)
    or a run directory's ``history.jsonl`` is a ``CompactHistory`` of that file."""
    path = _file(tmp_path, _pairs(1), name="history.jsonl")
    assert _compact_of(tmp_path).source == str(path)
    assert _compact_of(str(path)).source == str(path)
    h = read_compact(path, "jsonl")
    assert isinstance(h, CompactHistory) and len(h) == 2
    odd = _file(tmp_path, _pairs(1), name="h.txt")  # detected by content
    assert _compact_of(odd).source == str(odd)


def test_read_compact_leaves_everything_else_to_read_history(tmp_path: Path) -> None:
    """Guards the ``None`` answers: another format (named or detected), no such file, a
    directory with no ``history.jsonl``, a file whose format cannot be told."""
    jsonl = _file(tmp_path, _pairs(1))
    edn = tmp_path / "h.edn"
    edn.write_text("{:type :invoke, :f :txn, :value [], :process 0}\n", encoding="utf-8")
    unknown = tmp_path / "h.unknown"
    unknown.write_text("%%% what is this\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    assert read_compact(jsonl, "edn") is None
    assert read_compact(edn) is None
    assert read_compact(tmp_path / "missing.jsonl") is None
    assert read_compact(tmp_path / "empty") is None
    assert read_compact(unknown) is None
    with pytest.raises(HistoryFormatError):
        read_history(unknown)


def test_a_file_changed_under_a_scan_is_named_by_the_reread(tmp_path: Path) -> None:
    """Kills ``CompactHistory.op``'s assertion text -> ``"A SCANNED LINE ..."``: if the
    file is rewritten between the scan and a re-read (a line no longer of the contract's
    keys), the failure says what went wrong rather than a bare assertion."""
    path = _file(tmp_path, _pairs(2))
    h = _compact_of(path)
    assert len(h) == 4
    lines = _pairs(2)
    lines[1] = _txn(1, "ok", process=0, note="changed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"^a scanned line decodes as it did in the scan"):
        h.op(1)
