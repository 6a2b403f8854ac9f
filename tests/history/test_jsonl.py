import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import History, Op, iter_jsonl, read_history, write_jsonl

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def ops(draw):
    n = draw(st.integers(0, 20))
    out = []
    for i in range(n):
        out.append(
            Op(
                index=i,
                time=i * 10,
                type=draw(st.sampled_from(["invoke", "ok", "fail", "info"])),
                process=draw(st.integers(0, 5) | st.just("nemesis")),
                f=draw(st.sampled_from(["read", "write", "cas", "txn"])),
                value=draw(json_values),
                node=draw(st.none() | st.just("n1")),
                error=draw(st.none() | st.just("timeout")),
                extra=draw(st.dictionaries(st.sampled_from(["a", "zz"]), json_values, max_size=2)),
            )
        )
    return out


@given(ops())
def test_jsonl_round_trip(history):
    buf = io.StringIO()
    write_jsonl(history, buf)
    back = list(iter_jsonl(buf.getvalue().splitlines()))
    assert back == history


def _bad(text):
    with pytest.raises(HistoryFormatError) as e:
        list(iter_jsonl(text.splitlines(), "h.jsonl"))
    return str(e.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"index":0', "h.jsonl:1: invalid JSON"),
        ("[1,2]", "expected a JSON object"),
        ('{"index":0,"time":0,"type":"ok","process":0}', "missing the required key 'f'"),
        ('{"index":0,"time":0,"type":"done","process":0,"f":"read"}', "'type' must be one of"),
        ('{"index":0,"time":-1,"type":"ok","process":0,"f":"read"}', "'time' must be a non-neg"),
        ('{"index":1,"time":0,"type":"ok","process":0,"f":"read"}', "expected op index 0, got 1"),
        ('{"index":0,"time":0,"type":"ok","process":"x","f":"read"}', "'process' must be"),
        ('{"index":0,"time":0,"type":"ok","process":0,"f":3}', "'f' must be a string"),
    ],
)
def test_malformed_jsonl_names_file_line_and_problem(text, needle):
    assert needle in _bad(text)


def test_error_reports_the_right_line(tmp_path):
    p = tmp_path / "h.jsonl"
    good = json.dumps({"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "read"})
    p.write_text(good + "\n\n" + "{oops\n")
    with pytest.raises(HistoryFormatError) as e:
        read_history(p)
    assert e.value.line == 3


def test_pairs_match_invocations_with_completions():
    h = History(
        [
            Op(0, 0, "invoke", 0, "write", 1),
            Op(1, 1, "invoke", 1, "read", None),
            Op(2, 2, "ok", 0, "write", 1),
            Op(3, 3, "invoke", "nemesis", "start", None),
            Op(4, 4, "info", 1, "read", None),
        ]
    )
    assert h.pairs() == [2, 4, 0, -1, 1]
    assert [(i.index, c and c.index) for i, c in h.completed_pairs()] == [(0, 2), (1, 4)]
