"""render_run on hand-made run directories: content, self-containment, escaping, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddialab.errors import DdialabError
from reports import render_run
from reports._history import analyse, nemesis_bands, timeline_data

URL = re.compile(r"https?://", re.I)
EXTERNAL_REF = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?!#)[^"'\s>]+""", re.I)


def timeline_json(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_render_writes_report_html_and_returns_its_path(small_run: Path) -> None:
    out = render_run(small_run)
    assert out == small_run / "report.html"
    html = out.read_text()
    assert html.startswith("<!doctype html>")
    assert "toy-kv · register · partition+kill · seed 42" in html
    assert "ddialab run --system toy-kv --workload register --nemesis partition,kill" in html


def test_report_is_self_contained(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    assert not URL.search(html), URL.search(html)
    assert not EXTERNAL_REF.findall(html)
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_every_checker_verdict_and_anomaly_is_shown(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    for name in ("linearizable", "elle", "session", "mystery"):
        assert f"<strong>{name}</strong>" in html
    for kind in ("nonlinearizable", "G-single", "read-your-writes", "phantom-flux"):
        assert f'<span class="atype">{kind}</span>' in html
    assert "guarantees: monotonic-reads" in html


def test_cycle_graph_is_drawn_with_labelled_edges(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    graph = re.search(r'<svg [^>]*class="graph".*?</svg>', html, re.S)
    assert graph is not None
    for kind in ("rw", "wr", "ww", "realtime"):
        assert f">{kind}</text>" in graph.group(0)
    assert graph.group(0).count("<circle") == 3
    assert "digraph" in html  # the checker's DOT, shown verbatim


def test_session_cycle_paths_are_drawn(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    graphs = re.findall(r'<svg [^>]*class="graph".*?</svg>', html, re.S)
    assert len(graphs) == 2
    assert all(f">{k}</text>" in graphs[1] for k in ("process", "rw", "wr"))


def test_linearizability_view_shows_each_dead_end(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    assert html.count('class="linview"') == 2
    assert 'class="lop blocked' in html and 'class="lop candidate' in html
    assert "the register holds 3" in html
    assert re.search(r'class="lop linearized[^"]*"><title>[^<]*linearized #18', html)


def test_lattice_marks_ruled_out_models(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    assert 'class="lnode weakest" data-model="consistent-view"' in html
    assert 'class="lnode weakest" data-model="read-your-writes"' in html
    assert 'class="lnode out" data-model="strict-serializable"' in html
    assert 'class="lnode" data-model="read-committed"' in html
    assert "consistent-prefix" not in re.findall(r'data-model="([^"]+)"', html)
    assert 'class="lnode held" data-model="monotonic-reads"' in html  # session: True


def test_unknown_anomalies_render_generically_and_escaped(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; a new anomaly" in html
    assert "phantom-flux (the checker gave no explanation" in html  # a non-dict witness


def test_timeline_data_is_compact_and_marks_anomaly_ops(small_run: Path) -> None:
    data = timeline_json(render_run(small_run).read_text())
    n = len(data["s"])
    assert n == 200
    assert all(len(data[k]) == n for k in ("e", "o", "l", "f", "i", "c", "v"))
    assert data["m"] and all(0 <= i < n for i in data["m"])
    assert [b["kind"] for b in data["bands"]] == ["partition", "kill"] * 2 + ["partition"]
    assert all(e >= s for s, e in zip(data["s"], data["e"], strict=True) if e >= 0)
    assert data["keys"] == ["0", "1", "2", "3", "4"] and len(data["k"]) == n


def test_data_cannot_close_the_script_element(tmp_path: Path, samples) -> None:
    run = samples.write_run(tmp_path / "run", n_events=40, messages=False, results={"valid": True})
    ops = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    for op in ops:
        op["value"] = "</script><script>alert(1)</script>"
    (run / "history.jsonl").write_text("".join(json.dumps(op) + "\n" for op in ops))
    html = render_run(run).read_text()
    assert "alert(1)</script>" not in html
    assert timeline_json(html)["v"][0].startswith("</script>")


def test_messages_are_drawn_around_anomalies(small_run: Path) -> None:
    html = render_run(small_run).read_text()
    assert html.count('class="lamport"') >= 3
    network = html[html.index('<section id="network">') :]
    assert 'class="lamport"' in network[: network.index("</section>")]
    assert "Messages around the first fault (start-partition" in network


def test_no_messages_file_means_no_network_section(tmp_path: Path, samples) -> None:
    html = render_run(samples.write_run(tmp_path / "run", messages=False)).read_text()
    assert 'class="lamport"' not in html and 'id="network"' not in html


def test_missing_results_is_a_warning_not_an_error(tmp_path: Path, samples) -> None:
    run = samples.write_run(tmp_path / "run", n_events=60)
    (run / "results.json").unlink()
    html = render_run(run).read_text()
    assert "results.json is missing" in html
    assert "No checker results" in html


def test_valid_run_says_so(tmp_path: Path, samples) -> None:
    run = samples.write_run(
        tmp_path / "run",
        n_events=60,
        results={
            "valid": True,
            "checkers": {"linearizable": {"valid": True, "anomaly_types": [], "anomalies": {}}},
        },
    )
    html = render_run(run).read_text()
    assert 'id="verdict">valid<' in html
    assert "No anomalies found." in html
    assert "No consistency model is ruled out" in html
    assert 'class="lnode held" data-model="linearizable"' in html


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "not a directory"),
        (lambda p: p.mkdir(), "no history.jsonl"),
        (
            lambda p: (p.mkdir(), (p / "history.jsonl").write_text('{"index": 0,\n')),
            "history.jsonl:1",
        ),
        ("bad-results", "results.json"),
    ],
)
def test_bad_run_directories_raise_ddialab_errors(
    tmp_path: Path, samples, setup, message: str
) -> None:
    path = tmp_path / "run"
    if setup == "bad-results":
        samples.write_run(path, 20).joinpath("results.json").write_text("{oops")
    else:
        setup(path)
    with pytest.raises(DdialabError, match=message):
        render_run(path)


def test_pairs_pending_and_info_ops() -> None:
    ops = [
        {"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "write", "value": 1},
        {"index": 1, "time": 5, "type": "invoke", "process": 1, "f": "read", "value": None},
        {"index": 2, "time": 9, "type": "info", "process": 0, "f": "write", "value": 1},
        {"index": 3, "time": 12, "type": "invoke", "process": 2, "f": "read", "value": None},
        {"index": 4, "time": 20, "type": "ok", "process": 2, "f": "read", "value": 1},
    ]
    view = analyse(ops)
    assert [(p.inv, p.comp, p.outcome) for p in view.pairs] == [
        (0, 2, "info"),
        (1, -1, "pending"),
        (3, 4, "ok"),
    ]
    data = timeline_data(view, None, {4})
    assert data["e"][1] == -1 and data["m"] == [2]


def test_nemesis_bands_pair_start_and_stop() -> None:
    def nem(f: str, t: int) -> tuple[dict, dict]:
        return ({"f": f, "time": t, "index": t}, {"f": f, "time": t, "index": t, "value": None})

    bands = nemesis_bands(
        [
            nem("start-partition", 10),
            nem("kill", 12),
            nem("stop-partition", 20),
            nem("start", 30),
            nem("pause", 40),
            nem("strobe", 45),
        ],
        t_end=99,
    )
    assert [(b.kind, b.start, b.end) for b in bands] == [
        ("partition", 10, 20),
        ("kill", 12, 30),
        ("pause", 40, 99),
        ("strobe", 45, 45),
    ]


def test_synthetic_history_is_well_formed(samples) -> None:
    h = samples.synthetic_history(200)
    assert [op["index"] for op in h] == list(range(len(h)))
    client = [i for i in samples.invocations(h) if h[i]["process"] != "nemesis"]
    assert len(client) == 100


def test_renders_a_real_run(tmp_path: Path) -> None:
    """Guards rendering of a real run directory end to end (a runner or checker error fails
    here; it is not turned into a skip)."""
    from ddialab.runner import TestSpec, run

    result = run(
        TestSpec(nemesis=["partition"], time_limit=2.0, record_messages=True),
        out=str(tmp_path / "real"),
    )
    out = render_run(result.run_dir)
    html = out.read_text()
    assert "single-node · register · partition · seed 0" in html
    assert not URL.search(html)
    assert len(timeline_json(html)["s"]) > 10


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "ops",
        "op",
        "graph",
        "edges",
        "nodes",
        "prefixes",
        "explanation",
        "cycle",
        "key",
        "linearized",
        "blocked",
        "from",
        "to",
        "kind",
        "not",
    ]
)
WITNESS = st.recursive(
    JSON,
    lambda inner: st.dictionaries(KEYS, inner, max_size=5) | st.lists(inner, max_size=3),
    max_leaves=25,
)
RESULT = st.fixed_dictionaries(
    {"valid": st.sampled_from([True, False, "unknown", None])},
    optional={
        "anomaly_types": st.lists(st.text(max_size=10), max_size=3),
        "anomalies": st.dictionaries(
            st.text(max_size=10), st.lists(WITNESS, max_size=3) | WITNESS, max_size=3
        ),
        "not": st.lists(st.sampled_from(["serializable", "read-committed", "x"]), max_size=2),
        "also_not": st.lists(st.text(max_size=10), max_size=2),
        "guarantees": st.dictionaries(st.text(max_size=8), JSON, max_size=3),
        "reason": st.text(max_size=20),
    },
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(checkers=st.dictionaries(st.text(min_size=1, max_size=10), RESULT, max_size=3))
def test_any_results_shape_renders(tmp_path: Path, samples, checkers: dict) -> None:
    """Whatever a (new, or buggy) checker returns, the report renders and stays offline."""
    run = tmp_path / "fuzz"
    if not run.exists():
        samples.write_run(run, n_events=40, messages=True)
    (run / "results.json").write_text(json.dumps({"valid": False, "checkers": checkers}))
    html = render_run(run).read_text()
    assert "</html>" in html
    assert not URL.search(html)


OP = st.fixed_dictionaries(
    {"type": st.sampled_from(["invoke", "ok", "fail", "info", "weird"]),
     "process": st.sampled_from([0, 1, 2, "nemesis", "x", [1]]),
     "f": st.sampled_from(["read", "write", "start-partition", "stop-partition", "kill", 7]),
     "value": JSON},
    optional={"time": st.integers(0, 10**10) | st.floats(0, 10) | st.none(),
              "error": JSON, "node": st.text(max_size=3)},
)  # fmt: skip


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OP, max_size=30))
def test_any_history_shape_renders(tmp_path: Path, ops: list) -> None:
    """Odd histories (no times, unpaired ops, odd processes) render without an exception."""
    run = tmp_path / "fuzz-history"
    run.mkdir(exist_ok=True)
    lines = [json.dumps({"index": i, **op}) for i, op in enumerate(ops)]
    (run / "history.jsonl").write_text("".join(line + "\n" for line in lines))
    assert "</html>" in render_run(run).read_text()


def test_completion_times_before_the_first_invocation_render(tmp_path: Path) -> None:
    """Guards the clamp in ``series``: a hand-written history whose completions carry
    times before the first timed invocation put an op into a negative bucket past the
    start of the list (IndexError; found by ``test_any_history_shape_renders``)."""
    ops = [{"type": "invoke", "process": 0, "f": "read", "value": None}] * 3
    ops += [{"type": "ok", "process": 0, "f": "read", "value": None}]
    ops += [{"type": "invoke", "process": 0, "f": "read", "value": None, "time": 10**9}]
    ops += [{"type": "invoke", "process": 1, "f": "read", "value": None, "time": 10**9 + 1}]
    run = tmp_path / "backwards"
    run.mkdir()
    lines = [json.dumps({"index": i, **op}) for i, op in enumerate(ops)]
    (run / "history.jsonl").write_text("".join(line + "\n" for line in lines))
    assert "</html>" in render_run(run).read_text()
