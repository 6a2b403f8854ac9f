"""Cycle search in one strongly connected component, constrained by edge kinds.

Theory of operation
-------------------
Each SCC of the whole graph is handed over as a ``networkx.DiGraph`` whose edges carry a
bitmask ``k`` of kinds (ww, wr, rw, process, realtime).  For every cycle type, weakest
first (G0, G1c, G-single, G-nonadjacent, G2-item, then their -process and -realtime
variants), we look for a cycle as Elle does: restrict the SCC to the kinds the type may
use, split that subgraph into its own SCCs, and for each *anchor* edge of the type's
defining kind (rw for G-single and up, wr for G1c, the variant kind otherwise, ww for G0)
run a breadth-first search from the anchor's head back to its tail.  The BFS walks
(node, flags) states, where the flags track what the constraint needs: was the last edge
rw, have we seen a second rw / two adjacent rws, a wr edge, a process/realtime edge.  So
the first cycle found through an anchor is a shortest one satisfying the type.  Types
implied by one already found in the SCC are skipped (a G-single is also a G2-item).

Time nodes (see ``_txns``) carry only realtime edges, so a run through them counts as one
realtime step.  A ``deadline`` (monotonic seconds) is checked as the search runs; running
out raises ``SearchTimeout`` and the caller reports "unknown" for what was not searched.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from checkers.elle._scc import nontrivial_sccs
from checkers.elle._tables import CYCLE_TYPES, implied_anomalies
from checkers.elle._txns import PROCESS, REALTIME, RW, WR, WW

if TYPE_CHECKING:
    import networkx as nx

LAST_RW, SECOND_RW, ADJACENT, HAS_WR, HAS_VARIANT = 1, 2, 4, 8, 16
KIND_ORDER = (WW, WR, RW, PROCESS, REALTIME)
ALL_KINDS = WW | WR | RW | PROCESS | REALTIME
#: Above this many components, exact reachability bitsets would need too much memory.
BITSET_LIMIT = 20_000

Step = tuple[int, int, int]  # (from node, to node, kind)


class SearchTimeout(Exception):
    pass


_RW_RULE = {"G-single": "single", "G-nonadjacent": "nonadjacent", "G2-item": "adjacent"}


class Spec:
    """What a cycle type may use and must contain.

    ``allowed``: edge kinds the cycle may use; ``anchor``: the kind of the edge every
    search starts from; ``rw``: the rw constraint ("single", "nonadjacent", "adjacent"
    or None); ``need_wr``: at least one wr edge; ``variant``: PROCESS or REALTIME when at
    least one such edge is required (a -realtime cycle may also use process edges).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.variant = 0
        base = name
        for suffix, kind in (("-process", PROCESS), ("-realtime", REALTIME)):
            if name.endswith(suffix):
                base, self.variant = name[: -len(suffix)], kind
        self.base = base
        self.rw: str | None = _RW_RULE.get(base)
        data = {"G0": WW, "G1c": WW | WR}.get(base, WW | WR | RW)
        order = PROCESS | REALTIME if self.variant == REALTIME else self.variant
        self.allowed = data | order
        self.need_wr = base == "G1c"
        self.anchor = RW if self.rw else WR if self.need_wr else self.variant or WW


SPECS = [Spec(name) for name in CYCLE_TYPES]


def _any_cycle_spec(rels: int, anchor: int) -> Spec:
    """A spec with no constraint but the allowed kinds (for fallback cycles)."""
    spec = Spec("G0")
    spec.name, spec.allowed, spec.anchor, spec.need_wr = "any", rels, anchor, False
    return spec


def fallback_cycle(g: nx.DiGraph, n_txns: int) -> list[Step] | None:
    """Some shortest cycle under the weakest kind restriction that has one.

    Used when the time limit cut the typed search short: the SCC must hold a cycle, and
    reporting it (classified by its own edges) is better than reporting nothing.  One
    sub-SCC pass and one BFS per restriction, no deadline.
    """
    local = g.graph.get("local") or Local(g)  # reuse the typed search's sub-SCCs
    for rels in (WW, WW | WR, WW | WR | RW, WW | WR | RW | PROCESS, ALL_KINDS):
        comp_of = local.comp_of(rels)
        for a, b, kind in g.edges(data="k") if comp_of else ():
            if kind & rels and comp_of.get(a, -1) == comp_of.get(b, -2):
                anchor = next(k for k in KIND_ORDER if k & kind & rels)
                steps = _bfs_back(g, _any_cycle_spec(rels, anchor), a, b, comp_of, n_txns, None)
                if steps is not None:
                    return steps
    return None


