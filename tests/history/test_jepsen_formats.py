import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.errors import HistoryFormatError
from ddialab.history import (
    Op,
    _edn,
    iter_history,
    iter_jsonl,
    read_history,
    write_history,
    write_jsonl,
)
from ddialab.history._jepsen import (
    EXACT_HEADER,
    iter_edn,
    iter_jepsen_log,
    iter_json_array,
    write_edn,
)


def edn_ops(text: str) -> list[Op]:
    return list(iter_edn(io.StringIO(text), "h.edn"))


def log_ops(text: str) -> list[Op]:
    return list(iter_jepsen_log(io.StringIO(text), "h.log"))


# --- EDN op mapping ------------------------------------------------------------------------


def test_edn_op_maps_become_ops():
    ops = edn_ops(
        '{:type :invoke, :f :write, :value 3, :process 0, :time 5, :node "n1"}\n'
        "{:type :ok, :f :write, :value 3, :process 0, :time 9, :index 1, :foo :bar}\n"
        "{:type :info, :f :start, :process :nemesis, :error :timed-out}\n"
    )
    assert ops == [
        Op(0, 5, "invoke", 0, "write", 3, node="n1"),
        Op(1, 9, "ok", 0, "write", 3, extra={"foo": "bar"}),
        Op(2, 2, "info", "nemesis", "start", None, error="timed-out"),
    ]


def test_a_vector_of_maps_with_comments_and_multiline_maps():
    ops = edn_ops(
        "; knossos\n[{:process 1, :type :invoke,\n  :f :read, :value nil}\n ; c\n"
        " {:process 1, :type :ok, :f :read, :value 2}]\n"
    )
    assert [(op.index, op.type, op.value) for op in ops] == [(0, "invoke", None), (1, "ok", 2)]


def test_original_indices_that_differ_are_kept_as_jepsen_index():
    ops = edn_ops(
        "{:index 10, :type :invoke, :f :txn, :process 2, :value []}\n"
        "{:index 1, :type :ok, :f :txn, :process 2, :value []}\n"
    )
    assert [op.index for op in ops] == [0, 1]
    assert ops[0].extra == {"jepsen_index": 10}
    assert ops[1].extra == {}


def test_micro_ops_and_missing_f_in_elle_examples():
    ops = edn_ops(
        "{:index 0 :type :invoke :value [[:append 253 1] [:r 253 nil]]}\n"
        "{:index 1 :type :ok :value [[:append 253 1] [:r 253 [1]]]}\n"
    )
    assert ops[1].f == "txn"
    assert ops[1].process == 0  # no op has a :process: one implicit process
    assert ops[1].value == [["append", 253, 1], ["r", 253, [1]]]


def test_knossos_nil_read_becomes_an_unknown_read():
    ops = edn_ops(
        "[{:process 0, :type :invoke, :f :read, :value nil}\n"
        " {:process 0, :type :ok, :f :read, :value nil}\n"
        " {:process 0, :type :ok, :f :read, :value 0}\n"
        " {:process 0, :type :ok, :f :txn, :value [[:read :x nil]]}\n"
        " {:process 0, :type :ok, :f :read, :value [:x nil]}]"
    )
    assert (ops[1].type, ops[1].value, ops[1].extra) == ("info", None, {"unknown_read": True})
    assert ops[0].type == "invoke"
    assert [op.type for op in ops[2:]] == ["ok", "ok", "ok"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("{:type :invoke, :f :read, :process 0}\n{:f :read, :process 0}", 2, "missing :type"),
        ("\n{:type :crashed, :f :read, :process 0}", 2, "unknown op type"),
        ("{:type :invoke, :process 0, :value 1}", 1, "missing :f"),
        ("{:type :invoke, :f 3, :process 0}", 1, ":f must be"),
        ("{:type :invoke, :f :r, :process 0}\n\n{:type :ok, :f :r}", 3, "missing :process"),
        ("{:type :invoke, :f :r}\n{:type :ok, :f :r, :process 1}", 2, "had none"),
        ("{:type :invoke, :f :r, :process :client}", 1, ":process must be"),
        ('{:type :invoke, :f :r, :process "p1"}', 1, ":process must be"),
        ("{:type :invoke, :f :r, :process 0, :time -1}", 1, ":time must be"),
        ("{:type :invoke, :f :r, :process 0, :time 1.5}", 1, ":time must be"),
        ("[{:type :invoke, :f :r, :process 0}\n 7]", 2, "expected an op map"),
        ("{:type :invoke, :f :r, :process 0, :value [1 2}", 1, "expected ']'"),
        ("[{:type :invoke, :f :r, :process 0}\n", 1, "never closed"),
        ('{:type :invoke, :f :r, :process 0, :value "abc}\n', 1, "unterminated string"),
        ("{:type :invoke, :f :r, :process 0, :value 1x}", 1, "invalid number"),
    ],
)
def test_bad_edn_histories_name_the_line(text, line, fragment):
    with pytest.raises(HistoryFormatError) as e:
        edn_ops(text)
    assert (e.value.path, e.value.line) == ("h.edn", line)
    assert fragment in e.value.message


