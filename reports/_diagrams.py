"""Two interactive-ish diagrams: the linearizability dead ends, and message (Lamport) diagrams.

Linearizability view (after Porcupine's visualizer)
---------------------------------------------------
For a non-linearizable partition the checker reports its deepest dead ends: a
linearizable prefix (ops in linearization order), the model state after it, the op that
cannot be placed and the other candidates.  The view draws the partition's ops as bars per
process over time -- only those around the dead end, at most ``LIN_MAX_OPS`` -- once per
dead end; linearized ops are green and numbered in linearization order, the op that cannot
be placed is red, the other candidates orange.  Buttons switch between dead ends; hovering
a bar shows its op.

Message diagram
---------------
From ``messages.jsonl`` (one ``{"id","src","dst","type","sent","at","outcome"}`` per line,
times in ns), the messages sent or received in a window around a witness's ops (its
clients' messages first, then messages between servers, then the rest, at most
``MSG_MAX``): one lifeline per node, time flowing down, an arrow per message.  Lost, partitioned and
unreceived messages stop half-way with a cross.  The witness's ops are marked as
horizontal rules so the reader sees which messages happened during them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ddialab.vocabulary import witness_ops
from reports._graphs import _arrowhead, _cut
from reports._history import HistoryView, Pair, key_of, short
from reports._svg import OUTCOME_COLORS, duration, el, svg, text, title

LIN_MAX_OPS = 160
LIN_CONTEXT = 12
MSG_MAX = 60
MSG_COLORS = {"delivered": "#34495e", "lost": "#d64541", "partitioned": "#e67e22",
              "no-receiver": "#8c8c8c"}  # fmt: skip


@dataclass
class LinearView:
    key: Any
    model: str
    shown: int
    total: int
    prefixes: list[dict[str, Any]]


def linear_view(w: dict[str, Any], view: HistoryView) -> LinearView | None:
    prefixes = [p for p in w.get("prefixes") or [] if isinstance(p, dict)]
    if not prefixes:
        return None
    part = _partition(w, prefixes, view)  # the witness's ``ops`` name a few, not all
    if not part:
        return None
    window = _lin_window(prefixes, part, view)
    shown = []
    for k, p in enumerate(prefixes):
        shown.append({
            "number": k + 1,
            "linearized": len(p.get("linearized") or []),
            "state": p.get("state_description") or short(p.get("state")),
            "blocked": (p.get("blocked") or {}).get("description"),
            "svg": _lin_svg(p, window, view),
        })  # fmt: skip
    total = w["part_ops"] if isinstance(w.get("part_ops"), int) else len(part)
    return LinearView(w.get("key"), str(w.get("model", "")), len(window), total, shown)


def _partition(w: dict[str, Any], prefixes: list[dict], view: HistoryView) -> list[Pair]:
    """The client ops of the witness's key (all client ops when it has none), minus fails."""
    named = {i for p in prefixes for i in p.get("linearized") or []}
    named |= {c.get("index") for p in prefixes for c in p.get("could_not_follow") or []}
    named |= {(p.get("blocked") or {}).get("index") for p in prefixes}
    named |= set(witness_ops(w) or [])
    if "key" not in w:
        return [q for q in view.pairs if q.outcome != "fail" or q.inv in named]
    key = w["key"]
    return [q for q in view.pairs if q.inv in named or (q.outcome != "fail" and _key(q) == key)]


def _key(q: Pair) -> Any:
    return key_of(q.value)


def _lin_window(prefixes: list[dict], part: list[Pair], view: HistoryView) -> list[Pair]:
    focus: set[int] = set()
    for p in prefixes:
        focus.update((p.get("linearized") or [])[-LIN_CONTEXT:])
        focus.update(c.get("index") for c in p.get("could_not_follow") or [])
        if p.get("blocked"):
            focus.add(p["blocked"].get("index"))
    focal = [view.by_index[i] for i in focus if i in view.by_index]
    lo = min(q.start for q in focal) if focal else part[0].start
    hi = max(q.end if q.end >= 0 else q.start for q in focal) if focal else part[-1].start
    near = [q for q in part if q.start <= hi and (q.end < 0 or q.end >= lo)]
    if len(near) > LIN_MAX_OPS:
        mid = (lo + hi) / 2
        near = sorted(near, key=lambda q: abs(q.start - mid))[:LIN_MAX_OPS]
        near += [q for q in focal if q not in near]
    return sorted(near, key=lambda q: q.start)


