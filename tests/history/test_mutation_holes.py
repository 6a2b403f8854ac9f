"""History readers: holes found by mutation testing (issue #19).

The survivors of ``tools/mutation.py run ddialab/history --sample 60 --seed 1`` among the
readers' error paths: the existing tests check that a fragment of the message is there,
which a message wrapped in other text still passes; bad input (exit 3) must say exactly
what was expected, in which file and on which line.  Each test names its mutant.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ddialab.errors import HistoryFormatError
from ddialab.history import read_history
from ddialab.history._jepsen import iter_edn, iter_jepsen_log, iter_json_array
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