# --- EDN writer round trip ---------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
micro_op = st.tuples(
    st.sampled_from(["append", "r", "w", "odd name"]), st.integers(0, 3), json_values
).map(list)


@st.composite
def histories(draw):
    out = []
    for i in range(draw(st.integers(0, 6))):
        f = draw(st.sampled_from(["read", "write", "cas", "txn", "a b", ""]))
        value = draw(st.lists(micro_op, min_size=1, max_size=3) if f == "txn" else json_values)
        out.append(
            Op(
                index=i,
                time=draw(st.integers(0, 10**12)),
                type=draw(st.sampled_from(["invoke", "ok", "fail", "info"])),
                process=draw(st.integers(0, 5) | st.just("nemesis")),
                f=f,
                value=value,
                node=draw(st.none() | st.just("n1")),
                error=draw(st.none() | st.just("timed-out") | json_values),
                extra=draw(
                    st.dictionaries(st.sampled_from(["a", "zz", "x y"]), json_values, max_size=2)
                ),
            )
        )
    return out


@given(histories())
def test_jsonl_to_edn_and_back_gives_equal_ops(ops):
    jsonl = io.StringIO()
    write_jsonl(ops, jsonl)
    from_jsonl = list(iter_jsonl(io.StringIO(jsonl.getvalue())))
    edn = io.StringIO()
    write_edn(from_jsonl, edn)
    assert edn_ops(edn.getvalue()) == from_jsonl == ops


def test_edn_written_to_a_file_is_detected_and_read_back(tmp_path):
    ops = [Op(0, 0, "invoke", 0, "read", None), Op(1, 5, "ok", 0, "read", None)]
    write_history(ops, tmp_path / "h.edn", format="edn")
    assert list(read_history(tmp_path / "h.edn")) == ops


def test_writer_uses_keywords_for_names_and_strings_for_values():
    out = io.StringIO()
    write_edn([Op(0, 0, "ok", "nemesis", "txn", [["append", "k", "v"]], extra={"k": "s"})], out)
    header, line = out.getvalue().splitlines()
    assert header == EXACT_HEADER
    assert line == (
        "{:index 0, :time 0, :type :ok, :process :nemesis, :f :txn, "
        ':value [[:append "k" "v"]], :k "s"}'
    )


def test_written_nil_reads_stay_ok_reads():
    out = io.StringIO()
    write_edn([Op(0, 0, "ok", 1, "read", None)], out)
    assert edn_ops(out.getvalue())[0].type == "ok"


# --- Jepsen log lines ----------------------------------------------------------------------