def scc_graph(nodes: list[int], g: Any) -> nx.DiGraph:
    """The SCC as a networkx DiGraph with a kind bitmask ``k`` on each edge."""
    member = set(nodes)
    edges: dict[tuple[int, int], int] = {}
    for a in nodes:
        for e in g.out[a]:
            b = e >> 5
            if b in member:
                edges[(a, b)] = edges.get((a, b), 0) | (e & 31)
        if a < g.n_txns and not g.proc_in_out:
            b = g.proc_next[a]
            if b in member:
                edges[(a, b)] = edges.get((a, b), 0) | PROCESS
    # networkx costs ~0.1 s to import: only a history with a cycle pays for it.
    import networkx as nx

    sg = nx.DiGraph()
    sg.add_nodes_from(nodes)
    sg.add_edges_from((a, b, {"k": k}) for (a, b), k in edges.items())
    return sg


def search_scc(
    g: nx.DiGraph, n_txns: int, wanted: set[str], deadline: float | None
) -> tuple[list[tuple[str, list[Step]]], list[str]]:
    """Cycles found (type, steps) and the types left unsearched when time ran out."""
    found: list[tuple[str, list[Step]]] = []
    skip: set[str] = set()
    local = g.graph["local"] = Local(g)
    for i, spec in enumerate(SPECS):
        if spec.name not in wanted or spec.name in skip:
            continue
        try:
            if deadline is not None and time.monotonic() > deadline:
                raise SearchTimeout
            steps = find_cycle(g, spec, n_txns, deadline, local)
        except SearchTimeout:
            rest = [s.name for s in SPECS[i:] if s.name in wanted and s.name not in skip]
            return found, rest
        if steps is not None:
            found.append((classify(steps, n_txns), steps))
            skip |= implied_anomalies([spec.name])
    return found, []


class Local:
    """Kind-filtered sub-SCCs and reachability of one SCC, on plain lists.

    networkx holds the SCC (the cycle search walks its adjacency, witnesses come from
    it), but its ``strongly_connected_components`` over a filtered view calls a Python
    filter per edge: ~0.7 s per cycle type on a 20k-txn SCC.  Here each kind mask is
    computed once, inside the components of the smallest mask already computed that
    contains it (a cycle using fewer kinds lies inside a component of more kinds), so
    in a huge SCC held together by real-time edges the data-only masks only revisit
    the few small data cycles.
    """

    def __init__(self, g: nx.DiGraph) -> None:
        self.adj = {v: [(w, a["k"]) for w, a in nbrs.items()] for v, nbrs in g._succ.items()}
        whole = dict.fromkeys(self.adj, 0)  # the SCC is strongly connected under all kinds
        self._comp: dict[int, dict[int, int]] = {ALL_KINDS: whole}
        self.rank: dict[int, int] | None = None
        self.comp_of(WW | WR | RW | PROCESS)  # contains every non-real-time mask

    def _restricted(self, kinds: int, parent: dict[int, int]) -> tuple[list[Any], list[Any]]:
        """Members of ``parent``'s components and their ``kinds`` edges inside them."""
        members = list(parent)
        idx = {v: i for i, v in enumerate(members)}
        out = [
            [idx[w] << 5 for w, k in self.adj[v] if k & kinds and parent.get(w) == parent[v]]
            for v in members
        ]
        return members, out

    def comp_of(self, kinds: int) -> dict[int, int]:
        """Node -> id of its non-trivial SCC in the subgraph of edges with ``kinds``."""
        if kinds not in self._comp:
            parent = min((c for m, c in self._comp.items() if m & kinds == kinds), key=len)
            members, out = self._restricted(kinds, parent)
            comps = nontrivial_sccs(out) if members else []
            self._comp[kinds] = {members[i]: ci for ci, c in enumerate(comps) for i in c}
        return self._comp[kinds]

    def reachability(self, kinds: int, within: dict[int, int]) -> Any:
        """A test ``maybe_reaches(u, v)`` over ``kinds`` edges inside ``within``'s comps.

        G-single needs a path back from the rw edge's head to its tail without rw edges;
        testing that first spares a breadth-first search for every hopeless rw edge.  Up
        to ``BITSET_LIMIT`` components the test is exact (bitsets over the condensation);
        beyond that, where bitsets would cost quadratic memory, it is the topological
        order alone (Tarjan emits a component only after every component it reaches), a
        necessary condition that still discards every edge pointing backwards.
        """
        members, out = self._restricted(kinds, within)
        comps = nontrivial_sccs(out, keep_trivial=True)  # sinks first
        comp = [0] * len(out)
        for ci, c in enumerate(comps):
            for i in c:
                comp[i] = ci
        where = {v: comp[i] for i, v in enumerate(members)}
        self.rank = where  # a node can only reach nodes of equal or lower rank
        if len(comps) > BITSET_LIMIT:
            return lambda u, v: where[u] >= where[v]
        reach = [0] * len(comps)
        for ci, c in enumerate(comps):
            bits = 1 << ci
            for i in c:
                for e in out[i]:
                    bits |= reach[comp[e >> 5]]
            reach[ci] = bits
        return lambda u, v: bool(reach[where[u]] >> where[v] & 1)


