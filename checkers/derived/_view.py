"""The derived-view checker: after quiescence the view must be a function of the source.

Theory of operation
-------------------
The ``derived-view`` workload ends with ``read-all`` ops: the whole source (rows
``[key, value, writes]``) and the whole view (``cache`` key -> value, ``index`` value ->
keys, ``versions`` key -> writes applied), read after the faults healed and the system
quiesced.  The last such read is the converged state, and the view must equal ``f(source)``:

* ``divergence``        -- the cache holds another value than the source for a key (or a
  key only one side has).  The witness names the write that put each value there; when
  their intervals overlap they are *racing writes* (and a dual-writing client's recorded
  ``steps`` show the crossing: source order one way, view order the other);
* ``index-mismatch``    -- the secondary index is not the inversion of the source;
* ``aggregate-mismatch`` -- the view counted a different number of writes to a key than the
  source took (a replayed change applied twice, or a change lost).

Staleness is measured, not judged: for every ``read-view`` of key ``k`` at time ``t``
returning value ``w``, the view was stale since the completion of the first write that
certainly superseded ``w`` (invoked after ``w``'s write completed, completed before
``t``); ``lag`` reports these durations as a time series plus max and mean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check, unknown_result
from ddialab.history import (
    ANY,
    INT,
    KEY_VALUE,
    History,
    Op,
    ShapeTable,
    fields,
    list_of,
    pair_of,
    tuple_of,
)

#: at most this many lag samples are returned as a series
SERIES_CAP = 500


def _writes(history: History) -> dict[tuple[str, str], tuple[Op, Op | None]]:
    """(key, value) as JSON -> (invocation, completion) of the write that wrote it."""
    out: dict[tuple[str, str], tuple[Op, Op | None]] = {}
    for op in history:
        if op.type == "invoke" and op.f == "write" and op.is_client:
            k, v = op.value
            out[(json.dumps(k), json.dumps(v))] = (op, history.completion(op))
    return out


def _describe(write: tuple[Op, Op | None] | None) -> dict[str, Any] | None:
    if write is None:
        return None
    inv, done = write
    return {
        "op": inv.index,
        "process": inv.process,
        "invoked": inv.time,
        "completed": done.time if done else None,
        "outcome": done.type if done else "info",
        "steps": done.extra.get("steps") if done else None,
    }


def _racing(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return False
    a_end = a["completed"] if a["completed"] is not None else float("inf")
    b_end = b["completed"] if b["completed"] is not None else float("inf")
    return bool(a["invoked"] < b_end and b["invoked"] < a_end)


def _divergence(k: Any, sv: Any, vv: Any, writes: dict[Any, Any], read: int) -> dict[str, Any]:
    """``read``: the index of the converged read that shows the two sides disagreeing."""
    src = _describe(writes.get((json.dumps(k), json.dumps(sv))))
    view = _describe(writes.get((json.dumps(k), json.dumps(vv))))
    racing = _racing(src, view)
    how = (
        "the two writes raced (their intervals overlap): they reached the source in one "
        "order and the view in the other"
        if racing
        else "the view missed the later write"
    )
    return {
        "key": k,
        "source_value": sv,
        "view_value": vv,
        "source_write": src,
        "view_write": view,
        "racing": racing,
        "ops": [w["op"] for w in (src, view) if w is not None] + [read],
        "explanation": f"after quiescence key {k!r} is {sv!r} in the source but {vv!r} in "
        f"the view, for good: {how} (op {_when(src)} wrote the source's value, op "
        f"{_when(view)} the view's)",
    }


def _when(write: dict[str, Any] | None) -> str:
    if write is None:
        return "(none)"
    steps = write.get("steps") or {}
    at = ", ".join(
        f"{store} at {t / 1e6:.1f} ms" for store, t in sorted(steps.items(), key=lambda s: s[1])
    )
    return f"{write['op']}" + (f" [{at}]" if at else "")


def _converged(final: Op, writes: dict[Any, Any]) -> dict[str, list[Any]]:
    source = {json.dumps(k): (k, v, n) for k, v, n in final.value["source"]}
    view = final.value["view"]
    cache = {json.dumps(k): v for k, v in view["cache"]}
    versions = {json.dumps(k): n for k, n in view["versions"]}
    div, agg = [], []
    for key in sorted(set(source) | set(cache)):
        k, sv, n = source.get(key, (json.loads(key), None, 0))
        if cache.get(key) != sv:
            div.append(_divergence(k, sv, cache.get(key), writes, final.index))
        if versions.get(key, 0) != n:
            agg.append(
                {
                    "key": k,
                    "source_writes": n,
                    "view_writes": versions.get(key, 0),
                    "ops": [final.index],
                    "explanation": f"the source took {n} writes to key {k!r} but the view "
                    f"applied {versions.get(key, 0)}: a change applied twice or lost",
                }
            )
    index = _index(source, view, final.index)
    return {"divergence": div, "aggregate-mismatch": agg, "index-mismatch": index}


def _index(source: dict[str, Any], view: dict[str, Any], read: int) -> list[dict[str, Any]]:
    expected: dict[str, list[Any]] = {}
    for k, v, _ in source.values():
        expected.setdefault(json.dumps(v), []).append(k)
    got = {json.dumps(v): ks for v, ks in view["index"]}
    out = []
    for v in sorted(set(expected) | set(got)):
        want = sorted(expected.get(v, []), key=repr)
        have = sorted(got.get(v, []), key=repr)
        if want != have:
            out.append(
                {
                    "value": json.loads(v),
                    "source_keys": want,
                    "index_keys": have,
                    "ops": [read],
                    "explanation": f"the index maps {json.loads(v)!r} to {have}, but the "
                    f"source has that value at {want}",
                }
            )
    return out


def _lag(history: History) -> dict[str, Any]:
    by_key: dict[str, list[tuple[int, int, Any]]] = {}  # key -> (invoke, complete, value)
    for op in history:
        if op.type == "ok" and op.f == "write" and op.is_client:
            inv = history.invocation(op)
            k, v = op.value
            by_key.setdefault(json.dumps(k), []).append((inv.time if inv else op.time, op.time, v))
    series = []
    for op in history:
        if op.type != "ok" or op.f != "read-view" or not op.is_client:
            continue
        inv = history.invocation(op)
        t = inv.time if inv else op.time
        k, w = op.value
        series.append([t, _staleness(by_key.get(json.dumps(k), []), t, w)])
    lags = [s for _, s in series]
    return {
        "samples": len(series),
        "stale_reads": sum(1 for s in lags if s > 0),
        "max_ns": max(lags, default=0),
        "mean_ns": round(sum(lags) / len(lags)) if lags else 0,
        "series": series[:SERIES_CAP],
    }


def _staleness(writes: list[tuple[int, int, Any]], t: int, w: Any) -> int:
    """How long before ``t`` the value ``w`` was certainly superseded (0: not certainly)."""
    own = [end for _, end, v in writes if v == w]
    since = 0 if w is None else (min(own) if own else None)
    if since is None:
        return 0
    later = [end for start, end, _ in writes if start > since and end < t]
    return t - min(later) if later else 0


_PAIRS = list_of(KEY_VALUE)
#: Writes and view reads are ``[key, v]``; the final ``read-all`` returns the source rows
#: and the view's tables.  Anything else is bad input (exit 3 naming the line).
SHAPES: ShapeTable = {
    ("write", "*"): KEY_VALUE,
    ("read-view", "ok"): KEY_VALUE,
    ("read-all", "ok"): fields(
        source=list_of(tuple_of(ANY, ANY, INT)),
        view=fields(
            cache=_PAIRS,
            versions=list_of(pair_of(ANY, INT)),
            index=list_of(pair_of(ANY, list_of(ANY))),
        ),
    ),
}


def check(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "derived-view", SHAPES)
    finals = [op for op in history if op.type == "ok" and op.f == "read-all" and op.is_client]
    lag = _lag(history)
    if not history.client_ops():
        return nothing_to_check(history, "no client ops", lag=lag)
    if not finals:
        return unknown_result("no ok read-all after quiescence: convergence undecided", lag=lag)
    anomalies = _converged(finals[-1], _writes(history))
    return anomalies_result(anomalies, lag=lag, final_read=finals[-1].index)
