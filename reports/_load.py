"""Reading a run directory into plain data, tolerantly.

A report must render whatever a run left behind: the runner writes ``history.jsonl`` as
the run happens, ``test.json`` twice (before and after the simulation), ``results.json``
after checking, and ``messages.jsonl`` only when ``record_messages`` is on.  The history is
the one file a report cannot do without; a missing ``test.json`` or ``results.json`` is
reported as a warning on the page.  Malformed files raise ``DdialabError`` naming the file
and line, so ``ddialab report`` exits 3 with a message instead of a traceback.

The history is read as raw dicts (not ``Op`` objects): the report only looks at a handful
of fields, and 100k ``json.loads`` calls are the bulk of the reading cost already.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ddialab.errors import DdialabError

HISTORY = "history.jsonl"
TEST = "test.json"
RESULTS = "results.json"
MESSAGES = "messages.jsonl"
REPORT = "report.html"


@dataclass
class RunFiles:
    """Everything a report is rendered from."""

    run_dir: str
    ops: list[dict[str, Any]]
    test: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)


def load_run(run_dir: str | os.PathLike[str]) -> RunFiles:
    """Read a run directory; ``DdialabError`` if it is not one or a file is malformed."""
    path = os.fspath(run_dir)
    if not os.path.isdir(path):
        raise DdialabError(f"{path}: not a directory (expected a run directory)")
    history = os.path.join(path, HISTORY)
    if not os.path.isfile(history):
        raise DdialabError(f"{path}: no {HISTORY} here (is this a run directory?)")
    run = RunFiles(path, read_jsonl(history))
    run.test = _optional_json(run, TEST)
    run.results = _optional_json(run, RESULTS)
    messages = os.path.join(path, MESSAGES)
    if os.path.isfile(messages):
        run.messages = read_jsonl(messages)
    return run


def read_jsonl(path: str) -> list[dict[str, Any]]:
    """All objects of a JSON Lines file; ``DdialabError`` naming the first bad line."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    try:  # one parse of the whole file is several times faster than one per line
        out = json.loads("[" + ",".join(lines) + "]")
        if all(isinstance(x, dict) for x in out):
            return out
    except json.JSONDecodeError:
        pass
    return _read_jsonl_slowly(path)


def _read_jsonl_slowly(path: str) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DdialabError(f"{path}:{lineno}: invalid JSON: {e.msg}") from None
            if not isinstance(obj, dict):
                raise DdialabError(f"{path}:{lineno}: expected a JSON object per line")
            out.append(obj)
    return out


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DdialabError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None


def _optional_json(run: RunFiles, name: str) -> dict[str, Any]:
    path = os.path.join(run.run_dir, name)
    if not os.path.isfile(path):
        run.warnings.append(f"{name} is missing: this run may not have finished")
        return {}
    data = read_json(path)
    if not isinstance(data, dict):
        raise DdialabError(f"{path}: expected a JSON object")
    return data
