import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import Op, read_history
from ddialab.history._porcupine import iter_porcupine_kv


def kv_ops(text: str) -> list[Op]:
    return list(iter_porcupine_kv(io.StringIO(text), "kv.txt"))


def test_kv_lines_become_keyed_ops():
    ops = kv_ops(
        '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n'
        '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n'
        '{:process 1, :type :invoke, :f :get, :key "7", :value nil}\n'
        '{:process 2, :type :invoke, :f :put, :key "1", :value "a"}\n'
        '{:process 1, :type :ok, :f :get, :key "7", :value ""}\n'
    )
    assert ops == [
        Op(0, 0, "invoke", 0, "append", ["0", "x 0 0 y"]),
        Op(1, 1, "ok", 0, "append", ["0", "x 0 0 y"]),
        Op(2, 2, "invoke", 1, "get", ["7", None]),
        Op(3, 3, "invoke", 2, "put", ["1", "a"]),
        Op(4, 4, "ok", 1, "get", ["7", ""]),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            '{:process 0, :type :invoke, :f :get, :key "1"}\n{:process 0, :f :get, :key "1"}',
            2,
            "missing :type",
        ),
        ('{:process 0, :type :invoke, :key "1"}', 1, "missing :f"),
        ('{:type :invoke, :f :get, :key "1"}', 1, "missing :process"),
        ("{:process 0, :type :invoke, :f :get}", 1, "missing :key"),
        ('\n{:process 0, :type :fail, :f :get, :key "1"}', 2, ":invoke or :ok"),
        ('{:process 0, :type :invoke, :f :cas, :key "1"}', 1, ":get, :put or :append"),
        ('{:process :p, :type :invoke, :f :get, :key "1"}', 1, ":process must be"),
        ('{:process 0, :type :invoke, :f :get, :key "1"', 1, "never closed"),
        ('{:process 0, :type :invoke, :f :put, :key "1, :value 2}', 1, "unterminated string"),
        ("[1 2]", 1, "expected an op map"),
    ],
)
def test_bad_kv_lines_name_the_line(text, line, fragment):
    with pytest.raises(HistoryFormatError) as e:
        kv_ops(text)
    assert (e.value.path, e.value.line) == ("kv.txt", line)
    assert fragment in e.value.message


@given(st.text(alphabet='{}[] :processtypinvkfgu0123"\n,', max_size=40))
def test_arbitrary_text_only_ever_raises_history_format_error(text):
    """Guards the reader's error reporting: any text either reads as ops or raises a
    HistoryFormatError naming this file, a line of the text, and what was expected."""
    try:
        ops = kv_ops(text)
    except HistoryFormatError as e:
        assert e.path == "kv.txt"
        assert e.line is not None and 1 <= e.line <= text.count("\n") + 1, e.line
        assert e.message.strip()
    else:
        assert all(isinstance(op, Op) for op in ops)


def test_every_corpus_kv_file_parses(corpus, corpus_file):
    files = sorted(corpus.glob("porcupine/kv/*.txt"))
    assert len(files) == 6
    for path in files:
        h = read_history(path)  # detected from the content
        assert {op.type for op in h} <= {"invoke", "ok"}
        assert all(isinstance(op.value, list) and len(op.value) == 2 for op in h)
    c01 = read_history(corpus_file("porcupine/kv/c01-ok.txt"))
    assert c01[0] == Op(0, 0, "invoke", 0, "append", ["0", "x 0 0 y"])
    gets = [op for op in c01 if op.f == "get"]
    assert (gets[0].type, gets[0].value) == ("invoke", ["5", None])
    assert (gets[1].type, gets[1].value) == ("ok", ["5", ""])
