"""History readers: holes found by mutation testing (issue #19).

The survivors of ``tools/mutation.py run ddialab/history --sample 60 --seed 1`` among the
readers' error paths: the existing tests check that a fragment of the message is there,
which a message wrapped in other text still passes; bad input (exit 3) must say exactly
what was expected, in which file and on which line.  Each test names its mutant.

The sixth pass (fresh samples of 60, seeds 61-65, docs/testing.md) adds the survivors and
"no tests" mutants of those samples below its marker; each mutation was applied by hand
and the test seen to fail.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from ddialab.errors import HistoryFormatError
from ddialab.history import (
    FORMATS,
    INT,
    SCALAR,
    History,
    JsonlRecorder,
    Op,
    _formats,
    check_shapes,
    detect_format,
    dumps_op,
    fields,
    iter_history,
    iter_jsonl,
    list_of,
    literal,
    one_of,
    read_history,
    write_history,
)
from ddialab.history._edn import CHUNK as EDN_CHUNK
from ddialab.history._edn import iter_forms, loads, read_pieces
from ddialab.history._jepsen import iter_edn, iter_jepsen_log, iter_json_array, write_edn
from ddialab.history._porcupine import iter_porcupine_kv


def _error(read: object) -> tuple[object, object, str]:
    with pytest.raises(HistoryFormatError) as e:
        read()  # type: ignore[operator]
    return e.value.path, e.value.line, e.value.message


def test_an_edn_op_without_f_is_named_exactly() -> None:
    """Kills ``_jepsen._EdnOpMapper._f`` ``"op is missing :f"`` -> ``"XXop is missing :fXX"``."""
    text = io.StringIO("{:type :invoke, :process 0, :value 1}")
    assert _error(lambda: list(iter_edn(text, "h.edn"))) == ("h.edn", 1, "op is missing :f")


def test_text_after_a_json_array_is_named_exactly() -> None:
    """Kills ``_jepsen._json_punctuation``'s message -> ``"XX...XX"``."""
    text = io.StringIO('[{"type":"invoke","f":"r","process":0}]\n[]')
    assert _error(lambda: list(iter_json_array(text, "h.json"))) == (
        "h.json",
        2,
        "text after the closing ']' of the array",
    )


def test_a_porcupine_process_that_is_not_an_integer_is_shown() -> None:
    """Kills ``_porcupine._op`` ``dumps(process)`` -> ``dumps(None)`` in the message (it
    said 'got null' whatever the process was)."""
    text = io.StringIO('{:process :p, :type :invoke, :f :get, :key "1"}')
    _, _, message = _error(lambda: list(iter_porcupine_kv(text, "kv.txt")))
    assert message == ':process must be an integer, got "p"'


def test_a_missing_file_is_named_without_a_line() -> None:
    """Kills ``_formats.iter_history`` ``HistoryFormatError(p, None, "no such file")`` ->
    ``HistoryFormatError(p, "no such file")`` (the message taken for a line)."""
    path = "/nonexistent/h.jsonl"
    assert _error(lambda: read_history(path)) == (path, None, "no such file")