def find_cycle(
    g: nx.DiGraph, spec: Spec, n_txns: int, deadline: float | None, local: Local | None = None
) -> Any:
    local = local or Local(g)
    comp_of = local.comp_of(spec.allowed)
    if not comp_of:
        return None
    viable = local.reachability(spec.allowed & ~RW, comp_of) if spec.rw == "single" else None
    rank = local.rank if viable is not None else None
    for a, b, kind in g.edges(data="k"):
        if not kind & spec.anchor or comp_of.get(a, -1) != comp_of.get(b, -2):
            continue
        if viable is not None and not viable(b, a):
            continue
        steps = _bfs_back(g, spec, a, b, comp_of, n_txns, deadline, rank)
        if steps is None:
            continue
        for cycle in simple_cycles_of(steps):
            if classify(cycle, n_txns) == spec.name:
                return cycle
    return None


def simple_cycles_of(steps: list[Step]) -> list[list[Step]]:
    """Split a closed walk that revisits a node into simple cycles.

    The (node, flags) search can pass a node twice with different flags; such a walk is
    a union of simple cycles, and a witness must be one of them.
    """
    seen: dict[int, int] = {}
    for i, (a, _, _) in enumerate(steps):
        if a in seen:
            j = seen[a]
            inner, outer = steps[j:i], steps[:j] + steps[i:]
            return [*simple_cycles_of(inner), *simple_cycles_of(outer)]
        seen[a] = i
    return [steps]


def _start_flags(spec: Spec) -> int:
    f = LAST_RW if spec.anchor == RW else 0
    if spec.anchor == WR:
        f |= HAS_WR
    if spec.variant and spec.anchor == spec.variant:
        f |= HAS_VARIANT
    return f


def _goal(spec: Spec, flags: int) -> bool:
    if spec.need_wr and not flags & HAS_WR:
        return False
    if spec.variant and not flags & HAS_VARIANT:
        return False
    if spec.rw == "nonadjacent":
        return bool(flags & SECOND_RW) and not flags & LAST_RW
    if spec.rw == "adjacent":
        return bool(flags & (ADJACENT | LAST_RW))
    return True


def _step_flags(spec: Spec, flags: int, kind: int) -> int:
    """Flags after taking an edge as ``kind``; -1 if the type forbids it here."""
    if kind == RW:
        if spec.rw == "single" or (spec.rw == "nonadjacent" and flags & LAST_RW):
            return -1
        if flags & LAST_RW:
            flags |= ADJACENT
        return flags | LAST_RW | SECOND_RW
    flags &= ~LAST_RW
    if kind == WR:
        flags |= HAS_WR
    if kind == spec.variant:
        flags |= HAS_VARIANT
    return flags


