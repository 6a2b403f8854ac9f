"""``render_history``: the run report's page for any checked history (``reports/_source.py``).

Corpus histories (elle-cli list-append with a cycle, Porcupine etcd logs, a Knossos EDN
history) are checked with the real checkers, rendered without a run directory, and read in
headless Chromium the way a reader sees them: the verdict badge, the witness's
explanation, the cycle graph, the Porcupine-like dead-end view, the lattice, the timeline.
Every page is also checked to be self-contained (no request but its own file).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from checkers import get_checker
from ddialab.cli import main
from ddialab.history import read_history
from reports import render_history
from reports._source import check_command, composed, validate_spec

ELLE_CYCLE = "elle-cli/histories/elle/list-append-gh-30.edn"
ETCD_BAD = "porcupine/jepsen/etcd_000.log"
ETCD_GOOD = "porcupine/jepsen/etcd_002.log"
KNOSSOS_BAD = "knossos/data/cas-register/bad/cas-failure.edn"
ELLE_OPTS = {"model": "list-append", "consistency_model": "serializable"}
ETCD_OPTS = {"model": "cas-register", "init": None}

SEEN = """(() => {
  const text = sel => [...document.querySelectorAll(sel)].map(e => e.textContent.trim());
  return {
    title: document.querySelector("h1").textContent,
    verdict: document.getElementById("verdict").textContent,
    types: text("article.anomaly .atype"),
    explanations: text("article.anomaly p.explanation"),
    graphLabels: text("svg.graph text"),
    linviews: document.querySelectorAll("svg.linview").length,
    blocked: text(".linear p.state strong"),
    weakest: [...document.querySelectorAll("#lattice g.lnode.weakest")].map(n => n.dataset.model),
    held: [...document.querySelectorAll("#lattice g.lnode.held")].map(n => n.dataset.model),
    timelineOps: window.ddialab.timeline.n,
    canvas: !!document.getElementById("tl-canvas"),
    replay: document.getElementById("replay-command").textContent,
    summary: text("#summary table.kv th"),
    noRuns: text("#models > p")[0],
    warnings: text("main > div.warn"),
  };
})()"""


def expected_case(corpus: Path, path: str) -> dict[str, Any]:
    """The corpus's own verdict for ``path`` (paths come from expected.json)."""
    cases = json.loads((corpus / "expected.json").read_text())
    return next(c for c in cases if c["path"] == path)


def checked_page(corpus: Path, rel: str, checker: str, opts: dict, out: Path) -> Path:
    path = corpus / expected_case(corpus, rel)["path"]
    history = read_history(path)
    result = get_checker(checker)(history, opts)
    spec = {"path": str(path), "format": path.suffix.lstrip("."), "checker": checker}
    return render_history(history, result, {**spec, "options": opts}, out)


def seen(browser: Any, page: Path) -> dict[str, Any]:
    browser.load(page)
    assert browser.errors() == []
    assert browser.requests() == [page.resolve().as_uri()], "the page loaded something else"
    return browser.eval(SEEN)


def assert_no_external_urls(page: Path) -> None:
    """Guards self-containment statically too: no src/href/url() pointing off the page."""
    html = page.read_text()
    assert re.findall(r'(?:src|href)\s*=\s*"(?!#)[^"]*"', html) == []
    assert re.findall(r"url\((?!#)", html) == []
    assert re.findall(r"@import", html) == []


@pytest.mark.corpus
def test_elle_cycle_shows_graph_and_explanation(chromium, corpus: Path, tmp_path: Path) -> None:
    """Guards: an elle-cli list-append history's witness reaches the page as a cycle graph
    with rw edges, its explanation text, and the lattice's weakest violated model."""
    assert expected_case(corpus, ELLE_CYCLE)["expected"] is False
    page = checked_page(corpus, ELLE_CYCLE, "elle", ELLE_OPTS, tmp_path / "elle.html")
    facts = seen(chromium, page)
    assert facts["verdict"] == "invalid"
    assert facts["title"] == "list-append-gh-30.edn · elle · list-append"
    assert facts["types"] == ["G2-item"]
    assert "which did not include T2's append of 0" in facts["explanations"][0]
    assert "a contradiction" in facts["explanations"][0]
    assert facts["graphLabels"].count("rw") == 2 and "T1" in facts["graphLabels"]
    assert facts["weakest"] == ["repeatable-read"]
    assert facts["timelineOps"] == 5 and facts["canvas"]
    assert facts["summary"][0] == "history file" and "consistency model" in facts["summary"]
    assert facts["noRuns"].startswith("This history rules out")
    # the EDN has no :time: the reader's event numbers are not shown as nanoseconds
    assert any("records no times" in w for w in facts["warnings"])
    assert_no_external_urls(page)


@pytest.mark.corpus
def test_porcupine_dead_end_view(chromium, corpus: Path, tmp_path: Path) -> None:
    """Guards: a non-linearizable Porcupine etcd log gets the Porcupine-like partition view
    naming the op that cannot be placed, and the lattice marks linearizable violated."""
    assert expected_case(corpus, ETCD_BAD)["expected"] is False
    page = checked_page(corpus, ETCD_BAD, "linearizable", ETCD_OPTS, tmp_path / "etcd.html")
    facts = seen(chromium, page)
    assert facts["verdict"] == "invalid" and facts["types"] == ["nonlinearizable"]
    assert facts["linviews"] == 1
    assert facts["blocked"] == ["the register holds 4", "read of 2"]
    assert "p11's read of 2 [op 84–85] cannot be placed" in facts["explanations"][0]
    assert facts["weakest"] == ["linearizable"]
    assert facts["timelineOps"] == 85
    assert_no_external_urls(page)