def _lin_svg(prefix: dict[str, Any], ops: list[Pair], view: HistoryView) -> Markup:
    order = {i: n + 1 for n, i in enumerate(prefix.get("linearized") or [])}
    blocked = (prefix.get("blocked") or {}).get("index")
    cands = {c.get("index") for c in prefix.get("could_not_follow") or []}
    descr = {c.get("index"): c.get("description") for c in prefix.get("could_not_follow") or []}
    if prefix.get("blocked"):
        descr[blocked] = prefix["blocked"].get("description")
    procs = sorted({str(q.process) for q in ops}, key=lambda s: (len(s), s))
    lane = {p: i for i, p in enumerate(procs)}
    # x is event order, as in Knossos's and Porcupine's pictures: every invocation and
    # completion gets its own slot, so short ops stay readable next to long ones
    events = sorted({q.start for q in ops} | {q.end for q in ops if q.end >= 0})
    slot = {t: i for i, t in enumerate(events)}
    width, left, lane_h = 960, 70, 34
    step = (width - left - 20) / (len(events) + 1)
    body = [text(4, 26 + i * lane_h, f"p{p}", class_="tl") for i, p in enumerate(procs)]
    for q in ops:
        x0 = left + (slot[q.start] + 0.1) * step
        x1 = left + ((slot[q.end] if q.end >= 0 else len(events)) + 0.9) * step
        y = 10 + lane[str(q.process)] * lane_h
        status = ("blocked" if q.inv == blocked else "candidate" if q.inv in cands
                  else "linearized" if q.inv in order else "other")  # fmt: skip
        label = descr.get(q.inv) or f"{q.f} {short(q.value, 30)}"
        tip = (f"op {q.inv}{'–' + str(q.comp) if q.comp >= 0 else ' (never completed)'}: "
               f"p{q.process} {label} [{q.outcome}, {duration(q.latency)}]")  # fmt: skip
        if q.inv in order:
            tip += f" — linearized #{order[q.inv]}"
        body.append(
            f'<g class="lop {status}{" open" if q.end < 0 else ""}">{title(tip)}'
            + el("rect", x=x0, y=float(y), width=max(x1 - x0, 3.0), height=22.0, rx=3.0)
            + text(x0 + 3, y + 15, _fit(order.get(q.inv), label, x1 - x0), class_="lbl")
            + "</g>"
        )
    height = 20 + len(procs) * lane_h
    body.append(text(width - 20, height - 4, "time → (event order, not to scale)",
                     class_="tl end small"))  # fmt: skip
    return svg(width, height + 8, body, cls="linview")


def _fit(number: int | None, label: str, width: float) -> str:
    """The bar's label cut to its width (about 6 px a character); the order number stays."""
    head = f"#{number} " if number is not None else ""
    room = max(0, int((width - 6) / 6.2) - len(head))
    if len(label) > room:
        label = label[: room - 1] + "…" if room >= 3 else ""
    return head + label


# --- message diagrams ----------------------------------------------------------------


class MessageLog:
    """Messages sorted by send time, for cheap windows over logs of millions of messages."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = sorted(messages, key=lambda m: _t(m.get("sent")))
        self.sent = [_t(m.get("sent")) for m in self.messages]
        transit = (_t(m.get("at")) - _t(m.get("sent")) for m in self.messages)
        self.max_transit = max(transit, default=0)

    def window(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """Messages sent or received within ``[lo, hi]``."""
        a = bisect.bisect_left(self.sent, lo - max(0, self.max_transit))
        b = bisect.bisect_right(self.sent, hi)
        return [m for m in self.messages[a:b] if _in(m, lo, hi)]


def message_diagram(log: MessageLog, around: list[Pair], t0: int) -> tuple[Markup, int, int] | None:
    """``(svg, shown, in window)`` for the messages around the given ops, or None."""
    if not around or not log.messages:
        return None
    lo = min(q.start for q in around)
    hi = max(max(q.end, q.start) for q in around)
    pad = max((hi - lo) // 10, 1_000_000)
    return window_diagram(log, lo - pad, hi + pad, t0, around)


def window_diagram(
    log: MessageLog,
    lo: int,
    hi: int,
    t0: int,
    around: list[Pair] | None = None,
    rules: list[tuple[int, str]] | None = None,
) -> tuple[Markup, int, int] | None:
    """``(svg, shown, in window)`` for the messages sent or received in ``[lo, hi]``; the
    ``around`` ops and the ``rules`` ``(time, label)`` are marked as horizontal rules."""
    around = around or []
    inside = log.window(lo, hi)
    if not inside:
        return None
    mid = (lo + hi) / 2
    ranked = sorted(inside, key=lambda m: (_rank(m, around), abs(_t(m.get("sent")) - mid)))
    shown = sorted(ranked[:MSG_MAX], key=lambda m: _t(m.get("sent")))
    marks = [(t, label) for t, label in rules or [] if lo <= t <= hi]
    return _draw_messages(shown, around, t0, marks), len(shown), len(inside)


def _rank(m: dict[str, Any], around: list[Pair]) -> int:
    """0: to or from a witness op's client (simulated clients are ``c<process>``); 1: between
    servers; 2: other clients' messages."""
    ends = {str(m.get("src")), str(m.get("dst"))}
    if ends & {f"c{q.process}" for q in around}:
        return 0
    return 1 if not any(e.startswith("c") for e in ends) else 2


