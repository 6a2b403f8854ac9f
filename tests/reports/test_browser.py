"""The reports in a real headless Chromium: no console errors, no requests, key elements.

Screenshots go to ``$DDIALAB_SCREENSHOTS`` (default: a temporary directory, printed).
Draw times are printed, never asserted (performance claims live in bench/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from reports import render_matrix, render_run

PAGE_FACTS = """(() => {
  const tl = window.ddialab.timeline, cv = document.getElementById("tl-canvas");
  const px = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
  let green = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i+1] > 110 && px[i] < 80 && px[i+2] < 120) green++;
  return {
    verdict: document.getElementById("verdict").textContent,
    anomalies: document.querySelectorAll("article.anomaly").length,
    graphs: document.querySelectorAll("svg.graph").length,
    linviews: document.querySelectorAll("svg.linview").length,
    lamports: document.querySelectorAll("svg.lamport").length,
    lattice: document.querySelectorAll("#lattice g.lnode").length,
    charts: document.querySelectorAll("#latency-chart, #throughput-chart").length,
    ops: tl.n, drawn: tl.lastDrawn, drawMs: tl.lastDrawMs, greenPixels: green,
  };
})()"""


def assert_clean(browser, path: Path) -> None:
    assert browser.errors() == []
    foreign = [u for u in browser.requests() if not u.startswith("file:")]
    assert foreign == [], f"the page asked for {foreign}"
    assert browser.requests() == [path.resolve().as_uri()]


def test_small_report(chromium, small_run: Path, shots_dir: Path) -> None:
    out = render_run(small_run)
    chromium.load(out)
    assert_clean(chromium, out)
    facts = chromium.eval(PAGE_FACTS)
    assert facts["verdict"] == "invalid"
    assert facts["anomalies"] == 5
    assert facts["graphs"] == 2 and facts["linviews"] == 2 and facts["lamports"] >= 3
    assert facts["lattice"] == 24 and facts["charts"] == 2
    assert facts["ops"] == 200 and facts["drawn"] > 100 and facts["greenPixels"] > 1000
    shot = chromium.screenshot(shots_dir / "report-small.png")
    print(f"\nsmall report: {facts}; screenshot {shot}")
    assert shot.stat().st_size > 20_000


def test_small_report_interactions(chromium, small_run: Path) -> None:
    chromium.load(render_run(small_run))
    # the second dead end's tab shows its panel and hides the first
    visible = chromium.eval("""(() => {
      document.querySelectorAll(".linear button.tab")[1].click();
      const panels = [...document.querySelectorAll(".linear .tabpanel")];
      return panels.map(p => !p.classList.contains("hidden"));
    })()""")
    assert visible == [False, True]
    # hovering an op bar shows its details
    tip = chromium.eval("""(() => {
      const tl = window.ddialab.timeline, cv = document.getElementById("tl-canvas");
      const r = cv.getBoundingClientRect(), i = tl.lanes[0][3];
      const x = r.left + (tl.x(tl.d.s[i]) + tl.x(tl.end[i])) / 2, y = r.top + 22 + tl.rowH / 2;
      cv.dispatchEvent(new MouseEvent("mousemove", {clientX: x, clientY: y, bubbles: true}));
      const t = document.getElementById("tl-tip");
      return [t.classList.contains("hidden"), t.textContent, tl.d.i[i]];
    })()""")
    assert tip[0] is False and tip[1].startswith(f"op {tip[2]}")
    # "show on timeline" zooms to the witness's ops; zoom and reset work
    span = chromium.eval("""(() => {
      const tl = window.ddialab.timeline, full = tl.v1 - tl.v0;
      document.querySelector("button.focus").click();
      const focused = tl.v1 - tl.v0;
      document.getElementById("tl-reset").click();
      return [full, focused, tl.v1 - tl.v0];
    })()""")
    assert span[1] < span[0] == span[2]
    # the key filter shows one partition; the linearizability witness selects its key
    keys = chromium.eval("""(() => {
      const tl = window.ddialab.timeline, sel = document.getElementById("tl-key");
      sel.value = "-1"; sel.dispatchEvent(new Event("change"));
      const all = tl.lastDrawn;
      sel.value = "1"; sel.dispatchEvent(new Event("change"));
      const one = tl.lastDrawn;
      document.querySelector("button.focus[data-key]").click();
      return [all, one, sel.options.length, tl.key, sel.classList.contains("hidden")];
    })()""")
    assert keys[1] < keys[0] and keys[2] == 6 and keys[3] == 0 and keys[4] is False
    assert chromium.errors() == []


def test_100k_op_report(chromium, big_run: Path, shots_dir: Path) -> None:
    out = big_run / "report.html"
    size = out.stat().st_size
    assert size < 6_000_000, f"{size} bytes: the timeline should be embedded compactly"
    chromium.load(out)
    assert_clean(chromium, out)
    facts = chromium.eval(PAGE_FACTS)
    assert facts["ops"] == 50_000 and facts["lattice"] == 24
    assert facts["greenPixels"] > 10_000
    zoomed = chromium.eval("""(() => {
      const tl = window.ddialab.timeline;
      tl.zoom(0.01); const r = [tl.lastDrawn, tl.lastDrawMs]; tl.reset(); return r;
    })()""")
    assert 0 < zoomed[0] < facts["drawn"]
    # mouse-wheel zoom: many events, one draw per animation frame
    wheel = chromium.eval("""(async () => {
      const cv = document.getElementById("tl-canvas"), tl = window.ddialab.timeline;
      const r = cv.getBoundingClientRect(), span = tl.v1 - tl.v0;
      for (let i = 0; i < 20; i++) cv.dispatchEvent(new WheelEvent("wheel", {deltaY: -100,
        clientX: r.left + 400, clientY: r.top + 50, bubbles: true, cancelable: true}));
      await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
      const r2 = [span, tl.v1 - tl.v0, tl.lastDrawn]; tl.reset(); return r2;
    })()""")
    assert wheel[1] < wheel[0] / 10 and wheel[2] < facts["drawn"]
    shot = chromium.screenshot(shots_dir / "report-100k.png")
    print(
        f"\n100k report: {size / 1e6:.2f} MB; whole-run draw {facts['drawMs']:.1f} ms "
        f"({facts['drawn']} bars), zoomed draw {zoomed[1]:.1f} ms; screenshot {shot}"
    )


def test_matrix_page(chromium, tmp_path: Path, shots_dir: Path) -> None:
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    cells = {
        "linearizable": {"status": "violated", "run_dir": str(run_dir), "seed": 7},
        "read-your-writes": {"status": "held", "runs": 12},
        "serializable": "not-applicable",
        "monotonic-reads": {"status": "not-demonstrated", "runs": 12},
    }
    data = {
        "guarantees": list(cells),
        "rows": [{"system": "leaderless", "cells": cells}, {"system": "single-node", "cells": {}}],
    }
    out = render_matrix(data, tmp_path / "matrix.html")
    chromium.load(out, ready=False)
    assert_clean(chromium, out)
    assert chromium.eval("document.querySelectorAll('td.cell').length") == 8
    chromium.screenshot(shots_dir / "matrix.png")


@pytest.mark.parametrize("which", ["small_run", "big_run"])
def test_screenshot_from_the_command_line(request, which: str, shots_dir: Path) -> None:
    """The plain ``chromium --headless --screenshot`` route, as a user would take one."""
    chromium = os.environ.get("DDIALAB_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        pytest.skip("headless browser tests need Chromium (apt-get install chromium); skipped")
    run = request.getfixturevalue(which)
    out = run / "report.html" if which == "big_run" else render_run(run)
    shot = shots_dir / f"report-{which}-cli.png"
    with tempfile.TemporaryDirectory(prefix="ddialab-chromium-") as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                "--window-size=1400,2400",
                out.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
    assert shot.stat().st_size > 20_000


EDGE_HISTORIES = {
    "empty": [],
    "nemesis-only": [
        {"index": 0, "time": 5, "type": "invoke", "process": "nemesis", "f": "kill", "value": None},
        {"index": 1, "time": 9, "type": "info", "process": "nemesis", "f": "kill", "value": "n1"},
    ],
    "one-pending-op": [
        {"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "read", "value": None},
    ],
}


@pytest.mark.parametrize("name", sorted(EDGE_HISTORIES))
def test_degenerate_histories_load_cleanly(chromium, tmp_path: Path, name: str) -> None:
    run = tmp_path / name
    run.mkdir()
    (run / "history.jsonl").write_text(
        "".join(json.dumps(op) + "\n" for op in EDGE_HISTORIES[name])
    )
    out = render_run(run)
    chromium.load(out)
    assert_clean(chromium, out)
    assert chromium.eval("window.ddialab.timeline.n") == (1 if name == "one-pending-op" else 0)
