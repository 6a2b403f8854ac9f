import pytest

from ddialab.errors import EXIT_USAGE, HistoryFormatError, UsageError
from ddialab.history import FORMATS, detect_format, get_format, read_history

JSONL = '{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}\n'
EDN_LINE = "{:type :invoke, :f :read, :process 0, :value nil}\n"
KV = '{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n'
LOG = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"


@pytest.mark.parametrize(
    ("first", "name"),
    [
        (JSONL, "jsonl"),
        (EDN_LINE, "edn"),
        ("{:index 0 :type :invoke :value [[:r 1 nil]]}", "edn"),
        ("[{:process 0, :type :invoke, :f :read, :value nil}", "edn"),
        ("({:type :invoke, :f :cas, :value [1 4], :process 101}", "edn"),
        ("; A subset of a longer history\n", "edn"),
        ('[{"index":0,"process":1,"type":"invoke","value":[["append",253,1]]},', "json"),
        (KV, "porcupine-kv"),
        (LOG, "jepsen-log"),
        ("INFO  jepsen.util - 1   :invoke :write  3\n", "jepsen-log"),
        (
            "2017-03-30 15:30:31,123 INFO [worker 3] jepsen.util: 3\t:invoke\t:read\tnil\n",
            "jepsen-log",
        ),
        ("3\t:invoke\t:read\tnil\n", "jepsen-log"),
    ],
)
def test_content_decides_the_format(first, name):
    assert detect_format("history.dat", first).name == name


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("h.jsonl", "jsonl"),
        ("h.edn", "edn"),
        ("h.log", "jepsen-log"),
        ("h.txt", "porcupine-kv"),
        ("h.json", "json"),
    ],
)
def test_extension_is_the_fallback(path, name):
    assert detect_format(path, "").name == name
    assert detect_format(path, "something else\n").name == name
    assert detect_format(path, "[\n").name == name  # a lone bracket: edn or json


def test_undetectable_history_is_a_format_error():
    with pytest.raises(HistoryFormatError, match="--format"):
        detect_format("h.dat", "hello\n")


def test_a_forced_format_wins(tmp_path):
    p = tmp_path / "h.jsonl"
    p.write_text(LOG)
    assert read_history(p, "jepsen-log")[0].f == "read"
    with pytest.raises(HistoryFormatError):
        read_history(p, "edn")


def test_unknown_format_name_is_a_usage_error():
    with pytest.raises(UsageError) as e:
        get_format("knossos")
    assert e.value.exit_code == EXIT_USAGE
    assert "edn" in str(e.value)


def test_empty_files_read_as_empty_histories(tmp_path):
    for name in ("h.log", "h.edn", "h.txt", "h.json"):
        (tmp_path / name).write_text("")
        assert len(read_history(tmp_path / name)) == 0


def test_every_format_is_registered():
    assert {"jsonl", "edn", "jepsen-log", "porcupine-kv", "json"} <= set(FORMATS)


def test_every_corpus_file_is_detected_as_its_format(corpus):
    expect = {".edn": "edn", ".log": "jepsen-log", ".txt": "porcupine-kv", ".json": "json"}
    for path in sorted(corpus.glob("**/*")):
        if path.suffix in expect and path.stat().st_size and path.name != "expected.json":
            with path.open() as fh:
                first = next(line for line in fh if line.strip())
            assert detect_format(str(path) + ".x", first).name == expect[path.suffix], path
