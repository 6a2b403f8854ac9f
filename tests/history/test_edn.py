import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import _edn
from ddialab.history._edn import _fast_map, dumps, iter_forms, keyword, loads, loads_all


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nil", None),
        ("true", True),
        ("false", False),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("12345678901234567890N", 12345678901234567890),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("2.5M", 2.5),
        ("1/4", 0.25),
        (":invoke", "invoke"),
        (":foo/bar", "foo/bar"),
        ("sym", "sym"),
        ("-x", "-x"),
        ('"a\\"b\\\\c\\n\\t\\u0041"', 'a"b\\c\n\tA'),
        ("\\a", "a"),
        ("\\newline", "\n"),
        ("\\u0042", "B"),
        ("[1 :a nil]", [1, "a", None]),
        ("(1 2)", [1, 2]),
        ("[1, 2,3]", [1, 2, 3]),
        ("[]", []),
        ("[[:append 1 2] [:r 1 nil]]", [["append", 1, 2], ["r", 1, None]]),
        ("#{3 1 2}", [1, 2, 3]),
        ("#{:b 1}", ["b", 1]),  # not comparable: read order
        ("{:a 1, :b [2]}", {"a": 1, "b": [2]}),
        ('{"s" 1}', {"s": 1}),
        ("{1 :x, nil 2, [1 2] 3}", {"1": "x", "nil": 2, "[1 2]": 3}),
        ('#inst "2020-01-01"', "2020-01-01"),
        ("#jepsen.history.Op{:type :ok}", {"type": "ok"}),
        ("#object[Foo 0x1f {:status :pending}]", ["Foo", 31, {"status": "pending"}]),
        ("[1 #_ 2 3]", [1, 3]),
        ("[1 #_ #_ 2 3 4]", [1, 4]),
        ("[1 ; comment ]\n 2]", [1, 2]),
        ('#"a.b"', "a.b"),
        ("##Inf", math.inf),
        ("##-Inf", -math.inf),
    ],
)
def test_reads_each_kind_of_value(text, expected):
    assert loads(text) == expected


def test_nan():
    assert math.isnan(loads("##NaN"))


def test_forms_carry_their_first_line():
    text = '; header\n{:a 1} {:b 2}\n\n{:c\n "x\ny"\n :d 3}\n7\n'
    got = list(iter_forms(text.splitlines(keepends=True)))
    assert got == [({"a": 1}, 2), ({"b": 2}, 2), ({"c": "x\ny", "d": 3}, 4), (7, 8)]


def test_unwrap_streams_the_elements_of_a_top_level_vector():
    lines = ["[{:a 1}\n", " {:b 2}\n", "]\n"]
    assert list(iter_forms(lines, unwrap=True)) == [({"a": 1}, 1), ({"b": 2}, 2)]
    assert list(iter_forms(["({:a 1})"], unwrap=True)) == [({"a": 1}, 1)]
    assert list(iter_forms(["[]"], unwrap=True)) == []
    assert list(iter_forms(["[[1 2]]"], unwrap=True)) == [([1, 2], 1)]


def test_reading_is_streaming():
    """The first form is yielded before the stream is exhausted."""

    def lines():
        yield "[{:a 1}\n"
        yield "{:b 2}\n"
        raise AssertionError("read too far")

    forms = iter_forms(lines(), unwrap=True)
    assert next(forms) == ({"a": 1}, 1)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("[1 2\n3", 1, "never closed"),
        ("{:a 1}\n{:b\n 2", 2, "never closed"),
        ("[1\n 2)", 2, "expected ']'"),
        ("{:a 1}\n]", 2, "unmatched"),
        ('{:a 1}\n{:b "abc\n\n', 2, "unterminated string"),
        ("\n\n{:a}", 3, "even number"),
        ("{:a 12abc}", 1, "invalid number"),
        ("[1 2x]", 1, "invalid number"),
        ("1.2.3", 1, "invalid number"),
        ("1/0", 1, "invalid number"),
        ('\n"\\q"', 2, "invalid escape"),
        ("[#_]", 1, "form was expected"),
        ("\n#", 2, "unexpected character"),
        ("[:]", 1, "unexpected"),
        ("#_", 1, "not followed by a form"),
    ],
)
def test_syntax_errors_name_the_line(text, line, fragment):
    with pytest.raises(HistoryFormatError) as e:
        loads_all(text, "f.edn")
    assert e.value.path == "f.edn"
    assert e.value.line == line
    assert fragment in e.value.message


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(json_like)
def test_dumps_then_read_gives_the_value_back(value):
    assert loads(dumps(value)) == value


