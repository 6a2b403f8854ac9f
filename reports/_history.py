"""From raw history ops to what the report draws: paired ops, nemesis bands, statistics.

Theory of operation
-------------------
Every client invocation is paired with the next completion of the same process (the
history contract's pairing); an invocation with no completion is *pending* and is drawn
to the end of the history.  The timeline is shipped to the browser as one compact,
columnar JSON object (parallel arrays of integers, times in microseconds from the first
op), so a 100k-op history costs a few bytes per op and the page draws it on a canvas.

Nemesis ops are matched into *bands*: ``start-X``/``stop-X``, ``kill``/``start``,
``pause``/``resume``, ``partition``/``heal``, ``crash``/``restart`` and
``*-clock``/``reset-clock``.  A fault that never stops lasts until the end; a nemesis op
that opens and closes nothing is drawn as an instant.

Latency is completion time minus invocation time, for ops that completed.  Quantiles are
nearest-rank; the over-time series cuts the run into ``BUCKETS`` equal buckets by
completion time.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ddialab.vocabulary import band_of
from reports._svg import band_color

NEMESIS = "nemesis"
OUTCOMES = ("ok", "fail", "info", "pending")
OUTCOME_CODE = {name: i for i, name in enumerate(OUTCOMES)}
QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999, 1.0)
BUCKETS = 100
#: Above this many distinct processes the timeline folds processes onto threads.
MAX_LANES = 64
VALUE_CHARS = 60
#: The timeline ships at most about this many distinct time units across the run.
RESOLUTION = 10_000_000


@dataclass(slots=True)
class Pair:
    """One client operation: its invocation and (if any) its completion."""

    inv: int
    comp: int  # -1: never completed
    process: Any
    f: str
    start: int  # ns
    end: int  # ns; -1 if pending
    outcome: str
    value: Any
    error: Any = None

    @property
    def latency(self) -> int | None:
        return self.end - self.start if self.end >= 0 else None


@dataclass
class Band:
    kind: str
    start: int
    end: int
    label: str
    ops: list[int] = field(default_factory=list)


@dataclass
class HistoryView:
    ops: list[dict[str, Any]]
    pairs: list[Pair]
    by_index: dict[int, Pair]  # invocation or completion index -> its pair
    bands: list[Band]
    t0: int
    t1: int
    #: True when the history has no usable times: each event's position stands in for it.
    logical: bool = False


def analyse(ops: list[dict[str, Any]]) -> HistoryView:
    times = [op["time"] for op in ops if type(op.get("time")) is int]
    t0, t1 = (min(times), max(times)) if times else (0, 0)
    logical = t0 == t1 and len(ops) > 1
    if logical:  # e.g. EDN histories without :time: fall back to event order
        ops = [{**op, "time": i} for i, op in enumerate(ops)]
        t0, t1 = 0, len(ops) - 1
    pairs, nemesis = _pair(ops)
    by_index: dict[int, Pair] = {}
    for p in pairs:
        by_index[p.inv] = p
        if p.comp >= 0:
            by_index[p.comp] = p
    return HistoryView(ops, pairs, by_index, nemesis_bands(nemesis, t1), t0, t1, logical)


def _pair(ops: list[dict[str, Any]]) -> tuple[list[Pair], list[tuple[dict, dict | None]]]:
    open_ops: dict[Any, int] = {}
    matched: list[tuple[int, int]] = []  # (invocation position, completion position or -1)
    lone: list[int] = []  # nemesis completions without an invocation
    for i, op in enumerate(ops):
        proc = op.get("process")
        if not isinstance(proc, int | str):
            proc = _hashable(proc)
        if op.get("type") == "invoke":
            if proc in open_ops:  # re-invoked without completing: the first stays pending
                matched.append((open_ops[proc], -1))
            open_ops[proc] = i
        elif proc in open_ops:
            matched.append((open_ops.pop(proc), i))
        elif proc == NEMESIS:
            lone.append(i)
    matched.extend((i, -1) for i in open_ops.values())
    matched.sort()
    pairs: list[Pair] = []
    nemesis: list[tuple[dict, dict | None]] = [(ops[i], None) for i in lone]
    for i, j in matched:
        op = ops[i]
        if op.get("process") == NEMESIS:
            nemesis.append((op, ops[j] if j >= 0 else None))
        else:
            pairs.append(_make_pair(i, op, j, ops[j] if j >= 0 else None))
    return pairs, nemesis


def _make_pair(i: int, op: dict[str, Any], j: int, c: dict[str, Any] | None) -> Pair:
    if c is None:
        return Pair(op.get("index", i), -1, op.get("process"), str(op.get("f")), _time(op), -1,
                    "pending", op.get("value"))  # fmt: skip
    return Pair(
        op.get("index", i), c.get("index", j), op.get("process"), str(op.get("f")), _time(op),
        _time(c), str(c.get("type")), c.get("value"), c.get("error"),
    )  # fmt: skip


def _time(op: dict[str, Any]) -> int:
    t = op.get("time", 0)
    return t if type(t) is int else 0


def _hashable(x: Any) -> Any:
    return json.dumps(x, sort_keys=True) if isinstance(x, list | dict) else x


# --- nemesis bands --------------------------------------------------------------------

#: pairs other tools' histories use (Jepsen's ``crash``/``restart``); not ddialab faults
_FOREIGN = {"crash": "restart", "partition": "heal"}


def _band_kind(f: str) -> tuple[str, bool] | None:
    """``(kind, opens)`` for a nemesis f, or None when it opens or closes nothing.

    Declared fault kinds (``ddialab.vocabulary.FAULT_KINDS``) open their band and their
    heal closes it; a kind without a heal is an instant.  Foreign names fall back to
    ``start-X``/``stop-X`` and Jepsen's pairs.
    """
    declared = band_of(f)
    if declared is not None:
        kind, opens = declared
        return (kind.band, opens) if kind.heal else None
    if f.startswith("start-"):
        return f[6:], True
    if f.startswith("stop-"):
        return f[5:], False
    if f in _FOREIGN:
        return f, True
    for opener, closer in _FOREIGN.items():
        if f == closer:
            return opener, False
    return None


def nemesis_bands(nemesis: list[tuple[dict, dict | None]], t_end: int) -> list[Band]:
    bands: list[Band] = []
    open_bands: dict[str, Band] = {}
    for inv, comp in sorted(nemesis, key=lambda x: _time(x[0])):
        f = str(inv.get("f"))
        kind = _band_kind(f)
        last = comp or inv
        idx = [o["index"] for o in (inv, comp) if o is not None and isinstance(o.get("index"), int)]
        if kind is None:
            bands.append(Band(f, _time(inv), _time(last), _label(f, last), idx))
        elif kind[1]:
            if kind[0] not in open_bands:
                open_bands[kind[0]] = Band(kind[0], _time(inv), t_end, _label(f, last), idx)
        elif kind[0] in open_bands:
            band = open_bands.pop(kind[0])
            band.end = _time(last)
            band.ops += idx
            bands.append(band)
    bands.extend(open_bands.values())
    return sorted(bands, key=lambda b: b.start)


def _label(f: str, op: dict[str, Any]) -> str:
    value = op.get("value")
    return f if value is None else f"{f} {short(value)}"


_ENCODE = json.JSONEncoder(separators=(",", ":"), default=str).encode


def short(value: Any, limit: int = VALUE_CHARS) -> str:
    """A value as compact JSON (strings as they are), cut to ``limit`` characters."""
    text = value if isinstance(value, str) else _ENCODE(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the canvas timeline's data -------------------------------------------------------


def lanes_of(pairs: list[Pair], concurrency: int | None) -> tuple[str, list[str], list[int]]:
    """``(title, lane names, lane of each pair)``: processes, or threads when too many."""
    procs = sorted({_hashable(p.process) for p in pairs}, key=lambda x: (str(type(x)), x))
    fold = len(procs) > MAX_LANES and concurrency and all(isinstance(p, int) for p in procs)
    if fold:
        assert concurrency
        names = [f"thread {t}" for t in range(concurrency)]
        return "thread (process mod concurrency)", names, [p.process % concurrency for p in pairs]
    lane = {p: i for i, p in enumerate(procs)}
    return "process", [str(p) for p in procs], [lane[_hashable(p.process)] for p in pairs]


def timeline_data(view: HistoryView, concurrency: int | None, marked: set[int]) -> dict:
    pairs = view.pairs
    title, lane_names, lanes = lanes_of(pairs, concurrency)
    fs = sorted({p.f for p in pairs})
    f_code = {f: i for i, f in enumerate(fs)}
    t0 = view.t0
    unit = max(1, 10 ** math.floor(math.log10(max(1, view.t1 - t0) / RESOLUTION)))

    def rel(t: int) -> int:
        return (t - t0) // unit

    return {
        "unit_ns": unit,
        "logical": view.logical,
        "end": rel(view.t1) + 1,
        "laneTitle": title,
        "lanes": lane_names,
        "fs": fs,
        "outcomes": list(OUTCOMES),
        "s": [rel(p.start) for p in pairs],
        "e": [rel(p.end) if p.end >= 0 else -1 for p in pairs],
        "o": [OUTCOME_CODE.get(p.outcome, 2) for p in pairs],
        "l": lanes,
        "f": [f_code[p.f] for p in pairs],
        "i": [p.inv for p in pairs],
        "c": [p.comp for p in pairs],
        "p": [str(p.process) for p in pairs] if title != "process" else [],
        "v": [_pair_text(p) for p in pairs],
        "m": sorted(i for i, p in enumerate(pairs) if p.inv in marked or p.comp in marked),
        **_keys(pairs),
        "bands": [
            {
                "s": rel(b.start),
                "e": rel(b.end),
                "kind": b.kind,
                "label": b.label,
                "color": band_color(b.kind),
            }
            for b in view.bands
        ],
    }


#: At most this many keys get a filter on the timeline.
MAX_KEYS = 500


def _keys(pairs: list[Pair]) -> dict[str, Any]:
    """``{"keys": [...], "k": [key number per op]}`` when ops are keyed ``[key, value]``
    (Jepsen's independent histories): the timeline can then show one key (one partition)."""
    found = [key_of(p.value) for p in pairs]
    if not pairs or sum(k is not None for k in found) < 0.9 * len(pairs):
        return {}
    names = sorted({k for k in found if k is not None}, key=lambda k: (str(type(k)), k))
    if len(names) > MAX_KEYS:
        return {}
    number = {k: i for i, k in enumerate(names)}
    return {"keys": [short(k) for k in names], "k": [number.get(k, -1) for k in found]}


def key_of(value: Any) -> Any:
    """The key of a keyed op's value ``[key, v]`` (a string or number), else None."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int):
        return value[0]
    return None


_TEXTS: dict[tuple, str] = {}  # memo: histories repeat small values ([key, v]) endlessly
_FLAT = (int, str, type(None))


def _pair_text(p: Pair) -> str:
    value = p.value
    if value is None:
        text = ""
    elif isinstance(value, list) and len(value) <= 4 and all(type(x) in _FLAT for x in value):
        key = tuple(value)
        text = _TEXTS.get(key) or _TEXTS.setdefault(key, short(value))
        if len(_TEXTS) > 100_000:
            _TEXTS.clear()
    else:
        text = short(value)
    return f"{text} ({short(p.error, 30)})" if p.error is not None else text


# --- statistics ----------------------------------------------------------------------


def quantile(sorted_values: list[int], q: float) -> int:
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_table(pairs: list[Pair]) -> list[dict[str, Any]]:
    """Per f (and overall): count by outcome and latency quantiles of completed ops (ns)."""
    by_f: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_f[p.f].append(p)
    rows = [_latency_row(f, ps) for f, ps in sorted(by_f.items())]
    if len(rows) > 1:
        rows.append(_latency_row("all", pairs))
    return rows


def _latency_row(f: str, pairs: list[Pair]) -> dict[str, Any]:
    counts = Counter(p.outcome for p in pairs)
    lat = sorted(p.end - p.start for p in pairs if p.end >= 0)
    return {
        "f": f,
        "count": len(pairs),
        "outcomes": {o: counts.get(o, 0) for o in OUTCOMES},
        "quantiles": [(q, quantile(lat, q)) for q in QUANTILES],
    }


def series(view: HistoryView, buckets: int = BUCKETS) -> dict[str, Any]:
    """Throughput (ops/s by outcome) and latency quantiles of ok ops, per time bucket."""
    span = max(1, view.t1 - view.t0)
    width = max(1, math.ceil(span / buckets))
    lat: list[list[int]] = [[] for _ in range(buckets)]
    count = {o: [0] * buckets for o in OUTCOMES[:3]}
    for p in view.pairs:
        if p.end < 0:
            continue
        # times need not be monotonic in a hand-written history: clamp into the window
        b = min(buckets - 1, max(0, (p.end - view.t0) // width))
        if p.outcome in count:
            count[p.outcome][b] += 1
        if p.outcome == "ok":
            lat[b].append(p.end - p.start)
    per_second = 1e9 / width
    qs = {}
    for q in (0.5, 0.95, 0.99, 1.0):
        qs[q] = [quantile(sorted(xs), q) if xs else None for xs in lat]
    return {
        "t0": view.t0,
        "width": width,
        "buckets": buckets,
        "throughput": {o: [c * per_second for c in cs] for o, cs in count.items()},
        "latency": qs,
    }
