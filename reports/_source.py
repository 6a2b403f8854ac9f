"""``render_history``: a report for any history, without a run directory.

Theory of operation
-------------------
A run report is rendered from a run directory's files; a history checked with ``ddialab
check`` (a Jepsen EDN file, an elle-cli history, a Porcupine log, a JSONL file) has no
directory, only the ops, the checker's result and how it was checked.  This module turns
those three into the same :class:`~reports._load.RunFiles` a run directory would give
(ops as dicts, results in the run's ``{"valid", "checkers": {name: result}}`` shape) and
renders it with the run template, so the page is the same page: verdicts, the
consistency-model lattice, witnesses with their cycle graphs and Porcupine-like views,
the timeline, latencies.  Only the framing differs: the title names the file and checker,
the summary shows the source (path, format, checker, options) instead of a test spec, and
the "Replay" box holds the ``ddialab check`` command that reproduces the verdict.  A
history whose times are only its event numbers (Jepsen EDN and logs without ``:time``)
is drawn in event order, and the page says so.

The *source spec* is a small dict validated against :data:`SPEC_KEYS`: ``path`` (the
history file as given), ``format`` (the format it was read as), ``checker`` (the name the
result is filed under) and ``options`` (the checker's options).
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import time
from collections.abc import Iterable, Mapping
from typing import Any

from reports._load import RunFiles
from reports._render import environment, run_context

#: The keys a source spec may have, and whether each is required.
SPEC_KEYS = {"path": True, "checker": True, "format": False, "options": False}
#: Checker options that ``ddialab check`` takes as JSON rather than as a word.
JSON_OPTIONS = frozenset({"init"})


def render_history(
    ops: Iterable[Any],
    results: Mapping[str, Any],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> pathlib.Path:
    """Write the report of a checked history to ``out`` and return its path.

    ``ops`` are op dicts or objects with ``to_dict()`` (``ddialab.history.Op``);
    ``results`` is one checker's result or a composed ``{"valid", "checkers"}`` result.
    """
    t_start = time.perf_counter()
    source = validate_spec(spec)
    run = history_files(ops, results, source)
    html = environment().get_template("run.html.j2").render(**history_context(run, source))
    path = pathlib.Path(out)
    elapsed = f"{time.perf_counter() - t_start:.2f}"
    path.write_text(html.replace("@RENDER_SECONDS@", elapsed), encoding="utf-8")
    return path


def validate_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as a plain dict; ``ValueError`` naming an unknown or missing key."""
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"unknown source spec keys {unknown}; known: {sorted(SPEC_KEYS)}")
    missing = sorted(k for k, required in SPEC_KEYS.items() if required and k not in spec)
    if missing:
        raise ValueError(f"source spec lacks {missing}")
    options = spec.get("options") or {}
    if not isinstance(options, Mapping):
        raise ValueError("source spec 'options' must be a mapping")
    return {**spec, "path": os.fspath(spec["path"]), "options": dict(options)}


def history_files(
    ops: Iterable[Any], results: Mapping[str, Any], source: dict[str, Any]
) -> RunFiles:
    """What a run directory would hold for this history: ops, results, a test record."""
    dicts = [op.to_dict() if hasattr(op, "to_dict") else dict(op) for op in ops]
    if untimed(dicts):
        dicts = [{**op, "time": 0} for op in dicts]
    return RunFiles(source["path"], dicts, {"source": source}, composed(results, source))


def untimed(ops: list[dict[str, Any]]) -> bool:
    """Did the reader number the events for want of times?  Jepsen's readers give an op
    without ``:time`` its index as its time; shown as nanoseconds that would be a lie, so
    such a history is drawn in event order, like any history without times."""
    return len(ops) > 1 and all(op.get("time") == op.get("index") for op in ops)


def composed(results: Mapping[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """A single checker's result filed under its name, as a run's results.json has it."""
    if isinstance(results.get("checkers"), Mapping):
        return dict(results)
    return {"valid": results.get("valid", "unknown"), "checkers": {source["checker"]: results}}


def history_context(run: RunFiles, source: dict[str, Any]) -> dict[str, Any]:
    """The run template's context, reframed around a history file instead of a run."""
    context = run_context(run)
    context.update(
        title=history_title(source),
        noun="history",
        source_label="history file",
        run_dir=source["path"],
        summary=source_summary(source),
        replay=check_command(source),
        replay_heading="Check again",
        replay_note="Check this history again (same checker, same options):",
        details_name="how it was checked",
        details_title="Source",
        test_json=json.dumps(source, indent=1, sort_keys=True, default=str),
    )
    return context


def history_title(source: dict[str, Any]) -> str:
    parts = [os.path.basename(source["path"].rstrip("/")) or source["path"], source["checker"]]
    model = source["options"].get("model")
    if model is not None:
        parts.append(str(model))
    return " · ".join(parts)


def source_summary(source: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    if source.get("format"):
        rows.append(("format", source["format"]))
    rows.append(("checker", source["checker"]))
    for key, value in sorted(source["options"].items()):
        rows.append((key.replace("_", " "), json.dumps(value, sort_keys=True, default=str)))
    return rows


def check_command(source: dict[str, Any]) -> str:
    """The ``ddialab check`` command line that reproduces this verdict."""
    words = ["ddialab", "check", source["path"], "--checker", source["checker"]]
    if source.get("format") and not os.path.isdir(source["path"]):
        words += ["--format", source["format"]]
    for key, value in sorted(source["options"].items()):
        words += option_words(key, value)
    return shlex.join(words)


def option_words(key: str, value: Any) -> list[str]:
    flag = "--" + key.replace("_", "-")
    if value is True:
        return [flag]
    if value is False or (value is None and key not in JSON_OPTIONS):
        return []
    return [flag, json.dumps(value) if key in JSON_OPTIONS else str(value)]
