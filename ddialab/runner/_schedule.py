"""Fault schedules of runs: extract one from a history, save it, load it for a replay.

After a run, ``schedule.json`` in its directory lists every fault the nemesis performed
in the main phase (the final heals are not part of it: every run performs them), each
with the value it was invoked with and, where that was a spec to resolve, the *explicit*
value its completion reported as ``applied`` (the nodes actually killed, the grudge
actually installed).  ``ddialab run --schedule FILE`` (or ``--replay RUN_DIR``) plays it
back instead of the packages' own random schedule; with the same seed and options the
history is the same.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ddialab.errors import UsageError
from ddialab.history import History
from ddialab.runner._store import write_json
from ddialab.vocabulary import RESOLVED_FS
from nemesis import build_nemesis, parse_schedule, schedule_document


def schedule_from_history(history: History, final_ops: int) -> dict[str, Any]:
    """The main phase's nemesis ops of a history as an explicit schedule document.

    The runner's heal phase performs the package's ``final_ops`` once each, after every
    op of the main phase has completed and before any other nemesis op, so they are
    exactly the last ``final_ops`` nemesis invocations; everything before is the schedule.
    """
    events: list[dict[str, Any]] = []
    pending: dict[str, Any] | None = None
    for op in history:
        if op.process != "nemesis":
            continue
        if op.type == "invoke":
            pending = {"time_ns": op.time, "f": op.f, "value": op.value}
            events.append(pending)
        elif pending is not None:
            if op.f in RESOLVED_FS and op.error is None and op.value != pending["value"]:
                pending["applied"] = op.value
            pending = None
    return schedule_document(events[: len(events) - final_ops])


def run_schedule(history: History, spec: Any) -> dict[str, Any]:
    """The schedule of a finished run of ``spec`` (see ``schedule_from_history``)."""
    try:
        finals = len(build_nemesis(spec.nemesis, spec).final_ops)
    except UsageError:  # fault names only another runner knows: one heal per fault
        finals = len(spec.nemesis)
    return schedule_from_history(history, finals)


def save_schedule(path: str, schedule: dict[str, Any]) -> None:
    """Write a schedule keeping its values' key order, which a replay reproduces as is."""
    write_json(path, schedule, sort_keys=False)


def load_schedule(path: str) -> dict[str, Any]:
    """A schedule from a JSON file, or from a run directory's ``schedule.json``."""
    if os.path.isdir(path):
        path = os.path.join(path, "schedule.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such schedule file") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    return schedule_document(parse_schedule(data))