def _t(x: Any) -> int:
    return x if isinstance(x, int) else -1


def _in(m: dict[str, Any], lo: int, hi: int) -> bool:
    return lo <= _t(m.get("sent")) <= hi or lo <= _t(m.get("at")) <= hi


def _draw_messages(
    msgs: list[dict[str, Any]], around: list[Pair], t0: int, rules: list[tuple[int, str]]
) -> Markup:
    nodes = sorted({str(m.get(k)) for m in msgs for k in ("src", "dst")},
                   key=lambda s: (not s.startswith("n"), len(s), s))  # fmt: skip
    times = [_t(m.get(k)) for m in msgs for k in ("sent", "at") if _t(m.get(k)) >= 0]
    times += [q.start for q in around] + [q.end for q in around if q.end >= 0]
    times += [t for t, _ in rules]
    lo, hi = min(times), max(times)
    gap = max(90, min(150, 860 // max(1, len(nodes))))
    left, top = 150, 30
    width = left + gap * len(nodes) + 20
    height = max(220, min(1000, 14 * len(msgs) + 80))
    scale = (height - top - 20) / max(1, hi - lo)

    def y(t: int) -> float:
        return top + (t - lo) * scale

    xs = {n: left + gap * (i + 0.5) for i, n in enumerate(nodes)}
    body = []
    for n, x in xs.items():
        body.append(text(x, 16, n, class_="tl mid strong"))
        body.append(el("line", x1=x, x2=x, y1=float(top), y2=float(height - 10), class_="life"))
    for q in around:
        body += _op_rule(q, q.start, y(q.start), "invoked", t0, width)
        if q.end >= 0:
            body += _op_rule(q, q.end, y(q.end), q.outcome, t0, width)
    for t, label in rules:
        tip = f"{label} at {duration(t - t0)}"
        body.append(el("line", title(tip), x1=4.0, x2=float(width - 10), y1=y(t), y2=y(t),
                       stroke="#b03a2e", class_="oprule"))  # fmt: skip
        body.append(text(4, y(t) - 2, _cut(tip, 40), fill="#b03a2e", class_="tl small"))
    labels = len(msgs) <= 60
    for m in msgs:
        body.append(_message(m, xs, y, t0, labels, mine=_rank(m, around) == 0))
    return svg(width, height, body, cls="lamport", natural=True)


def _op_rule(q: Pair, t: int, yv: float, what: str, t0: int, width: int) -> list[str]:
    color = OUTCOME_COLORS.get(what, "#4a6fa5")
    tip = f"op {q.inv} (p{q.process} {q.f} {short(q.value, 30)}) {what} at {duration(t - t0)}"
    return [
        el(
            "line",
            title(tip),
            x1=4.0,
            x2=float(width - 10),
            y1=yv,
            y2=yv,
            stroke=color,
            class_="oprule",
        ),
        text(4, yv - 2, f"op {q.inv} {what} {duration(t - t0)}", fill=color, class_="tl small"),
    ]


def _message(
    m: dict[str, Any], xs: dict[str, float], y: Any, t0: int, label: bool, mine: bool
) -> str:
    x0, x1 = xs[str(m.get("src"))], xs[str(m.get("dst"))]
    sent, at = _t(m.get("sent")), _t(m.get("at"))
    outcome = str(m.get("outcome", "delivered"))
    y0 = y(sent) if sent >= 0 else y(at)
    y1 = y(at) if at >= 0 else y0 + 16
    done = outcome == "delivered"
    if not done:
        x1, y1 = (x0 + x1) / 2, (y0 + y1) / 2 if at >= 0 else y0 + 16
    color = MSG_COLORS.get(outcome, "#34495e")
    if mine and done:  # a message of the witness's own clients
        color = "#1f6fb2"
    tip = f"message {m.get('id')}: {m.get('type')} {m.get('src')} → {m.get('dst')}"
    tip += f", sent at {duration(sent - t0)}, {outcome}"
    tip += f" at {duration(at - t0)}" if at >= 0 else ""
    cls = "msg" + ("" if done else " dropped") + (" mine" if mine else "")
    parts = [el("line", title(tip), x1=x0, y1=y0, x2=x1, y2=y1, stroke=color, class_=cls)]
    if done:
        parts.append(_arrowhead((x0, y0), (x1, y1), color))
    else:
        parts.append(text(x1, y1 + 4, "×", fill=color, class_="mid strong"))
    if label:
        parts.append(text((x0 + x1) / 2, (y0 + y1) / 2 - 3, str(m.get("type", "")),
                          class_="mlabel mid"))  # fmt: skip
    return "".join(parts)