@pytest.mark.corpus
def test_porcupine_linearizable_log(chromium, corpus: Path, tmp_path: Path) -> None:
    """Guards: a linearizable etcd log reads as valid, with linearizable outlined as checked
    and every op on the timeline (a valid history still gets the whole page)."""
    assert expected_case(corpus, ETCD_GOOD)["expected"] is True
    page = checked_page(corpus, ETCD_GOOD, "linearizable", ETCD_OPTS, tmp_path / "ok.html")
    facts = seen(chromium, page)
    assert facts["verdict"] == "valid" and facts["types"] == []
    assert facts["held"] == ["linearizable"] and facts["weakest"] == []
    assert facts["timelineOps"] == 77
    assert_no_external_urls(page)


@pytest.mark.corpus
def test_knossos_edn_through_the_cli(chromium, corpus: Path, tmp_path: Path) -> None:
    """Guards the ``ddialab report FILE --checker`` path end to end on a Knossos EDN history:
    verdict exit code, the page's dead-end view, and its replay command."""
    path = corpus / expected_case(corpus, KNOSSOS_BAD)["path"]
    out = tmp_path / "knossos.html"
    args = ["report", str(path), "--checker", "linearizable", "--model", "cas-register"]
    assert main([*args, "--init", "0", "--out", str(out)]) == 1
    facts = seen(chromium, out)
    assert facts["verdict"] == "invalid" and facts["linviews"] >= 1
    assert facts["replay"] == check_command(
        {"path": str(path), "format": "edn", "checker": "linearizable",
         "options": {"model": "cas-register", "init": 0}}
    )  # fmt: skip
    assert_no_external_urls(out)


@pytest.mark.corpus
def test_replay_command_reproduces_the_verdict(corpus: Path, capsys) -> None:
    """Guards ``check_command``: the page's "check again" line, run as written, gives the
    same verdict (an option dropped or mis-spelt, e.g. --init null as a word, breaks it)."""
    for rel, checker, opts, want in [
        (ETCD_BAD, "linearizable", ETCD_OPTS, 1),
        (ELLE_CYCLE, "elle", ELLE_OPTS, 1),
        (ETCD_GOOD, "linearizable", ETCD_OPTS, 0),
    ]:
        path = str(corpus / rel)
        spec = {"path": path, "format": "edn" if rel.endswith("edn") else "jepsen-log"}
        words = shlex.split(check_command({**spec, "checker": checker, "options": opts}))
        assert words[:2] == ["ddialab", "check"]
        assert main(words[1:]) == want, words
    capsys.readouterr()


def test_spec_is_validated() -> None:
    """Guards the declared spec table: unknown or missing keys are named, not ignored."""
    with pytest.raises(ValueError, match="unknown source spec keys \\['seed'\\]"):
        validate_spec({"path": "h.edn", "checker": "elle", "seed": 1})
    with pytest.raises(ValueError, match="lacks \\['checker'\\]"):
        validate_spec({"path": "h.edn"})
    with pytest.raises(ValueError, match="'options' must be a mapping"):
        validate_spec({"path": "h.edn", "checker": "elle", "options": [1]})


def test_single_result_is_filed_under_its_checker() -> None:
    """Guards ``composed``: a bare checker result is shown under the spec's checker name;
    an already composed result is kept as it is."""
    bare = {"valid": False, "anomaly_types": ["G0"], "anomalies": {}}
    assert composed(bare, {"checker": "elle"}) == {"valid": False, "checkers": {"elle": bare}}
    whole = {"valid": True, "checkers": {"a": {"valid": True}}}
    assert composed(whole, {"checker": "elle"}) == whole


def test_plain_dict_ops_render(tmp_path: Path) -> None:
    """Guards ``history_files``: op dicts (not only ``Op`` objects) are accepted, and the
    page names the source instead of a run (no "Replay" of a seed)."""
    ops = [
        {"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "read", "value": None},
        {"index": 1, "time": 5, "type": "ok", "process": 0, "f": "read", "value": 3},
    ]
    result = {"valid": True, "anomaly_types": [], "anomalies": {}}
    spec = {"path": "h.jsonl", "format": "jsonl", "checker": "linearizable"}
    html = render_history(ops, result, spec, tmp_path / "p.html").read_text()
    assert "<h3>Check again</h3>" in html and "<h3>Replay</h3>" not in html
    assert "ddialab check h.jsonl --checker linearizable --format jsonl" in html
    assert "<h2>Source</h2>" in html and "1 client ops" in html
    assert "records no times" not in html  # real times (5 ns) are not event numbers


def test_event_numbers_are_not_times(tmp_path: Path) -> None:
    """Guards ``untimed``: ops whose time is just their index are drawn in event order."""
    ops = [
        {"index": i, "time": i, "type": t, "process": 0, "f": "read", "value": None}
        for i, t in enumerate(["invoke", "ok", "invoke", "ok"])
    ]
    spec = {"path": "h.edn", "checker": "linearizable"}
    html = render_history(ops, {"valid": True}, spec, tmp_path / "p.html").read_text()
    assert "records no times" in html and "over 3 ns" not in html
