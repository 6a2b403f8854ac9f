"""Session guarantees: read-your-writes, monotonic reads/writes, writes-follow-reads, prefix.

Public surface::

    check(history, options) -> Result   # all five, or options["guarantee"] = one name
    GUARANTEES                          # the five names, as anomaly types

Each guarantee gets its own verdict in ``result["guarantees"]`` (``True``, ``False`` or
``"unknown"`` when some comparison rests on a version order the history does not reveal),
its evidence counts in ``result["evidence"]`` and, when unknown, examples of the undecided
comparisons in ``result["undecided"]``.  Options ``wfr_keys``, ``sequential_keys`` and
``linearizable_keys`` declare version orders the user vouches for (``_assumed``); one the
history contradicts is a ``cyclic-versions`` anomaly.  See ``docs/session.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from checkers import UNKNOWN, Result, admit, merge_valid
from checkers.session._assumed import declared
from checkers.session._causal import consistent_prefix
from checkers.session._checks import (
    monotonic_reads,
    monotonic_writes,
    read_your_writes,
    writes_follow_reads,
)
from checkers.session._model import parse
from checkers.session._order import Facts
from checkers.session._tally import CP, GUARANTEES, MR, MW, RYW, WFR, OutOfTime, Tally
from ddialab.errors import UsageError
from ddialab.history import ANY, KEY_VALUE, History, ShapeTable, list_of, literal, tuple_of
from ddialab.vocabulary import thaw

__all__ = ["GUARANTEES", "check"]

_CHECKS: dict[str, Callable[[Facts, Tally], None]] = {
    RYW: read_your_writes,
    MR: monotonic_reads,
    MW: monotonic_writes,
    WFR: writes_follow_reads,
    CP: consistent_prefix,
}
_ALSO_NOT = {
    RYW: ["PRAM", "causal", "sequential", "linearizable"],
    MR: ["PRAM", "causal", "sequential", "linearizable"],
    MW: ["PRAM", "causal", "sequential", "linearizable"],
    WFR: ["causal", "sequential", "linearizable"],
    CP: ["causal", "sequential", "linearizable"],
}
DEFAULT_MAX_WITNESSES = 100
#: Single-object ops carry ``[key, v]``; a txn an array of ``[r|w|append|add, key, v]``.
#: Anything else is bad input (exit 3 naming file and line), never skipped silently.
_MOP = tuple_of(literal("r", "w", "append", "add"), ANY, ANY)
SHAPES: ShapeTable = {
    **{(f, "*"): KEY_VALUE for f in ("read", "write", "append", "add")},
    ("txn", "*"): list_of(_MOP),
}


def check(history: History, options: Mapping[str, Any]) -> Result:
    names = _selected(options.get("guarantee"))
    admit(history, "session", SHAPES)
    limit = options.get("time_limit")
    deadline = time.monotonic() + float(limit) if limit is not None else None
    facts = Facts(parse(history), declared(options))
    tallies: dict[str, Tally] = {}
    skipped: list[str] = []
    for name in names:
        if deadline is not None and time.monotonic() > deadline:
            skipped.append(name)
            continue
        tally = Tally(name, int(options.get("max_witnesses", DEFAULT_MAX_WITNESSES)))
        tally.deadline = deadline
        try:
            _CHECKS[name](facts, tally)
        except OutOfTime:
            if tally.total:  # a violation found in time stands
                tallies[name] = tally
            else:
                skipped.append(name)
            continue
        tallies[name] = tally
    return _result(facts, tallies, skipped)


def _selected(guarantee: Any) -> list[str]:
    if guarantee is None:
        return list(GUARANTEES)
    wanted = [g.strip() for g in str(guarantee).split(",") if g.strip()]
    unknown = [g for g in wanted if g not in GUARANTEES]
    if unknown or not wanted:
        raise UsageError(
            f"unknown session guarantee {', '.join(unknown) or repr(guarantee)}; "
            f"known: {', '.join(GUARANTEES)}"
        )
    return wanted


def _result(facts: Facts, tallies: dict[str, Tally], skipped: list[str]) -> Result:
    verdicts: dict[str, Any] = {name: t.verdict for name, t in tallies.items()}
    verdicts.update({name: UNKNOWN for name in skipped})
    anomalies = {n: t.witnesses for n, t in tallies.items() if t.witnesses}
    violated = sorted(n for n, v in verdicts.items() if v is False)
    result: Result = {
        "valid": merge_valid(verdicts.values()),
        "anomaly_types": sorted(anomalies),
        "anomalies": anomalies,
        "guarantees": verdicts,
        "not": violated,
        "also_not": sorted({m for n in violated for m in _ALSO_NOT[n]}),
        "violation_counts": {n: t.total for n, t in tallies.items() if t.total},
        "evidence": {n: dict(sorted(t.evidence.items())) for n, t in tallies.items()},
        "undecided": {
            n: {"count": t.undecided, "examples": t.examples}
            for n, t in tallies.items()
            if t.undecided
        },
        "ops_checked": len(facts.parsed.txns),
        "ops_skipped": facts.parsed.skipped,
        "ops_ignored": facts.parsed.ignored,
    }
    left_out = facts.parsed.ignored + facts.parsed.skipped
    if left_out and not any(t.reads for t in facts.parsed.txns):
        result["valid"] = merge_valid([result["valid"], UNKNOWN])
        result["reason"] = (
            "no reads in the session vocabulary (f read/write/append/txn, values [key, v]); "
            f"{left_out} ops were ignored or malformed"
        )
    if facts.assumed.cyclic:
        result["anomalies"]["cyclic-versions"] = facts.assumed.cyclic
        result["anomaly_types"] = sorted(result["anomalies"])
        result["valid"] = False
    if facts.duplicate_writes:
        result["duplicate_writes"] = [[thaw(k), thaw(v)] for k, v in facts.duplicate_writes[:20]]
    if skipped:
        result["reason"] = f"time limit reached before finishing {', '.join(skipped)}"
    return result
