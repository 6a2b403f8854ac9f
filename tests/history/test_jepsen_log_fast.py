"""The one-regex path of the Jepsen log reader against its general (EDN) path.

``_op_fields`` reads the common op line (``jepsen.util - 3\\t:ok\\t:cas\\t[1 2]``) with one
regex and every other line the general way; both must give the same fields, or the
same error, for any line -- a fast path that reads a value differently (a keyword, a
negative number, a vector), or accepts a line the general path rejects, fails here.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history._jepsen import _PLAIN_LINE, _general_fields, _op_fields

INT = st.sampled_from(["0", "4", "-3", "12", "007", "-0"])
VALUE = st.one_of(
    st.sampled_from(["nil", ":timed-out", ":foo/bar", '"s"', "[1 2 3]", "{:a 1}", ""]),
    INT,
    st.builds(lambda a, b: f"[{a} {b}]", INT, INT),
)


@st.composite
def lines(draw) -> str:
    prefix = draw(st.sampled_from(["INFO  jepsen.util - ", "jepsen.util: ", "x jepsen.util - "]))
    proc = draw(st.sampled_from(["0", "17", ":nemesis", "x"]))
    typ = draw(st.sampled_from([":invoke", ":ok", ":fail", ":info", ":bogus"]))
    f = draw(st.sampled_from([":read", ":write", ":cas", ":start-partition", "read"]))
    sep = draw(st.sampled_from(["\t", "\t", " "]))
    tail = draw(st.sampled_from(["\n", "", "  \n", "\t:extra\n"]))
    return f"{prefix}{proc}{sep}{typ}{sep}{f}{sep}{draw(VALUE)}{tail}"


def fields_or_error(read, line: str) -> object:
    try:
        return read(line, "h.log", 7)
    except HistoryFormatError as e:
        return str(e)


@settings(max_examples=500, deadline=None)
@given(lines())
def test_the_plain_line_path_reads_what_the_general_path_reads(line: str) -> None:
    """Guards the fast path's fidelity on common and uncommon lines alike."""
    assert fields_or_error(_op_fields, line) == fields_or_error(_general_fields, line)


def test_the_common_lines_take_the_plain_path() -> None:
    """Guards that the fast path is used at all (else it is dead code): a common line's
    value is the regex's own reading, equal to the general one."""
    line = "INFO  jepsen.util - 3\t:ok\t:cas\t[1 -2]\n"
    assert _PLAIN_LINE.fullmatch(line, line.find("jepsen.util")) is not None
    assert _op_fields(line, None, 1) == (3, "ok", "cas", [1, -2], None)
    assert _op_fields(line, None, 1) == _general_fields(line, None, 1)
