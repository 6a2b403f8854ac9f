"""Every checker, through ``ddialab check``, on valid histories with one defect each.

Guards the fail-closed contract of the CLI: whatever one defect (a dropped field, a value
of the wrong type, an odd JSON value, a micro-op cut short, a completion whose invocation
is gone, a torn last line) does to a history that is valid as written, the exit code is
0, 3 or 4 -- never 1 (the base histories hold no anomaly, so "invalid" would be a lie)
and never a traceback; and an unreadable file (exit 3) is named with its line.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddialab.cli import main


def _ops(*pairs: tuple[int, str, Any, Any]) -> list[dict[str, Any]]:
    """Each (process, f, invoke value, ok value) as an invoke and its ok completion."""
    out: list[dict[str, Any]] = []
    for p, f, inv, ok in pairs:
        for typ, value in (("invoke", inv), ("ok", ok)):
            out.append({"index": len(out), "time": len(out), "type": typ, "process": p})
            out[-1].update(f=f, value=value)
    return out


def _overlap() -> list[dict[str, Any]]:
    """add 1 invoked, read invoked and returning [1], then the add acknowledged."""
    rows = [(0, "invoke", "add", 1), (1, "invoke", "read", None), (1, "ok", "read", [1])]
    rows.append((0, "ok", "add", 1))
    return [
        {"index": i, "time": i, "type": t, "process": p, "f": f, "value": v}
        for i, (p, t, f, v) in enumerate(rows)
    ]


def _durable() -> list[dict[str, Any]]:
    """A durable write, a crash, and a read that still sees the write."""
    ops = _ops((0, "write", [1, 1], [1, 1]), (0, "read", [1, None], [1, 1]))
    ops[1]["durable"] = True
    crash = {"index": 2, "time": 2, "type": "info", "process": "nemesis", "f": "crash"}
    ops.insert(2, {**crash, "value": None})
    for i, op in enumerate(ops):
        op["index"] = op["time"] = i
    return ops


_TXN = [["w", "x", 1], ["r", "y", None]]
_READ_ALL = {
    "source": [[1, "a", 1]],
    "view": {"cache": [[1, "a"]], "versions": [[1, 1]], "index": [["a", [1]]]},
}
#: checker -> (extra CLI arguments, a valid base history).
BASES: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
    "linearizable": (
        ["--model", "cas-register", "--independent"],
        _ops((0, "write", [1, 1], [1, 1]), (1, "read", [1, None], [1, 1])),
    ),
    "register-simple": ([], _ops((0, "write", [1, 1], [1, 1]), (1, "read", [1, None], [1, 1]))),
    "session": ([], _ops((0, "write", [1, 1], [1, 1]), (0, "read", [1, None], [1, 1]))),
    "convergence": (
        [],
        _ops((0, "write", [1, 1], [1, 1]), (1, "final-read", [1, None], [1, 1])),
    ),
    # the read overlaps the add, so a read cut short to [] is still legal
    "set": ([], _overlap()),
    "counter": ([], _ops((0, "add", 1, 1), (1, "read", None, 1))),
    "unique-ids": ([], _ops((0, "generate", None, 1), (1, "generate", None, 2))),
    "queue": ([], _ops((0, "dequeue", None, None), (1, "enqueue", 1, 1))),
    "durability": ([], _durable()),
    "kafka": ([], _ops((0, "send", [0, 5], [0, [0, 5]]), (1, "poll", None, [[0, [[0, 5]]]]))),
    "derived-view": ([], _ops((0, "write", [1, "a"], [1, "a"]), (1, "read-all", None, _READ_ALL))),
    "documents": ([], _ops((0, "txn", _TXN, [["w", "x", 1], ["r", "y", 2]]))),
    "graph": ([], _ops((0, "txn", _TXN, [["w", "x", 1], ["r", "adj:1", []]]))),
    "relational": ([], _ops((0, "txn", _TXN, [["w", "x", 1], ["r", "users/1", {"id": 1}]]))),
    "text": ([], _ops((0, "insert", [0, "a"], [0, "a"]), (0, "final-read", [0, None], [0, ["a"]]))),
    "elle": (
        ["--model", "list-append"],
        _ops(
            (0, "txn", [["append", "x", 1]], [["append", "x", 1]]),
            (1, "txn", [["r", "x", None]], [["r", "x", [1]]]),
        ),
    ),
    "bank": ([], _ops((0, "read", None, {"a": 50, "b": 50}))),
    "long-fork": (
        [],
        _ops(
            (0, "txn", [["w", "x", 1]], [["w", "x", 1]]),
            (1, "txn", [["r", "x", None], ["r", "y", None]], [["r", "x", 1], ["r", "y", None]]),
        ),
    ),
}

#: Values of the wrong type for every vocabulary here: none is a legal read that would
#: make a genuine anomaly (an integer or array could: a counter read out of bounds).
#: Ops (by index) whose ok value is free-form for the checker (see ``_defect``).
FREE = {"unique-ids": {1, 3}, "queue": {1}, "set": {0, 2}}
_ODD = st.sampled_from([None, {"a": 1}, "zz", 1.5, True])
DEFECTS = ["drop", "wrong-type", "odd-value", "short", "orphan", "torn"]


def _defect(ops: list[dict[str, Any]], kind: str, data: st.DataObject, free: set[int]) -> str:
    """The history as JSON Lines text, with one defect of ``kind`` drawn from ``data``.

    ``free`` ops return a value of the checker's own choosing (a dequeued element, an id):
    any value is legal there, and a strange one is a genuine anomaly, so no odd value goes
    there.
    """
    ops = copy.deepcopy(ops)
    i = data.draw(st.integers(0, len(ops) - 1), label="op")
    if kind == "drop":
        key = data.draw(st.sampled_from(["value", "f", "type", "process", "time"]), label="key")
        ops[i].pop(key, None)
    elif kind == "wrong-type":
        key = data.draw(st.sampled_from(["f", "type", "process", "time"]), label="key")
        ops[i][key] = data.draw(_ODD.filter(lambda v: not isinstance(v, str)), label="new")
    elif kind == "odd-value" and i not in free:
        ops[i]["value"] = data.draw(_ODD, label="new")
    elif kind == "short":
        ops[i]["value"] = _cut(ops[i]["value"])
    elif kind == "orphan":
        ops = _without_invocation(ops, i)
    text = "".join(json.dumps(op) + "\n" for op in ops)
    if kind == "torn":
        text = text[: -data.draw(st.integers(2, 20), label="torn")]
    return text


def _cut(v: Any) -> Any:
    """A micro-op or pair cut short: drop the last element of the innermost array."""
    if isinstance(v, list) and v and isinstance(v[0], list) and v[0]:
        return [v[0][:-1], *v[1:]]
    return v[:-1] if isinstance(v, list) else v


def _without_invocation(ops: list[dict[str, Any]], i: int) -> list[dict[str, Any]]:
    j = i if ops[i]["type"] == "invoke" else i - 1
    rest = [op for k, op in enumerate(ops) if k != j]
    for k, op in enumerate(rest):
        op["index"] = k
    return rest


def _params() -> list[Any]:
    return [pytest.param(name, id=name) for name in BASES]


def _run(capsys: pytest.CaptureFixture[str], path: Path, checker: str, args: list[str]) -> Any:
    code = main(["check", str(path), "-c", checker, *args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("checker", _params())
def test_base_histories_are_valid(
    checker: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the generator: each base history is valid as written, so exit 1 on a mutant
    can only mean the defect was taken for an anomaly."""
    args, ops = BASES[checker]
    p = tmp_path / "h.jsonl"
    p.write_text("".join(json.dumps(op) + "\n" for op in ops))
    code, text = _run(capsys, p, checker, args)
    assert code == 0, text


@pytest.mark.parametrize("checker", _params())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(DEFECTS), data=st.data())
def test_one_defect_never_gives_a_traceback_or_a_false_invalid(
    checker: str,
    kind: str,
    data: st.DataObject,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards fail-closed input handling for every checker: exit in {0, 3, 4}, no
    traceback (an uncaught exception fails the test by itself), and exit 3 names the file
    and a line number."""
    args, ops = BASES[checker]
    p = tmp_path / "h.jsonl"
    p.write_text(_defect(ops, kind, data, FREE.get(checker, set())))
    code, text = _run(capsys, p, checker, args)
    assert "Traceback" not in text
    assert code in (0, 3, 4), (kind, text)
    if code == 3:
        assert re.search(rf"{re.escape(str(p))}:\d+: ", text), text
