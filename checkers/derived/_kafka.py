"""The Kafka-style log checker: what sends and polls reveal about a partitioned log.

Theory of operation
-------------------
Every ok ``send`` (``[k, [offset, v]]``) and every record an ok ``poll`` returned
(``[[k, [[offset, v], ...]], ...]``) is a fact "partition ``k`` holds ``v`` at
``offset``".  From the facts:

* ``inconsistent-offsets`` -- one offset of one partition seen with different values;
* ``duplicate``            -- one value at more than one offset;
* ``lost-write``           -- an acknowledged send's record never read, although some
  poll read the partition *beyond* its offset (so it should have been there);
* ``lost-delivery``        -- a record the consumer group (non-``final`` polls) never got,
  although the group got later offsets of that partition (at-least-once broken);
* ``poll-skip``            -- a consumer's successive records of a partition jump over
  offsets that the history shows exist, without a reassignment (``assigned``) or a
  retention reset (``resets``) in between;
* ``nonmonotonic-poll``    -- a consumer reads an offset at or below one it already read
  of that partition, without a reassignment or reset in between;
* ``nonmonotonic-send``    -- a process's acknowledged sends to one partition get
  offsets that do not increase.

Option ``anomalies`` (a list of the names above) judges only those types: the
``kafka`` workload runs the checker a second time as ``durability`` with
``["lost-write", "inconsistent-offsets"]``.

``unseen`` (acknowledged sends that no poll ever returned) is reported as a count, not an
anomaly: reads may simply not have reached them.  Retention: polls report each
partition's log start (``log_starts``); a record below the highest reported start was
deleted by retention, so it counts as ``expired``, never as lost.  Polls flagged
``final`` (a separate group reading everything) count as facts but not as a consumer's
sequence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from checkers import Result, admit, anomalies_result, nothing_to_check
from ddialab.history import INT, NULL, SCALAR, History, Op, ShapeTable, list_of, one_of, pair_of

#: Partitions and values are scalars, offsets integers; anything else is bad input (exit 3).
SHAPES: ShapeTable = {
    ("send", "ok"): pair_of(SCALAR, pair_of(INT, SCALAR)),
    ("poll", "ok"): one_of(NULL, list_of(pair_of(SCALAR, list_of(pair_of(INT, SCALAR))))),
}
Fact = tuple[int, int, Any, int, str]  # key, offset, value, op index, "send" | "poll"


def _facts(history: History) -> list[Fact]:
    facts: list[Fact] = []
    for op in history:
        if op.type != "ok" or not op.is_client:
            continue
        if op.f == "send":
            k, (o, v) = op.value
            facts.append((k, o, v, op.index, "send"))
        elif op.f == "poll":
            for k, recs in op.value or []:
                facts.extend((k, o, v, op.index, "poll") for o, v in recs)
    return facts


def _inconsistent(facts: list[Fact]) -> list[dict[str, Any]]:
    seen: dict[tuple[int, int], dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
    for k, o, v, i, _ in facts:
        seen[(k, o)][v].append(i)
    out = []
    for (k, o), by_value in sorted(seen.items(), key=lambda kv: repr(kv[0])):
        if len(by_value) > 1:
            values = sorted(by_value, key=repr)
            ops = {repr(v): by_value[v][:3] for v in values}
            out.append(
                {
                    "key": k,
                    "offset": o,
                    "values": values,
                    "ops": sorted({i for v in values for i in by_value[v][:3]}),
                    "ops_by_value": ops,
                    "explanation": f"offset {o} of partition {k} was seen holding "
                    f"{len(values)} different values {values!r} (ops {ops})",
                }
            )
    return out


def _duplicates(facts: list[Fact]) -> list[dict[str, Any]]:
    offsets: dict[tuple[int, Any], dict[int, int]] = defaultdict(dict)
    for k, o, v, i, _ in facts:
        offsets[(k, repr(v))].setdefault(o, i)
    out = []
    for (k, _), at in offsets.items():
        if len(at) > 1:
            v = next(f[2] for f in facts if f[0] == k and f[1] in at)
            out.append(
                {
                    "key": k,
                    "value": v,
                    "offsets": sorted(at),
                    "ops": [at[o] for o in sorted(at)],
                    "explanation": f"value {v!r} appears in partition {k} at offsets "
                    f"{sorted(at)}: it was written more than once",
                }
            )
    return out


def _log_starts(history: History) -> dict[Any, int]:
    """The highest log start offset any poll reported per partition (retention)."""
    starts: dict[Any, int] = {}
    for op in history:
        if op.type == "ok" and op.f == "poll" and op.is_client:
            for k, start in op.extra.get("log_starts", []):
                starts[k] = max(start, starts.get(k, 0))
    return starts


def _lost(facts: list[Fact], starts: dict[Any, int]) -> tuple[list[dict[str, Any]], int]:
    polled = {(k, o, repr(v)) for k, o, v, _, src in facts if src == "poll"}
    highest: dict[int, tuple[int, int]] = {}
    for k, o, _, i, src in facts:
        if src == "poll" and o > highest.get(k, (-1, -1))[0]:
            highest[k] = (o, i)
    lost, unseen = [], 0
    for k, o, v, i, src in facts:
        if src != "send" or (k, o, repr(v)) in polled or o < starts.get(k, 0):
            continue
        unseen += 1
        top = highest.get(k)
        if top is not None and top[0] > o:
            lost.append(
                {
                    "key": k,
                    "offset": o,
                    "value": v,
                    "send": i,
                    "ops": [i, top[1]],
                    "read_beyond": {"offset": top[0], "op": top[1]},
                    "explanation": f"send op {i} was acknowledged with {v!r} at offset {o} "
                    f"of partition {k}; no poll ever returned it, though poll op "
                    f"{top[1]} read that partition up to offset {top[0]}",
                }
            )
    return lost, unseen


def _lost_deliveries(
    history: History, facts: list[Fact], starts: dict[Any, int]
) -> list[dict[str, Any]]:
    """Records the consumer group never got, though it got later records of the partition."""
    delivered: set[tuple[int, int]] = set()
    highest: dict[int, tuple[int, int]] = {}
    for op in history:
        if op.type != "ok" or op.f != "poll" or not op.is_client or op.extra.get("final"):
            continue
        for k, recs in op.value or []:
            for o, _ in recs:
                delivered.add((k, o))
                if o > highest.get(k, (-1, -1))[0]:
                    highest[k] = (o, op.index)
    out, done = [], set()
    for k, o, v, i, _ in sorted(facts, key=lambda f: (repr(f[0]), f[1])):
        top = highest.get(k)
        if (k, o) in delivered or (k, o) in done or top is None or top[0] <= o:
            continue
        if o < starts.get(k, 0):
            continue  # retention deleted it: expired, not lost
        done.add((k, o))
        out.append(
            {
                "key": k,
                "offset": o,
                "value": v,
                "seen_in": i,
                "ops": [i, top[1]],
                "delivered_beyond": {"offset": top[0], "op": top[1]},
                "explanation": f"record {v!r} at offset {o} of partition {k} (op {i}) was "
                f"never handed to the consumer group, though poll op {top[1]} of the "
                f"group got offset {top[0]} of that partition",
            }
        )
    return out


def _consumer_anomalies(history: History, facts: list[Fact]) -> dict[str, list[Any]]:
    known = {(k, o) for k, o, _, _, _ in facts}
    last: dict[tuple[Any, int], tuple[int, int]] = {}  # (process, key) -> (offset, op)
    skips: list[dict[str, Any]] = []
    backwards: list[dict[str, Any]] = []
    for op in history:
        if op.type != "ok" or op.f != "poll" or not op.is_client or op.extra.get("final"):
            continue
        for k in [*op.extra.get("assigned", []), *op.extra.get("resets", [])]:
            last.pop((op.process, k), None)
        for k, recs in op.value or []:
            for o, _ in recs:
                prev = last.get((op.process, k))
                if prev is not None:
                    _judge(op, k, o, prev, known, skips, backwards)
                last[(op.process, k)] = (o, op.index)
    return {"poll-skip": skips, "nonmonotonic-poll": backwards}


def _judge(
    op: Op,
    k: int,
    o: int,
    prev: tuple[int, int],
    known: set[tuple[int, int]],
    skips: list[dict[str, Any]],
    backwards: list[dict[str, Any]],
) -> None:
    p_off, p_op = prev
    where = {"process": op.process, "key": k, "previous": {"offset": p_off, "op": p_op}}
    if o <= p_off:
        backwards.append(
            {
                **where,
                "offset": o,
                "op": op.index,
                "ops": [p_op, op.index],
                "explanation": f"process {op.process} read partition {k} at offset {p_off} "
                f"(op {p_op}), then at offset {o} (op {op.index}) without a reassignment",
            }
        )
        return
    missed = [x for x in range(p_off + 1, o) if (k, x) in known]
    if missed:
        skips.append(
            {
                **where,
                "offset": o,
                "op": op.index,
                "ops": [p_op, op.index],
                "skipped": missed[:20],
                "explanation": f"process {op.process} read partition {k} at offset {p_off} "
                f"(op {p_op}), then jumped to {o} (op {op.index}), skipping offsets "
                f"{missed[:20]} that exist",
            }
        )


def _nonmonotonic_sends(history: History) -> list[dict[str, Any]]:
    last: dict[tuple[Any, int], tuple[int, int]] = {}
    out = []
    for op in history:
        if op.type != "ok" or op.f != "send" or not op.is_client:
            continue
        k, (o, _) = op.value
        prev = last.get((op.process, k))
        if prev is not None and o <= prev[0]:
            out.append(
                {
                    "process": op.process,
                    "key": k,
                    "ops": [prev[1], op.index],
                    "offsets": [prev[0], o],
                    "explanation": f"process {op.process} sent to partition {k} at offset "
                    f"{prev[0]} (op {prev[1]}), then at offset {o} (op {op.index})",
                }
            )
        last[(op.process, k)] = (o, op.index)
    return out


def check(history: History, options: Mapping[str, Any]) -> Result:
    admit(history, "kafka", SHAPES)
    facts = _facts(history)
    if not any(op.type == "ok" and op.f in ("send", "poll") for op in history.client_ops()):
        return nothing_to_check(history, "no ok send or poll: no records to check")
    starts = _log_starts(history)
    lost, unseen = _lost(facts, starts)
    anomalies: dict[str, list[Any]] = {
        "inconsistent-offsets": _inconsistent(facts),
        "duplicate": _duplicates(facts),
        "lost-write": lost,
        "nonmonotonic-send": _nonmonotonic_sends(history),
        "lost-delivery": _lost_deliveries(history, facts, starts),
        **_consumer_anomalies(history, facts),
    }
    if "anomalies" in options:  # judge only these types (e.g. durability alone)
        wanted = set(options["anomalies"])
        anomalies = {k: v for k, v in anomalies.items() if k in wanted}
    sends = sum(1 for f in facts if f[4] == "send")
    expired = sum(1 for f in facts if f[4] == "send" and f[1] < starts.get(f[0], 0))
    stats = {"acked_sends": sends, "unseen": unseen, "expired": expired}
    return anomalies_result(anomalies, stats=stats)