def _bfs_back(
    g: nx.DiGraph,
    spec: Spec,
    a: int,
    b: int,
    comp_of: dict[int, int],
    n_txns: int,
    deadline: float | None,
    rank: dict[int, int] | None = None,
) -> list[Step] | None:
    """Shortest walk b -> ... -> a satisfying ``spec``, closed by the anchor a -> b.

    With ``rank`` (G-single: topological ranks of the rw-free subgraph), nodes ranked
    below ``a`` cannot lead back to it and are not explored.

    A 0-1 breadth-first search: leaving a time node costs nothing, so a real-time step
    through any number of time nodes counts as one step, and "shortest" means fewest
    transactions (a stale read a thousand completions later is still a 2-cycle).
    """
    comp = comp_of[a]
    floor = rank[a] if rank is not None else -1
    start = (b, _start_flags(spec))
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
    dist = {start: 0}
    queue = deque([start])
    succ = g._succ  # plain dict-of-dicts: the public view costs 3x here
    allowed = spec.allowed
    pops = 0
    while queue:
        state = queue.popleft()
        pops += 1
        if deadline is not None and pops & 511 == 1 and time.monotonic() > deadline:
            raise SearchTimeout
        u, flags = state
        if u == a:
            if _goal(spec, flags):
                return [(a, b, spec.anchor), *_path(parent, state)]
            continue
        cost = 0 if u >= n_txns else 1
        d = dist[state] + cost
        for w, attrs in succ[u].items():
            mask = attrs["k"] & allowed
            if not mask or comp_of.get(w) != comp:
                continue
            if rank is not None and rank.get(w, floor) < floor:
                continue
            for kind in KIND_ORDER:
                if not mask & kind:
                    continue
                nf = _step_flags(spec, flags, kind)
                if nf < 0:
                    continue
                nxt = (w, nf)
                if dist.get(nxt, d + 1) <= d:
                    continue
                dist[nxt] = d
                parent[nxt] = (state, kind)
                if cost:
                    queue.append(nxt)
                else:
                    queue.appendleft(nxt)
    return None


def _path(parent: dict[Any, Any], end: tuple[int, int]) -> list[Step]:
    steps: list[Step] = []
    cur = end
    while parent[cur] is not None:
        prev, kind = parent[cur]
        steps.append((prev[0], cur[0], kind))
        cur = prev
    steps.reverse()
    return steps


def collapse_time(steps: list[Step], n_txns: int) -> list[Step]:
    """Merge runs through time nodes into single realtime steps between txns."""
    first = next((i for i, st in enumerate(steps) if st[0] < n_txns), 0)
    steps = steps[first:] + steps[:first]  # start at a txn, so no run wraps around
    out: list[Step] = []
    src: int | None = None
    for a, b, kind in steps:
        if b >= n_txns:
            if src is None:
                src = a
            continue
        if a >= n_txns:
            out.append((src if src is not None else a, b, REALTIME))
            src = None
        else:
            out.append((a, b, kind))
    return _rotate(out)


def _rotate(steps: list[Step]) -> list[Step]:
    if not steps:
        return steps
    i = min(range(len(steps)), key=lambda j: steps[j][0])
    return steps[i:] + steps[:i]


def classify(steps: list[Step], n_txns: int) -> str:
    """Elle's naming: by the number and adjacency of rw steps, then -realtime/-process."""
    kinds = [k for _, _, k in collapse_time(steps, n_txns)]
    rw = kinds.count(RW)
    adjacent = any(kinds[i] == RW and kinds[i - 1] == RW for i in range(len(kinds)))
    if rw == 1:
        base = "G-single"
    elif rw > 1:
        base = "G2-item" if adjacent else "G-nonadjacent"
    elif WR in kinds:
        base = "G1c"
    else:
        base = "G0"
    if REALTIME in kinds:
        return base + "-realtime"
    if PROCESS in kinds:
        return base + "-process"
    return base