def test_log_lines_with_porcupine_etcd_semantics():
    ops = log_ops(
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
        "INFO  jepsen.util - 0\t:ok\t:read\tnil\n"
        "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 4]\n"
        "INFO  jepsen.util - 1\t:fail\t:cas\t[1 4]\n"
        "INFO  jepsen.util - 2\t:invoke\t:write\t3\n"
        "INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n"
        "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n"
        "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n"
        "INFO  jepsen.util - 4\t:invoke\t:write\t1\n"
        "INFO  jepsen.util - 4\t:fail\t:write\t1\n"
    )
    got = [(op.index, op.type, op.process, op.f, op.value, op.error, op.extra) for op in ops]
    assert got == [
        (0, "invoke", 0, "read", None, None, {}),
        (1, "ok", 0, "read", None, None, {}),
        (2, "invoke", 1, "cas", [1, 4], None, {}),
        (3, "ok", 1, "cas", [1, 4], None, {"result": False}),
        (4, "invoke", 2, "write", 3, None, {}),
        (5, "info", 2, "write", 3, "timed-out", {}),
        (6, "invoke", 3, "read", None, None, {}),
        (7, "info", 3, "read", None, "timed-out", {}),
        (8, "invoke", 4, "write", 1, None, {}),
        (9, "info", 4, "write", 1, None, {}),
    ]
    assert [op.time for op in ops] == list(range(10))


def test_log_prefixes_spaces_and_non_op_lines():
    ops = log_ops(
        "2017-03-30 15:30:31,123{GMT}\tINFO\t[jepsen worker 3] jepsen.util: "
        "3\t:invoke\t:read\tnil\n"
        "INFO  jepsen.core - Running test\n"
        "INFO  jepsen.util - 3   :ok     :cas    [0 0]\n"
        "\n"
        "5\t:invoke\t:write\t2\n"
        "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
        "INFO  jepsen.util - Timing out\n"
    )
    assert [(op.process, op.type, op.f, op.value) for op in ops] == [
        (3, "invoke", "read", None),
        (3, "ok", "cas", [0, 0]),
        (5, "invoke", "write", 2),
        ("nemesis", "info", "start", None),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:done\t:read\t1",
            2,
            "unknown op type",
        ),
        ("\n\nINFO  jepsen.util - 0\tinvoke\t:read\tnil", 3, "expected"),
        ("INFO  jepsen.util - 0\t:invoke", 1, ":f"),
        ("INFO  jepsen.util - 0\t:invoke\t:write\t[1 2", 1, "never closed"),
        ("INFO  jepsen.util - 0\t:invoke\t:write\t1x", 1, "invalid number"),
        ('INFO  jepsen.util - 0\t:invoke\t:write\t"ab', 1, "unterminated string"),
    ],
)
def test_bad_log_lines_name_the_line(text, line, fragment):
    with pytest.raises(HistoryFormatError) as e:
        log_ops(text)
    assert (e.value.path, e.value.line) == ("h.log", line)
    assert fragment in e.value.message


@given(st.text(alphabet='0123 \t\n:invokfal[]{}"nil-jepsen.util', max_size=40))
def test_arbitrary_text_only_ever_raises_history_format_error(text):
    """Guards the readers' error reporting: any text either reads as ops or raises a
    HistoryFormatError naming the file, a line of the text, and what was expected."""
    for reader, path in ((edn_ops, "h.edn"), (log_ops, "h.log"), (json_ops, "h.json")):
        try:
            ops = reader(text)
        except HistoryFormatError as e:
            assert e.path == path
            assert e.line is not None and 1 <= e.line <= text.count("\n") + 1, (path, e.line)
            assert e.message.strip()
        else:
            assert all(isinstance(op, Op) for op in ops)


# --- the corpus -------------------------------------------------------------------------


def test_every_corpus_edn_and_log_file_parses(corpus, corpus_file):
    files = sorted(corpus.glob("**/*.edn")) + sorted(corpus.glob("porcupine/jepsen/*.log"))
    assert len(files) > 200
    for path in files:
        fmt = "edn" if path.suffix == ".edn" else "jepsen-log"
        h = read_history(path, fmt)
        assert [op.index for op in h] == list(range(len(h)))
        if path.name == "huge-scc.edn":
            assert len(h) == 20602
    assert len(read_history(corpus_file("jepsen/etcd_095.log"))) == 0


