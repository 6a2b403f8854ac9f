"""Reports of real checker output on corpus histories (skipped without the corpus)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from checkers import compose, get_checker
from ddialab.history import read_history, write_history
from reports import render_run


def checked_run(tmp_path: Path, history: Path, checker: str, options: dict) -> Path:
    h = read_history(str(history))
    run = tmp_path / "run"
    run.mkdir()
    write_history(h, str(run / "history.jsonl"))
    results = compose({checker: dict(get_checker(checker)(h, options))})
    (run / "results.json").write_text(json.dumps(results, default=str))
    (run / "test.json").write_text(json.dumps({"replay": f"ddialab check {history.name}"}))
    return run


@pytest.mark.corpus
def test_elle_g2_item_cycle(tmp_path: Path, corpus_file: Any) -> None:
    history = corpus_file("elle/histories/si-without-g-single.edn")
    options = {"model": "list-append", "consistency_model": "serializable"}
    html = render_run(checked_run(tmp_path, history, "elle", options)).read_text()
    assert '<span class="atype">G2-item</span>' in html
    graph = re.search(r'<svg [^>]*class="graph".*?</svg>', html, re.S)
    assert graph is not None and ">rw</text>" in graph.group(0)
    assert 'class="lnode weakest" data-model="repeatable-read"' in html
    assert "no times: the report uses each event" in html  # EDN without :time


@pytest.mark.corpus
def test_knossos_cas_register_dead_end(tmp_path: Path, corpus_file: Any) -> None:
    history = corpus_file("knossos/data/cas-register/bad/cas-failure.edn")
    options = {"model": "cas-register", "init": 0}
    html = render_run(checked_run(tmp_path, history, "linearizable", options)).read_text()
    assert '<span class="atype">nonlinearizable</span>' in html
    assert 'class="lop blocked' in html and 'class="linview"' in html
    assert 'class="lnode weakest" data-model="linearizable"' in html
