"""The one-op-a-line fast path of the JSON array reader against the general scanner.

``iter_json_array`` decodes elle-cli's layout (one op object a line) with msgspec and
hands any other layout to ``_scan_array`` at the first line that does not fit.  These
tests hold the reader to the general scanner on arbitrary arrays laid out at random:
the same ops (every field, extras and line numbers included) or the same error.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import _jepsen
from ddialab.history._edn import read_pieces
from ddialab.history._jepsen import _EdnOpMapper, _scan_array, iter_json_array

SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**70), st.text(max_size=3))
JSONV = st.recursive(
    SCALAR,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=2), c, max_size=2),
    max_leaves=4,
)
OP = st.fixed_dictionaries(
    {"type": st.sampled_from(["invoke", "ok", "fail", "info", "bad"]) | JSONV},
    optional={
        "f": st.sampled_from(["txn", "read"]) | JSONV,
        "process": st.integers(0, 3) | st.just("nemesis") | JSONV,
        "value": JSONV,
        "index": st.integers(0, 5),
        "time": st.integers(-1, 5),
        "extra key": JSONV,
    },
)
#: What goes between two ops (and around the array): elle-cli's ",\n" most often.
SEP = st.sampled_from([",\n", ",\n", ",\n", ", ", "\n,", ",\n\n", ",", " ,\n", ",,\n"])
EDGE = st.sampled_from(["", "\n", " ", "\n\n", "x", "\t"])


@st.composite
def arrays(draw: Any) -> str:
    ops = [json.dumps(op, separators=(",", draw(st.sampled_from([":", ": "])))) for op in
           draw(st.lists(OP, max_size=5))]  # fmt: skip
    if ops and draw(st.booleans()):  # an op across lines
        i = draw(st.integers(0, len(ops) - 1))
        ops[i] = ops[i].replace(",", ",\n", 1)
    text = ""
    for i, op in enumerate(ops):
        text += (draw(SEP) if i else "") + op
    head = draw(st.sampled_from(["[", "[\n", " [", "[ ", ""]))
    tail = draw(st.sampled_from(["]", "]\n", "\n]", "] x", ""]))
    return draw(EDGE) + head + text + tail + draw(EDGE)


def outcome(ops: Any) -> Any:
    try:
        return [(op.to_dict(), op.line) for op in ops]
    except HistoryFormatError as e:
        return str(e)


def general(text: str) -> Any:
    mapper = _EdnOpMapper("h.json", False)
    return outcome(_scan_array(read_pieces(io.StringIO(text)), mapper, "h.json", ("start", 1, 0)))


@settings(max_examples=400)
@given(arrays())
def test_the_fast_path_reads_exactly_what_the_general_scanner_reads(text: str) -> None:
    """Guards: a fast path that accepts a layout the scanner rejects (``,,``, text after
    the array, a missing ``]``), numbers lines differently, or maps an op otherwise."""
    assert outcome(iter_json_array(io.StringIO(text), "h.json")) == general(text)


@pytest.mark.parametrize("typ", ["[1]", '{"a": 1}', "true", "7"])
def test_a_type_of_the_wrong_kind_is_bad_input_not_a_traceback(typ: str) -> None:
    """Guards: an unhashable :type (a list, a map) reaching ``typ in OP_TYPES`` and
    raising TypeError (a traceback, exit 1) instead of exit 3 naming file and line."""
    text = f'[{{"type":"ok","f":"txn","process":0}},\n{{"type":{typ},"f":"txn","process":0}}]\n'
    with pytest.raises(HistoryFormatError) as e:
        list(iter_json_array(io.StringIO(text), "h.json"))
    assert str(e.value) == f"h.json:2: unknown op type {json.loads(typ)!r} (expected {TYPES})"


TYPES = ":invoke, :ok, :fail or :info"


def test_elle_cli_layout_is_read_line_by_line_with_its_line_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards: the layout elle-cli writes falling to the slow path unnoticed (a reader
    that is right but as slow as before), or line numbers off by the opening bracket."""
    handed: list[tuple[str, int, int]] = []

    def scan(pieces: Any, mapper: Any, path: Any, at: tuple[str, int, int]) -> Any:
        handed.append(at)
        return _scan_array(pieces, mapper, path, at)

    monkeypatch.setattr(_jepsen, "_scan_array", scan)
    text = '[{"type":"invoke","f":"txn","value":[["r","x",null]],"process":0},\n' + (
        '{"type":"ok","f":"txn","value":[["r","x",1]],"process":0}]\n'
    )
    got = list(iter_json_array(io.StringIO(text), "h.json"))
    assert [(op.index, op.type, op.line) for op in got] == [(0, "invoke", 1), (1, "ok", 2)]
    assert handed == [("end", 3, 2)]  # the general scanner saw only the end of the file
    assert outcome(got) == general(text)
