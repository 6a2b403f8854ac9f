"""The regex fast path of the Porcupine kv reader against its EDN path.

``iter_porcupine_kv`` reads lines in Porcupine's exact shape with one regex and hands the
rest of a file, from the first other line, to the EDN reader.  Both must give the same
ops (indices, values, extras, lines) or the same error: a fast path that drifts (a value
read wrongly, an escape taken literally, a line number shifted by the hand-over) fails.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history._porcupine import _edn_ops, iter_porcupine_kv

TEXT = st.text(alphabet='ab x0"\\\n', max_size=6)


def _edn_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@st.composite
def lines(draw) -> str:
    """One line: mostly Porcupine's own shape, sometimes one it never writes."""
    kind = draw(st.sampled_from(["exact", "exact", "exact", "odd", "blank", "bad"]))
    if kind == "blank":
        return "\n"
    if kind == "bad":
        return draw(st.sampled_from(["{:process 1}\n", "{:process 007, :type :ok}\n", "[1 2]\n"]))
    p = draw(st.sampled_from(["0", "3", "12"]))
    typ = draw(st.sampled_from(["invoke", "ok"]))
    f = draw(st.sampled_from(["get", "put", "append"]))
    key = _edn_str(draw(TEXT))
    value = draw(st.sampled_from(["", ", :value nil"])) or f", :value {_edn_str(draw(TEXT))}"
    sep = ", " if kind == "exact" else draw(st.sampled_from([" ", ",  "]))
    extra = "" if kind == "exact" else draw(st.sampled_from(["", ", :time 5"]))
    return f"{{:process {p}{sep}:type :{typ}, :f :{f}, :key {key}{value}{extra}}}\n"


def ops_or_error(read, text: str) -> object:
    try:
        return [(op, op.line, op.extra) for op in read(io.StringIO(text), "h.txt")]
    except HistoryFormatError as e:
        return str(e)


@settings(max_examples=300, deadline=None)
@given(st.lists(lines(), max_size=8))
def test_the_fast_path_reads_what_the_edn_path_reads(ls: list[str]) -> None:
    """Guards the fast path's fidelity and the hand-over's line numbers."""
    text = "".join(ls)
    assert ops_or_error(iter_porcupine_kv, text) == ops_or_error(_edn_ops, text)


def test_an_exact_file_takes_the_fast_path_and_a_later_odd_line_is_numbered_right() -> None:
    """Guards that the hand-over happens at the odd line with its own line number (the
    EDN reader, given the rest alone, would call it line 1)."""
    good = '{:process 0, :type :invoke, :f :put, :key "k", :value "v"}\n'
    with_extra = '{:process 0, :type :ok, :f :put, :key "k", :value "v", :time 1}\n'
    ops = list(iter_porcupine_kv(io.StringIO(good * 3 + with_extra + good), "h.txt"))
    assert [op.line for op in ops] == [1, 2, 3, 4, 5]
    assert [op.index for op in ops] == [0, 1, 2, 3, 4]
    assert ops[3].extra == {"time": 1} and ops[0].value == ["k", "v"]
