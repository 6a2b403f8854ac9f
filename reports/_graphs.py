"""Drawn graphs: a witness's dependency cycle, and the lattice of consistency models.

Cycle graphs use a circular layout: the nodes sit on a circle in the order the cycle
visits them, so a cycle reads clockwise.  Each edge is a quadratic curve bowed outwards
(two edges between the same pair bow to opposite sides), with an arrowhead drawn as a
polygon (no ``<marker>`` ids, so many graphs can share a page) and its kind as a label.

The lattice uses a layered layout: a model's layer is the length of the longest chain of
stronger models above it; nodes in a layer are ordered by the mean position of their
parents (two sweeps of the barycentre heuristic), which keeps this small DAG tidy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ddialab.vocabulary import canonical_model, contracted
from reports._svg import el, svg, text, title

EDGE_COLORS = {
    "ww": "#7b3fa0",
    "wr": "#1f6fb2",
    "rw": "#c0392b",
    "process": "#2e8b57",
    "realtime": "#6b7b8c",
}
OTHER_EDGE = "#333333"


@dataclass
class GNode:
    id: Any
    label: str
    detail: str


@dataclass
class GEdge:
    src: Any
    dst: Any
    kind: str


def edge_color(kind: str) -> str:
    return EDGE_COLORS.get(kind.split("-")[0].split(" ")[0], OTHER_EDGE)


def cycle_svg(nodes: list[GNode], edges: list[GEdge]) -> Markup:
    n = max(len(nodes), 1)
    radius = max(70.0, n * 30 / math.pi)
    width = 2 * radius + 380
    height = 2 * radius + 120
    cx, cy = width / 2, height / 2
    pos = {}
    for i, node in enumerate(nodes):
        a = -math.pi / 2 + 2 * math.pi * i / n
        pos[node.id] = (cx + radius * math.cos(a), cy + radius * math.sin(a))
    body = []
    seen: dict[tuple[Any, Any], int] = {}
    for e in edges:
        if e.src in pos and e.dst in pos:
            k = seen.get((e.src, e.dst), 0) + seen.get((e.dst, e.src), 0)
            seen[(e.src, e.dst)] = seen.get((e.src, e.dst), 0) + 1
            body.append(_edge(pos[e.src], pos[e.dst], (cx, cy), e.kind, k))
    for node in nodes:
        body.append(_node(pos[node.id], node, (cx, cy)))
    return svg(width, height, body, cls="graph", natural=True)


def _edge(p: tuple, q: tuple, centre: tuple, kind: str, k: int) -> str:
    if p == q:
        return _self_loop(p, kind)
    (x0, y0), (x1, y1) = sorted((p, q))  # the pair's normal, whichever way the edge points
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    out = (mx - centre[0]) * nx + (my - centre[1]) * ny
    sign = 1 if out >= 0 else -1  # outwards, away from the circle's centre
    # the pair's 1st edge bows out, the 2nd in, the 3rd further out, ...
    bow = (0.18 * length + 16 * (k // 2)) * sign * (-1 if k % 2 else 1)
    ctl = (mx + nx * bow, my + ny * bow)
    end = _shorten(ctl, q, 19)
    start = _shorten(ctl, p, 19)
    color = edge_color(kind)
    path = f"M{start[0]:.1f},{start[1]:.1f} Q{ctl[0]:.1f},{ctl[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
    # the label sits just outside the curve's middle, on the side it bows to
    lx, ly = (start[0] + 2 * ctl[0] + end[0]) / 4, (start[1] + 2 * ctl[1] + end[1]) / 4
    ux, uy = (nx, ny) if bow >= 0 else (-nx, -ny)
    anchor = "start" if ux > 0.35 else "end" if ux < -0.35 else "mid"
    return (
        el("path", title(kind), d=path, stroke=color, class_="edge")
        + _arrowhead(ctl, end, color)
        + text(lx + ux * 6, ly + uy * 8 + 4, kind, fill=color, class_=f"elabel {anchor}")
    )


def _self_loop(p: tuple, kind: str) -> str:
    x, y = p
    color = edge_color(kind)
    d = f"M{x - 8:.1f},{y - 18:.1f} C{x - 30:.1f},{y - 60:.1f} {x + 30:.1f},{y - 60:.1f} "
    d += f"{x + 8:.1f},{y - 18:.1f}"
    return el("path", d=d, stroke=color, class_="edge") + text(x, y - 52, kind, fill=color,
                                                               class_="elabel mid")  # fmt: skip


def _shorten(frm: tuple, to: tuple, by: float) -> tuple[float, float]:
    dx, dy = to[0] - frm[0], to[1] - frm[1]
    d = math.hypot(dx, dy) or 1.0
    return to[0] - dx / d * by, to[1] - dy / d * by


def _arrowhead(frm: tuple, tip: tuple, color: str) -> str:
    dx, dy = tip[0] - frm[0], tip[1] - frm[1]
    d = math.hypot(dx, dy) or 1.0
    ux, uy = dx / d, dy / d
    a = (tip[0] - ux * 9 - uy * 4.5, tip[1] - uy * 9 + ux * 4.5)
    b = (tip[0] - ux * 9 + uy * 4.5, tip[1] - uy * 9 - ux * 4.5)
    pts = f"{tip[0]:.1f},{tip[1]:.1f} {a[0]:.1f},{a[1]:.1f} {b[0]:.1f},{b[1]:.1f}"
    return el("polygon", points=pts, fill=color)


def _node(p: tuple, node: GNode, centre: tuple) -> str:
    x, y = p
    dx, dy = x - centre[0], y - centre[1]
    d = math.hypot(dx, dy) or 1.0
    lx, ly = x + dx / d * 34, y + dy / d * 34 + 4
    anchor = "mid" if abs(dx) < 20 else ("start" if dx > 0 else "end")
    return (
        f'<g class="gnode">{title(node.detail)}'
        + el("circle", cx=x, cy=y, r=max(17.0, 4 + 3.8 * len(node.label)), class_="node")
        + text(x, y + 4, node.label, class_="nlabel mid")
        + text(lx, ly, _cut(node.detail, 30), class_=f"ndetail {anchor}")
        + "</g>"
    )


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def edge_legend(kinds: Iterable[str]) -> list[tuple[str, str]]:
    return [(k, edge_color(k)) for k in sorted(set(kinds))]


# --- the consistency-model lattice ---------------------------------------------------

#: the models the report draws (a display choice); the lattice among them is derived from
#: the vocabulary's (``contracted``: edges through left-out models are followed down)
DRAWN_MODELS = (
    "strict-serializable", "strong-session-serializable", "strong-snapshot-isolation",
    "serializable", "update-serializable", "snapshot-isolation", "repeatable-read",
    "consistent-view", "parallel-snapshot-isolation", "prefix", "causal-cerone", "read-atomic",
    "cursor-stability", "monotonic-atomic-view", "read-committed", "read-uncommitted",
    "linearizable", "sequential", "causal", "PRAM", "writes-follow-reads", "monotonic-reads",
    "monotonic-writes", "read-your-writes",
)  # fmt: skip
#: a -> the drawn models a implies
LATTICE: dict[str, list[str]] = contracted(DRAWN_MODELS)


def canonical(model: str) -> str:
    return canonical_model(model) or canonical_model(model.lower()) or model


def stronger_closure(models: Iterable[str]) -> set[str]:
    """The models given and every model that implies one of them (all ruled out too)."""
    parents: dict[str, list[str]] = {m: [] for m in LATTICE}
    for m, weaker in LATTICE.items():
        for w in weaker:
            parents[w].append(m)
    out: set[str] = set()
    todo = [canonical(m) for m in models]
    while todo:
        m = todo.pop()
        if m not in out:
            out.add(m)
            todo.extend(parents.get(m, ()))
    return out


def _layers() -> list[list[str]]:
    depth: dict[str, int] = {}

    def visit(m: str, d: int) -> None:
        if depth.get(m, -1) < d:
            depth[m] = d
            for w in LATTICE[m]:
                visit(w, d + 1)

    roots = set(LATTICE) - {w for ws in LATTICE.values() for w in ws}
    for r in sorted(roots):
        visit(r, 0)
    layers: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for m in LATTICE:
        layers[depth[m]].append(m)
    return _order(layers)


def _order(layers: list[list[str]]) -> list[list[str]]:
    """Barycentre sweeps down and up (positions normalised to the layer's width); the
    ordering with the fewest edge crossings wins."""
    best, best_crossings = [list(x) for x in layers], _crossings(layers)
    n = len(layers)
    sweeps = [(i, True) for i in range(1, n)] + [(i, False) for i in range(n - 2, -1, -1)]
    for _ in range(4):
        for i, down in sweeps:
            ref = layers[i - 1] if down else layers[i + 1]
            pos = {m: (j + 0.5) / len(ref) for j, m in enumerate(ref)}
            layers[i].sort(key=functools.partial(_barycentre, pos=pos, down=down))
        c = _crossings(layers)
        if c < best_crossings:
            best, best_crossings = [list(x) for x in layers], c
    return best


def _barycentre(m: str, pos: dict[str, float], down: bool) -> float:
    """Mean normalised position of ``m``'s neighbours in the reference layer."""
    if down:
        ps = [x for p, x in pos.items() if m in LATTICE[p]]
    else:
        ps = [pos[w] for w in LATTICE[m] if w in pos]
    return sum(ps) / len(ps) if ps else 0.5


def _crossings(layers: list[list[str]]) -> int:
    """Crossings among edges that span the same layers (an estimate for longer edges)."""
    x = {m: (j + 0.5) / len(layer) for layer in layers for j, m in enumerate(layer)}
    depth = {m: i for i, layer in enumerate(layers) for m in layer}
    edges = [(depth[a], depth[b], x[a], x[b]) for a, ws in LATTICE.items() for b in ws]
    return sum(
        1
        for i, (d0, d1, a0, a1) in enumerate(edges)
        for e0, e1, b0, b1 in edges[i + 1 :]
        if (d0, d1) == (e0, e1) and (a0 - b0) * (a1 - b1) < 0
    )


def lattice_svg(
    ruled_out: set[str], weakest: set[str], checked: dict[str, list[str]] | None = None
) -> Markup:
    """The lattice, with ruled-out models filled (the weakest ruled out darkest) and models
    checked without a violation outlined in green."""
    checked = checked or {}
    layers = _layers()
    row_h, width = 58, 1000
    pos: dict[str, tuple[float, float, float]] = {}
    for i, layer in enumerate(layers):
        for j, m in enumerate(layer):
            w = 7.2 * len(m) + 18
            pos[m] = ((j + 0.5) * width / len(layer), 24 + i * row_h, w)
    body = []
    for m, weaker in LATTICE.items():
        for weak in weaker:
            (x0, y0, _), (x1, y1, _) = pos[m], pos[weak]
            cls = "ledge out" if weak in ruled_out and m in ruled_out else "ledge"
            body.append(el("line", x1=x0, y1=y0 + 11, x2=x1, y2=y1 - 11, class_=cls))
    for m, (x, y, w) in pos.items():
        cls = "lnode weakest" if m in weakest else "lnode out" if m in ruled_out else "lnode"
        if m in checked and m not in ruled_out:
            cls += " held"
        tip = title(_lattice_title(m, ruled_out, weakest, checked))
        body.append(
            f'<g class="{cls}" data-model="{m}">{tip}'
            + el("rect", x=x - w / 2, y=y - 11, width=w, height=22, rx=11.0)
            + text(x, y + 4, m, class_="mid")
            + "</g>"
        )
    return svg(width, 24 + len(layers) * row_h - 20, body, cls="lattice", id="lattice")


def _lattice_title(
    m: str, ruled_out: set[str], weakest: set[str], checked: dict[str, list[str]]
) -> str:
    if m in checked and m not in ruled_out:
        return f"{m}: checked by {', '.join(checked[m])}, no violation found"
    if m in weakest:
        return f"{m}: ruled out by an anomaly found in this run"
    if m in ruled_out:
        return f"{m}: ruled out (it implies a model this run violated)"
    return f"{m}: not ruled out by this run"
