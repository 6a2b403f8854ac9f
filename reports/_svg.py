"""Small SVG toolkit and the server-side charts: latency and throughput over time.

Every drawing is built here as a string of SVG elements and handed to the template as
``Markup``; all text that comes from data passes through ``markupsafe.escape``.  Inline SVG
in HTML needs no ``xmlns``, so the page carries no namespace URL.  Charts use a viewBox and
scale to the page width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from ddialab.vocabulary import FAULT_KINDS

OUTCOME_COLORS = {"ok": "#2e8b57", "fail": "#d64541", "info": "#e6a23c", "pending": "#8c8c8c"}
BAND_COLORS = ("#d9ead3", "#fff2cc", "#d0e0e3", "#ead1dc", "#f4c7c3", "#c9daf8")
QUANTILE_COLORS = {0.5: "#4a6fa5", 0.95: "#2e8b57", 0.99: "#e6a23c", 1.0: "#d64541"}


#: Colours of the declared fault kinds, by band and by fault ``f`` (an instant such as a
#: bit flip is drawn under its ``f``); others get one of BAND_COLORS by a hash of the name.
KNOWN_BANDS = {k.band: k.color for k in FAULT_KINDS} | {k.f: k.color for k in FAULT_KINDS}


def band_color(kind: str) -> str:
    if kind in KNOWN_BANDS:
        return KNOWN_BANDS[kind]
    return BAND_COLORS[sum(map(ord, kind)) % len(BAND_COLORS)]


def attrs(**kw: Any) -> str:
    parts = []
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, float):
            v = f"{v:.1f}"
        parts.append(f'{k.rstrip("_").replace("_", "-")}="{escape(v)}"')
    return " ".join(parts)


def el(tag: str, body: str = "", **kw: Any) -> str:
    return f"<{tag} {attrs(**kw)}>{body}</{tag}>" if body else f"<{tag} {attrs(**kw)}/>"


def text(x: float, y: float, s: Any, **kw: Any) -> str:
    return el("text", str(escape(str(s))), x=float(x), y=float(y), **kw)


def title(s: Any) -> str:
    return f"<title>{escape(str(s))}</title>"


def svg(
    width: float,
    height: float,
    body: Iterable[str],
    cls: str = "chart",
    natural: bool = False,
    **kw: Any,
) -> Markup:
    """An inline ``<svg>``; ``natural`` gives it its own pixel size (else it fills the width)."""
    if natural:
        kw.update(width=f"{width:.0f}", height=f"{height:.0f}")
    head = attrs(viewBox=f"0 0 {width:.0f} {height:.0f}", class_=cls, role="img", **kw)
    return Markup(f"<svg {head}>{''.join(body)}</svg>")


def seconds_label(ns: float) -> str:
    return "0" if ns == 0 else duration(ns).replace(" ", "")


def duration(ns: float | None) -> str:
    """A human duration: 1.2 s, 35 ms, 410 µs."""
    if ns is None:
        return "–"
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.0f} ns"


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


class Frame:
    """A plot area: data -> pixel transforms and the axes around it."""

    W, H, L, R, T, B = 900, 230, 64, 16, 12, 34

    def __init__(self, x0: float, x1: float, y0: float, y1: float, log: bool = False) -> None:
        self.x0, self.x1, self.log = x0, max(x1, x0 + 1), log
        self.y0, self.y1 = (math.log10(y0), math.log10(y1)) if log else (y0, y1)
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1

    def x(self, v: float) -> float:
        return self.L + (v - self.x0) / (self.x1 - self.x0) * (self.W - self.L - self.R)

    def y(self, v: float) -> float:
        v = math.log10(max(v, 10**self.y0)) if self.log else v
        return self.T + (1 - (v - self.y0) / (self.y1 - self.y0)) * (self.H - self.T - self.B)

    def axes(self, y_label: str, y_fmt: Any) -> list[str]:
        out = [el("rect", x=self.L, y=self.T, width=self.W - self.L - self.R,
                  height=self.H - self.T - self.B, class_="plot")]  # fmt: skip
        for t in nice_ticks(0, self.x1 - self.x0):
            x = self.x(self.x0 + t)
            out.append(el("line", x1=x, x2=x, y1=self.H - self.B, y2=self.H - self.B + 4,
                          class_="tick"))  # fmt: skip
            out.append(text(x, self.H - self.B + 16, seconds_label(t), class_="tl mid"))
        ys = (
            [10**e for e in range(math.floor(self.y0), math.ceil(self.y1) + 1)]
            if self.log
            else nice_ticks(self.y0, self.y1, 4)
        )
        for v in ys:
            y = self.y(v)
            if self.T - 1 <= y <= self.H - self.B + 1:
                out.append(el("line", x1=self.L, x2=self.W - self.R, y1=y, y2=y, class_="grid"))
                out.append(text(self.L - 6, y + 4, y_fmt(v), class_="tl end"))
        mid = self.T + (self.H - self.T - self.B) / 2
        turn = f"rotate(-90 14 {mid:.0f})"
        out.append(text(14, mid, y_label, class_="tl mid", transform=turn))
        return out

    def bands(self, bands: Sequence[Any]) -> list[str]:
        out = []
        for b in bands:
            x0, x1 = self.x(b.start), self.x(max(b.end, b.start))
            out.append(
                el("rect", title(b.label), x=x0, y=self.T, width=max(x1 - x0, 1.5),
                   height=self.H - self.T - self.B, fill=band_color(b.kind), class_="band")
            )  # fmt: skip
        return out

    def polyline(self, xs: Sequence[float], ys: Sequence[float | None], color: str) -> str:
        pts: list[str] = []
        segs: list[str] = []
        for xv, yv in zip(xs, ys, strict=True):
            if yv is None:
                if pts:
                    segs.append(" ".join(pts))
                pts = []
                continue
            pts.append(f"{self.x(xv):.1f},{self.y(yv):.1f}")
        if pts:
            segs.append(" ".join(pts))
        return "".join(el("polyline", points=s, stroke=color, class_="series") for s in segs)


def legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    out = []
    for name, color in items:
        out.append(el("rect", x=x, y=y - 8, width=10, height=10, fill=color))
        out.append(text(x + 14, y + 1, name, class_="tl"))
        x += 24 + 7 * len(name)
    return "".join(out)


def latency_chart(series: dict[str, Any], bands: Sequence[Any], t0: int) -> Markup:
    """Latency quantiles (p50/p95/p99/max of ok ops) per time bucket, log scale, ms."""
    lat = series["latency"]
    values = [v for q in lat.values() for v in q if v and v > 0]  # (clocks can go backwards)
    xs = [(i + 0.5) * series["width"] for i in range(series["buckets"])]
    unit, scale = _latency_unit(max(values) if values else 1e6)
    lo = min(values) / scale if values else 0.1
    hi = max(values) / scale if values else 1.0
    fr = Frame(0, series["width"] * series["buckets"], 10 ** math.floor(math.log10(lo)),
               10 ** math.ceil(math.log10(hi * 1.01)), log=True)  # fmt: skip
    body = fr.axes(f"latency ({unit})", lambda v: f"{v:g}")
    body += fr.bands([_shift(b, t0) for b in bands])
    for q, ys in lat.items():
        scaled = [v / scale if v and v > 0 else None for v in ys]
        body.append(fr.polyline(xs, scaled, QUANTILE_COLORS[q]))
    names = [("p50" if q == 0.5 else "max" if q == 1.0 else f"p{q * 100:g}") for q in lat]
    body.append(legend(list(zip(names, QUANTILE_COLORS.values(), strict=False)), fr.L + 8, 26))
    return svg(fr.W, fr.H, body, id="latency-chart")


def _latency_unit(hi: float) -> tuple[str, float]:
    """The largest unit in which the highest latency is at least 1."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if hi >= scale:
            return unit, scale
    return "ns", 1.0


def throughput_chart(series: dict[str, Any], bands: Sequence[Any], t0: int) -> Markup:
    tp = series["throughput"]
    xs = [(i + 0.5) * series["width"] for i in range(series["buckets"])]
    hi = max((v for vs in tp.values() for v in vs), default=1.0) or 1.0
    fr = Frame(0, series["width"] * series["buckets"], 0, hi * 1.1)
    body = fr.axes("ops / s", lambda v: f"{v:g}")
    body += fr.bands([_shift(b, t0) for b in bands])
    for outcome, ys in tp.items():
        body.append(fr.polyline(xs, ys, OUTCOME_COLORS[outcome]))
    body.append(legend([(o, OUTCOME_COLORS[o]) for o in tp], fr.L + 8, 26))
    return svg(fr.W, fr.H, body, id="throughput-chart")


class _Shifted:
    def __init__(self, b: Any, t0: int) -> None:
        self.kind, self.label = b.kind, b.label
        self.start, self.end = b.start - t0, b.end - t0


def _shift(b: Any, t0: int) -> _Shifted:
    return _Shifted(b, t0)