def test_a_bad_process_in_jsonl_names_the_file(tmp_path: Path) -> None:
    """Kills ``_validate.op_from_mapping``'s process error with ``path`` -> ``None``: the
    error names the file as well as the line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"index":0,"time":0,"type":"invoke","process":"x","f":"read","value":null}\n')
    assert _error(lambda: read_history(bad)) == (
        str(bad),
        1,
        "'process' must be an integer or \"nemesis\"; got 'x'",
    )


def test_jepsen_log_nemesis_ops_take_their_index_as_time() -> None:
    """Kills ``_jepsen.iter_jepsen_log`` ``Op(index, index, ...)`` -> ``Op(index, None,
    ...)`` for nemesis lines: a log has no clock, so every op's time is its place, faults
    included (the reports place faults on the time axis)."""
    text = io.StringIO(
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
        "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
        "INFO  jepsen.util - 0\t:ok\t:read\t3\n"
    )
    ops = list(iter_jepsen_log(text, "h.log"))
    assert [(op.process, op.index, op.time) for op in ops] == [
        (0, 0, 0),
        ("nemesis", 1, 1),
        (0, 2, 2),
    ]


# -- sixth pass (fresh samples, seeds 61-65) -------------------------------------------


def test_a_tagged_top_level_op_keeps_the_tags_line() -> None:
    """Kills ``_edn._Reader._add`` ``line = frame.line`` -> ``line = None``: an op written
    as a tagged record (``#jepsen.history.Op{...}``, the tag on its own line) is placed
    at the tag's line, so a message about it names a line (not none)."""
    text = io.StringIO(
        "{:type :invoke, :f :read, :process 0, :value nil}\n"
        "#jepsen.history.Op\n{:type :ok, :f :read, :process 0, :value 1}\n"
        "#_ {:a 1} #foo {:type :invoke, :f :read, :process 1, :value nil}\n"
    )
    assert [op.line for op in iter_edn(text, "h.edn")] == [1, 2, 4]


def test_an_unknown_format_lists_the_known_ones() -> None:
    """Kills ``_formats.detect_format`` ``names = ", ".join(FORMATS)`` -> ``None``: the
    usage hint must name the formats ``--format`` takes (it said ``one of: None``)."""
    with pytest.raises(HistoryFormatError) as e:
        detect_format("h.unknown", "%%% what is this")
    assert (e.value.path, e.value.line) == ("h.unknown", 1)
    assert e.value.message == (
        f"cannot tell the history format; pass --format (one of: {', '.join(FORMATS)})"
    )
    assert "jsonl, " in e.value.message


def test_a_log_value_naming_jepsen_util_is_read() -> None:
    """Kills ``_jepsen._general_fields`` ``line.find("jepsen.util")`` -> ``rfind``: a
    value that itself contains ``jepsen.util`` made the line look like another logger
    message, and the op was silently dropped."""
    text = io.StringIO('INFO jepsen.util - 0\t:invoke\t:write\t"see jepsen.util logs"\n')
    ops = list(iter_jepsen_log(text, "h.log"))
    assert [(op.process, op.f, op.value) for op in ops] == [(0, "write", "see jepsen.util logs")]


def test_a_log_line_starting_with_the_logger_name_is_read() -> None:
    """Kills ``_jepsen._general_fields`` ``p >= 0`` -> ``p >= 1``: a line that begins
    with ``jepsen.util`` (no timestamp or level before it) and a value only the general
    path reads (a map) was dropped as not an op line."""
    text = io.StringIO("jepsen.util - 1\t:invoke\t:write\t{:a 1}\n")
    ops = list(iter_jepsen_log(text, "h.log"))
    assert [(op.process, op.type, op.value, op.line) for op in ops] == [(1, "invoke", {"a": 1}, 1)]


def test_one_character_after_a_json_array_is_an_error() -> None:
    """Kills ``_jepsen._json_punctuation`` ``"end", pos + 1`` -> ``pos + 2``: the
    character right after the closing ``]`` was skipped unread, so ``[...]x`` passed."""
    text = io.StringIO('[{"type":"invoke","f":"r","process":0}]x')
    assert _error(lambda: list(iter_json_array(text, "h.json"))) == (
        "h.json",
        1,
        "text after the closing ']' of the array",
    )


def test_a_nan_is_written_as_edn_nan() -> None:
    """Kills ``_edn._float`` ``"##NaN"`` -> ``"XX##NaNXX"``: a NaN value must be written
    as EDN's ``##NaN`` and read back as a NaN."""
    out = io.StringIO()
    write_edn([Op(0, 0, "ok", 0, "read", [math.nan, math.inf, -math.inf, 1.5])], out)
    assert "[##NaN ##Inf ##-Inf 1.5]" in out.getvalue()
    (op,) = iter_edn(io.StringIO(out.getvalue()), "h.edn")
    assert math.isnan(op.value[0]) and op.value[1:] == [math.inf, -math.inf, 1.5]


def test_a_completion_nobody_invoked_stays_unpaired() -> None:
    """Kills ``_op._compute_pairs`` ``pop(process, -1)`` -> ``pop(process)`` (a
    ``KeyError`` while pairing a history whose first op of a process is a completion)
    and ``History.completion``/``invocation`` reading no pair: each names its partner,
    and an unpaired op has none."""
    h = History(
        [
            Op(0, 0, "ok", 1, "read", 1),
            Op(1, 1, "invoke", 0, "read", None),
            Op(2, 2, "invoke", 2, "read", None),
            Op(3, 3, "ok", 0, "read", 2),
        ]
    )
    assert h.pairs() == [-1, 3, -1, 1]
    assert h.completion(h[1]) is h[3] and h.invocation(h[3]) is h[1]
    assert h.completion(h[2]) is None and h.invocation(h[0]) is None


def test_the_shape_helpers_test_and_describe_values() -> None:
    """Kills ``_shape._is_scalar`` ``or`` -> ``and`` (only null a scalar), ``fields``
    building a shape without its test, ``literal``'s text ``" | ".join(None)`` and
    ``one_of`` testing nothing: each shape accepts what it says, refuses the rest, and
    says it in words."""
    assert [SCALAR(v) for v in (None, 1, 1.5, "a", True, [1], {"a": 1})] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    kv = fields(key=INT, value=SCALAR)
    assert kv({"key": 1, "value": "x", "more": []}) and not kv({"key": "1", "value": 2})
    assert not kv({"key": 1})
    assert kv.text == '{"key": an integer, "value": a scalar (number, string, boolean or null)}'
    kind = literal("r", "w")
    assert kind("w") and not kind("append") and kind.text == '"r" | "w"'
    either = one_of(INT, list_of(INT))
    assert either(3) and either([1, 2]) and not either("3") and not either(["3"])
    assert either.text == "an integer or an array of an integer"


def test_check_shapes_names_the_op_that_breaks_its_shape() -> None:
    """Kills ``_shape.check_shapes`` ``bad_op(history, op, msg)`` -> ``bad_op(history,
    msg)`` (a ``TypeError``, a traceback for a user's bad input): the error names file,
    line, op and the shape expected; nemesis ops and undeclared ``f``s are not checked."""
    h = History(
        [
            Op(0, 0, "info", "nemesis", "read", {"x": 1}, line=1),
            Op(1, 1, "invoke", 0, "write", "free", line=2),
            Op(2, 2, "invoke", 0, "read", {"x": 1}, line=3),
        ],
        source="h.jsonl",
    )
    table = {("read", "*"): SCALAR}
    with pytest.raises(HistoryFormatError) as e:
        check_shapes(h, table, "register")
    assert str(e.value) == (
        "h.jsonl:3: op 2 (invoke read): the register checker expects a scalar (number, "
        'string, boolean or null); got {"x": 1}'
    )
    check_shapes(History(h[:2], source="h.jsonl"), table, "register")


def test_the_recorder_writes_each_op_at_once_and_syncs_only_when_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kills ``JsonlRecorder.__init__`` ``durable=False`` -> ``True`` (an fsync per op,
    ~1 ms each, by default) and ``count = 0`` -> ``None``: each op is on disk (flushed)
    before the next, ``count`` counts them, and only a durable recorder syncs per op."""
    syncs: list[int] = []
    monkeypatch.setattr("ddialab.history._jsonl.os.fsync", lambda fd: syncs.append(fd))
    path = tmp_path / "h.jsonl"
    op = Op(0, 0, "invoke", 0, "read", None)
    with JsonlRecorder(path) as rec:
        rec.record(op)
        assert path.read_text() == dumps_op(op) + "\n"
        assert (rec.count, len(syncs)) == (1, 0)
    assert len(syncs) == 1  # close syncs once
    with JsonlRecorder(tmp_path / "d.jsonl", durable=True) as rec:
        rec.record(op)
        rec.record(op)
        assert (rec.count, len(syncs)) == (2, 3)


def test_a_flat_top_level_vector_streams_its_atoms() -> None:
    """Kills ``_edn._Reader._flat_top_level`` ``_atom(a, self, lineno)`` -> ``_atom(a,
    self)`` (a ``TypeError`` on any flat vector of atoms at the top of an unwrapped
    text): each atom is a form, on the line it is on."""
    lines = ["[1 :a\n", " 2.5 nil]\n", "[3 4]\n"]
    assert list(iter_forms(lines, "x.edn", unwrap=True)) == [
        (1, 1),
        ("a", 1),
        (2.5, 2),
        (None, 2),
        (3, 3),
        (4, 3),
    ]


def test_write_history_writes_utf8_whatever_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kills ``_formats.write_history`` ``open(path, "w", encoding="utf-8")`` -> no
    encoding (the platform's locale encoding: a history written on one machine unreadable
    on another; the readers always read UTF-8)."""
    opened: list[object] = []

    def spy(*args: object, **kwargs: object) -> object:
        opened.append(kwargs.get("encoding"))
        return open(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(_formats, "open", spy, raising=False)
    path = tmp_path / "h.edn"  # EDN keeps non-ASCII text as is (JSONL escapes it)
    write_history([Op(0, 0, "invoke", 0, "write", "é")], path, "edn")
    assert opened == ["utf-8"]
    assert ':value "é"' in path.read_bytes().decode("utf-8")


def test_log_lines_that_are_not_ops_are_skipped() -> None:
    """Kills ``_jepsen._general_fields`` ``"\\t:" in line and (starts like an op)`` ->
    ``or``: a log line of another logger that starts with a digit (a timestamp) or holds
    a tab-colon was taken for an op line and refused as malformed."""
    text = io.StringIO(
        "2024-01-01 12:00:00 INFO starting the test\n"
        "note\t:this is not an op\n"
        "INFO jepsen.util - 0\t:invoke\t:write\t3\n"
    )
    ops = list(iter_jepsen_log(text, "h.log"))
    assert [(op.process, op.type, op.f, op.value, op.line) for op in ops] == [
        (0, "invoke", "write", 3, 3)
    ]


def test_a_logged_error_form_is_the_ops_error() -> None:
    """Kills ``_jepsen._general_fields`` ``forms[2] if len(forms) == 3`` -> always the
    list (one error form read as ``[error]``) and ``iter_jepsen_log`` passing ``None``
    for the error to ``_etcd_op`` (the error lost): a single error form is the op's
    error as is; more forms are a list."""
    text = io.StringIO(
        "INFO jepsen.util - 0\t:invoke\t:write\t3\n"
        "INFO jepsen.util - 0\t:fail\t:write\t3\t:timeout\n"
        "INFO jepsen.util - 1\t:invoke\t:cas\t[1 2]\n"
        "INFO jepsen.util - 1\t:info\t:cas\t[1 2]\t:net :down\n"
    )
    ops = list(iter_jepsen_log(text, "h.log"))
    assert [(op.type, op.error) for op in ops] == [
        ("invoke", None),
        ("info", "timeout"),
        ("invoke", None),
        ("info", ["net", "down"]),
    ]


def test_a_second_logger_name_on_an_op_line_is_part_of_its_value() -> None:
    """Kills ``_jepsen._op_fields`` ``line.find("jepsen.util")`` -> ``rfind``: the op
    is the one after the *first* logger name; a later ``jepsen.util - 1 ...`` in the
    same line is text of that op, not another op."""
    line = "INFO jepsen.util - 0\t:info\t:log\tjepsen.util - 1\t:invoke\t:read\tnil\n"
    (op,) = iter_jepsen_log(io.StringIO(line), "h.log")
    assert (op.process, op.type, op.f, op.value) == (0, "info", "log", "jepsen.util")


@pytest.mark.parametrize(
    ("line", "kind"),
    [('"an op"', "a string"), ("[1]", "an array"), ("null", "null"), ("3", "int")],
)
def test_a_line_that_is_not_an_object_names_what_it_is(line: str, kind: str) -> None:
    """Kills ``_validate._kind``'s words (``"a string"`` -> ``"XXa stringXX"``, and the
    others): a JSONL line that is not an op object says what it is instead."""
    first = '{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}'
    read = lambda: list(iter_jsonl(io.StringIO(first + "\n" + line + "\n"), "h.jsonl"))  # noqa: E731
    assert _error(read) == ("h.jsonl", 2, f"expected a JSON object (an op), got {kind}")


def test_a_run_directory_reads_its_history_file(tmp_path: Path) -> None:
    """Kills ``_formats._history_in_run_dir`` ``os.path.join(d, name)`` ->
    ``join(None, name)``: a run directory is read through its ``history.jsonl`` (or
    ``history.edn``), and a directory with neither is named as not a run directory."""
    op = Op(0, 0, "invoke", 0, "read", None)
    (tmp_path / "a").mkdir()
    write_history([op], tmp_path / "a" / "history.jsonl")
    (tmp_path / "b").mkdir()
    write_history([op], tmp_path / "b" / "history.edn", "edn")
    (tmp_path / "c").mkdir()
    for d in ("a", "b"):
        h = read_history(tmp_path / d)
        assert h.ops == [op] and h.source is not None and h.source.startswith(str(tmp_path / d))
        assert list(iter_history(tmp_path / d)) == [op]
    assert _error(lambda: read_history(tmp_path / "c")) == (
        str(tmp_path / "c"),
        None,
        "a directory, but not a run directory (no history.jsonl)",
    )


def test_loads_of_two_forms_names_line_one() -> None:
    """Kills ``_edn.loads`` ``HistoryFormatError(path, 1, ...)`` -> ``(path, None,
    ...)``: a text that is not exactly one form is placed at its first line."""
    assert _error(lambda: loads("1 2", "x.edn")) == ("x.edn", 1, "expected one EDN form, found 2")


@pytest.mark.parametrize("unwrap", [False, True])
def test_a_mismatched_closer_names_its_opener(unwrap: bool) -> None:
    """Kills ``_edn._Reader._close`` ``opener = kind.rstrip("*")`` -> ``None``: the
    message names the bracket that was opened (``'['``, also for an unwrapped top-level
    vector, kind ``[*``), where, and what closed it instead."""
    read = lambda: list(iter_forms(["\n", "[1 2)\n"], "x.edn", unwrap=unwrap))  # noqa: E731
    assert _error(read) == ("x.edn", 2, "expected ']' to close '[' from line 2, got ')'")


def test_a_long_line_is_read_in_pieces() -> None:
    """Kills ``_edn.read_pieces`` ``getattr(stream, "readline", None)`` -> ``None`` (a
    file iterated line by line: a history written as one enormous line held whole): a
    line longer than ``CHUNK`` comes in pieces of at most ``CHUNK``, only the last with
    the newline; a plain iterable of lines is passed through."""
    line = "x" * (EDN_CHUNK + 10) + "\n"
    pieces = list(read_pieces(io.StringIO(line + "y\n")))
    assert [len(p) for p in pieces] == [EDN_CHUNK, 11, 2]
    assert "".join(pieces) == line + "y\n"
    assert list(read_pieces([line, "y\n"])) == [line, "y\n"]


def test_a_negative_time_names_its_line(tmp_path: Path) -> None:
    """Kills ``_validate._expect_int`` ``HistoryFormatError(path, line, ...)`` ->
    ``(path, None, ...)``: an index or time that is not a non-negative integer is bad
    input at its file and line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"index":0,"time":0,"type":"invoke","process":0,"f":"r"}\n'
        '{"index":1,"time":-3,"type":"invoke","process":0,"f":"r"}\n'
    )
    assert _error(lambda: read_history(bad)) == (
        str(bad),
        2,
        "'time' must be a non-negative integer; got -3",
    )