def test_dumps_writes_keywords_only_for_map_keys():
    assert dumps({"a": "b", "x y": 1, "1": 2}) == '{:a "b", "x y" 1, "1" 2}'
    assert keyword("invoke") == ":invoke"
    assert keyword("two words") == '"two words"'


@given(st.text(alphabet='[]{}()#_:;"\\ \n,abn0123.-/NM^@~`', max_size=30))
def test_arbitrary_text_only_ever_raises_history_format_error(text):
    """Guards the EDN reader's error reporting: any text either parses or raises a
    HistoryFormatError naming the file, a line of the text, and what was wrong."""
    try:
        loads_all(text, "f.edn")
    except HistoryFormatError as e:
        assert e.path == "f.edn"
        assert e.line is not None and 1 <= e.line <= text.count("\n") + 1, e.line
        assert e.message.strip()


fast_alphabet = st.sampled_from(
    [
        ":a",
        ":b-c",
        " ",
        ",",
        "nil",
        "null",
        "true",
        "1",
        "-2",
        "01",
        "1.5",
        "1e3",
        "+3",
        "x",
        "[",
        "]",
        "(",
        ")",
        "NaN",
        "Infinity",
        "\t",
        ":",
        "7N",
        "{",
        "}",
        "a:b",
        "::",
        "1e400",
        "-0",
        "1E5",
        "123456789012345678901234567890",
        "0x1F",
    ]
)


@settings(max_examples=1000)
@given(st.lists(fast_alphabet, max_size=14).map("".join))
def test_fast_path_agrees_with_the_tokenizer(inner):
    line = "{" + inner + "}\n"
    fast = _fast_map(line)
    if fast is not None:
        assert repr(fast) == repr(loads(line))  # repr: 1 and 1.0, -0.0 and 0 differ


@given(st.dictionaries(st.sampled_from(["type", "f", "value", "x-y"]), json_like, max_size=4))
def test_fast_path_on_printed_maps(d):
    line = dumps(d)
    fast = _fast_map(line)
    assert fast is None or fast == d
    assert loads(line) == d


def test_corpus_reads_the_same_with_and_without_the_fast_path(corpus, corpus_file, monkeypatch):
    files = [corpus_file("elle/histories/paper-example.edn"), corpus_file("kv/c10-ok.txt")]
    files += sorted(corpus.glob("knossos/data/cas-register/bad/*.edn"))
    texts = [p.read_text().splitlines(keepends=True) for p in files]
    fast = [list(iter_forms(t, unwrap=True)) for t in texts]
    monkeypatch.setattr(_edn, "_fast_map", lambda line: None)
    slow = [list(iter_forms(t, unwrap=True)) for t in texts]
    assert fast == slow


def _forms_in_pieces(text: str, chunk: int, monkeypatch) -> list:
    monkeypatch.setattr(_edn, "CHUNK", chunk)
    return list(iter_forms(io.StringIO(text), unwrap=True))


def test_a_long_line_is_read_in_pieces_with_the_same_result(monkeypatch):
    text = (
        '; a comment that is long\n[{:a 1, :b "two words"} {:c [1 2 3] :d #{:x}}'
        " {:e \\a :f 12345678 #_ :g} {:h ##Inf}]\n{:i 1}"
    )
    whole = list(iter_forms(text.splitlines(keepends=True), unwrap=True))
    assert [line for _, line in whole] == [2, 2, 2, 2, 3]
    for chunk in (1, 2, 3, 5, 8, 13):
        assert _forms_in_pieces(text, chunk, monkeypatch) == whole


@given(st.integers(1, 40))
def test_errors_in_pieces_name_the_same_line(chunk):
    text = '{:a 1}\n[{:b "x"} {:c 1x}]\n'
    with pytest.raises(HistoryFormatError) as e:
        list(_edn._Reader(None, True).forms(_Pieces(text, chunk)))
    assert (e.value.line, e.value.message) == (2, "invalid number '1x'")


class _Pieces(io.StringIO):
    def __init__(self, text: str, chunk: int) -> None:
        super().__init__(text)
        self.chunk = chunk

    def readline(self, size: int | None = -1) -> str:
        return super().readline(self.chunk)


def test_corpus_file_read_in_small_pieces(corpus_file, monkeypatch):
    lines = corpus_file("cas-register/bad/rethink-fail.edn").read_text().splitlines()
    text = " ".join(lines)  # one enormous line (the file has no ; comments)
    whole = list(iter_forms([text], unwrap=True))
    assert [form for form, _ in whole] == [form for form, _ in iter_forms(lines, unwrap=True)]
    assert _forms_in_pieces(text, 97, monkeypatch) == whole
