"""``render_run``: a run directory -> one self-contained ``report.html``.

Theory of operation
-------------------
``_load`` reads the directory, ``_history`` pairs ops and computes bands and statistics,
``_anomalies`` turns checker results into witness views, ``_graphs``/``_diagrams``/``_svg``
draw, and the Jinja2 template ``run.html.j2`` (autoescaped) lays it all out.  CSS and JS
are package files inlined into the page; the timeline's data is one compact JSON object in
a ``<script type="application/json">``, escaped so no ``</script>`` can end it early.  The
page never references anything outside itself: it opens from disk, offline.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from reports import _anomalies as an
from reports._diagrams import MessageLog, linear_view, message_diagram, window_diagram
from reports._graphs import lattice_svg
from reports._history import QUANTILES, analyse, latency_table, series, timeline_data
from reports._load import REPORT, RunFiles, load_run
from reports._svg import (
    BAND_COLORS,
    OUTCOME_COLORS,
    band_color,
    duration,
    latency_chart,
    throughput_chart,
)

#: The first ops a witness names (the op that cannot be placed, the cycle's txns) frame
#: its message diagram.
MSG_AROUND = 4
#: The Network section's diagram: this long before and after the first fault (ns).
NETWORK_BEFORE, NETWORK_AFTER = 5_000_000, 20_000_000


#: How the page names what it reports on; ``reports._source`` rewords it for a history file.
RUN_WORDING = {
    "noun": "run",
    "source_label": "run",
    "replay_heading": "Replay",
    "replay_note": "Re-run this exact test (same seed, same history):",
    "details_name": "test.json",
    "details_title": "Test details",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["duration"] = duration
    env.filters["verdict"] = an.verdict_word
    env.globals["asset"] = asset
    return env


@cache
def asset(name: str) -> Markup:
    """A CSS or JS file of the package, to be inlined (trusted: it is our own code)."""
    return Markup(resources.files("reports").joinpath("templates", name).read_text("utf-8"))


def json_script(data: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(data, separators=(",", ":"), default=str, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def render_run(run_dir: str | os.PathLike[str]) -> pathlib.Path:
    """Write ``run_dir/report.html`` from the run's files and return its path."""
    t_start = time.perf_counter()
    run = load_run(run_dir)
    html = environment().get_template("run.html.j2").render(**run_context(run))
    out = pathlib.Path(run.run_dir) / REPORT
    out.write_text(html.replace("@RENDER_SECONDS@", f"{time.perf_counter() - t_start:.2f}"),
                   encoding="utf-8")  # fmt: skip
    return out


def run_context(run: RunFiles) -> dict[str, Any]:
    spec = run.test.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    view = analyse(run.ops)
    log = MessageLog(run.messages) if run.messages else None
    witnesses = an.witness_views(run.results, view, lambda wv, w: _decorate(wv, w, log, view))
    marked = {i for w in witnesses for i in w.op_indices}
    everything, weakest, off = an.ruled_out(run.results)
    checked = {m: cs for m, cs in an.checked_models(run.results).items() if m not in everything}
    stats = series(view)
    concurrency = spec.get("concurrency") if isinstance(spec.get("concurrency"), int) else None
    return {
        "title": _title(spec, run),
        "run_dir": os.path.basename(os.path.abspath(run.run_dir)),
        **RUN_WORDING,
        "spec": spec,
        "summary": _summary(spec, run),
        "replay": run.test.get("replay"),
        "test": run.test,
        "test_json": json.dumps(run.test, indent=1, sort_keys=True, default=str),
        "valid": run.results.get("valid", "unknown") if run.results else "unknown",
        "skipped": run.results.get("skipped") or [],
        "checkers": an.checker_views(run.results),
        "witnesses": witnesses,
        "warnings": run.warnings,
        "lattice": lattice_svg(everything, weakest, checked),
        "checked": sorted(checked.items()),
        "ruled_out": sorted(everything),
        "weakest": sorted(weakest),
        "off_lattice": off,
        "timeline": json_script(timeline_data(view, concurrency, marked)),
        "latency_chart": latency_chart(stats, view.bands, view.t0),
        "throughput_chart": throughput_chart(stats, view.bands, view.t0),
        "latency_rows": latency_table(view.pairs),
        "quantiles": QUANTILES,
        "bands": view.bands,
        "band_color": band_color,
        "band_colors": BAND_COLORS,
        "outcome_colors": OUTCOME_COLORS,
        "n_ops": len(run.ops),
        "n_pairs": len(view.pairs),
        "span": view.t1 - view.t0,
        "t0": view.t0,
        "logical": view.logical,
        "messages": _message_summary(run.messages),
        "network_diagram": _network_diagram(log, view),
        "generated": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }


def _decorate(w: an.WitnessView, raw: Any, log: MessageLog | None, view: Any) -> None:
    if isinstance(raw, dict) and "prefixes" in raw:
        w.linear = linear_view(raw, view)
    if log is not None:
        around = [view.by_index[i] for i in w.op_indices[:MSG_AROUND] if i in view.by_index]
        w.messages = message_diagram(log, around, view.t0)


def _network_diagram(log: MessageLog | None, view: Any) -> Any:
    """Messages around the first fault (or the start): what the network did when it hit."""
    if log is None or not log.messages:
        return None
    start = view.bands[0].start if view.bands else view.t0
    rules = [(b.start, f"{b.kind} begins") for b in view.bands]
    rules += [(b.end, f"{b.kind} ends") for b in view.bands if b.end > b.start]
    return window_diagram(log, start - NETWORK_BEFORE, start + NETWORK_AFTER, view.t0, [], rules)


def _title(spec: dict[str, Any], run: RunFiles) -> str:
    if not spec:
        return f"ddialab run {os.path.basename(os.path.abspath(run.run_dir))}"
    nemesis = "+".join(spec.get("nemesis") or []) or "no faults"
    return f"{spec.get('system')} · {spec.get('workload')} · {nemesis} · seed {spec.get('seed')}"


def _summary(spec: dict[str, Any], run: RunFiles) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key in ("system", "workload", "nemesis", "seed", "concurrency", "time_limit", "rate"):
        if key in spec:
            value = spec[key]
            if key == "nemesis":
                value = ", ".join(value) or "none"
            rows.append((key.replace("_", " "), value))
    for key in ("system_options", "workload_options"):
        if spec.get(key):
            rows.append((key.replace("_", " "), json.dumps(spec[key], sort_keys=True)))
    stats = run.test.get("stats")
    if isinstance(stats, dict):
        for k, v in sorted(stats.items()):
            if isinstance(v, dict):
                v = ", ".join(f"{a} {b}" for a, b in sorted(v.items()))
            rows.append((str(k).replace("_", " "), v))
    versions = run.test.get("versions")
    if isinstance(versions, dict):
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    return rows


def _message_summary(messages: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if messages is None:
        return None
    counts: dict[str, int] = {}
    for m in messages:
        o = str(m.get("outcome", "?"))
        counts[o] = counts.get(o, 0) + 1
    types: dict[str, int] = {}
    for m in messages:
        t = str(m.get("type", "?"))
        types[t] = types.get(t, 0) + 1
    top = sorted(types.items(), key=lambda kv: -kv[1])[:12]
    return {"total": len(messages), "outcomes": sorted(counts.items()), "types": top}