def test_corpus_spot_checks(corpus_file):
    etcd = read_history(corpus_file("jepsen/etcd_000.log"))
    assert (etcd[0].process, etcd[0].type, etcd[0].f, etcd[0].value) == (0, "invoke", "read", None)
    assert (etcd[2].process, etcd[2].f, etcd[2].value) == (2, "write", 4)
    assert (etcd[5].type, etcd[5].value, etcd[5].extra) == ("ok", None, {})

    knossos = read_history(corpus_file("cas-register/good/memstress3-4.edn"))
    assert (knossos[0].f, knossos[0].value) == ("cas", [0, 2])
    assert (knossos[3].type, knossos[3].value, knossos[3].extra) == (
        "info",
        None,
        {"unknown_read": True},
    )

    elle = list(itertools.islice(iter_history(corpus_file("huge-scc.edn")), 3))
    assert elle[0].value == [["append", 11, 1], ["r", 11, None], ["r", 11, None]]
    assert elle[2].value == [["append", 11, 1], ["r", 11, [1]], ["r", 11, [1]]]
    assert elle[0].time == 14532933

    si = read_history(corpus_file("si-without-g-single.edn"))
    assert si[0].extra == {"jepsen_index": 10}

    mutex = read_history(corpus_file("mutex/bad/etcd.edn"))
    assert (mutex[1].type, mutex[1].f, mutex[1].error) == ("fail", "release", "not-held")


# --- JSON arrays (elle-cli) -------------------------------------------------------------


def json_ops(text: str) -> list[Op]:
    return list(iter_json_array(io.StringIO(text), "h.json"))


def test_json_array_ops_map_like_edn():
    ops = json_ops(
        '[{"index":3,"type":"invoke","f":"txn","value":[["r","x",null]],"process":0},\n'
        ' {"index":4,"type":"ok","f":"txn","value":[["r","x",3]],"process":0}, '
        '{"type":"info","f":"start","process":"nemesis"}]\n'
    )
    assert [(op.index, op.type, op.process, op.value) for op in ops] == [
        (0, "invoke", 0, [["r", "x", None]]),
        (1, "ok", 0, [["r", "x", 3]]),
        (2, "info", "nemesis", None),
    ]
    assert ops[0].extra == {"jepsen_index": 3}
    assert json_ops("[]") == json_ops("") == json_ops(" [ ]\n") == []


def test_json_array_in_small_pieces(monkeypatch):
    text = '[{"type":"invoke","f":"w","value":"a b","process":0},{"type":"ok","f":"w","process":0}]'
    whole = json_ops(text)
    monkeypatch.setattr(_edn, "CHUNK", 7)
    assert json_ops(text) == whole and len(whole) == 2


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('{"type":"invoke"}', 1, "expected '['"),
        ('[{"type":"invoke","f":"r","process":0}\n\n{"type":"ok"}]', 3, "expected ','"),
        ('[{"type":"invoke","f":"r","process":0},\n{"type":"ok",]', 2, "invalid JSON"),
        ('[{"type":"invoke","f":"r","process":0},\n{"type":"ok","f":"r"}]', 2, "missing :process"),
        ('[{"type":"invoke","f":"r","process":0}', 1, "never closed"),
        ('[{"type":"invoke","f":"r","process":0}]\n[]', 2, "after the closing"),
        ("[1]", 1, "expected an op map"),
    ],
)
def test_bad_json_arrays_name_the_line(text, line, fragment):
    with pytest.raises(HistoryFormatError) as e:
        json_ops(text)
    assert (e.value.path, e.value.line) == ("h.json", line)
    assert fragment in e.value.message


def test_corpus_json_files_read_like_their_edn_twins(corpus_cases):
    twins = [c["file"] for c in corpus_cases if c["path"].endswith(".json")]
    assert len(twins) >= 2
    for json_file in twins:
        edn_file = json_file.with_suffix(".edn")
        assert list(read_history(json_file)) == list(read_history(edn_file)), json_file
