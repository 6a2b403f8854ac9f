"""``nontrivial_sccs`` (iterative Tarjan on arrays) against networkx, on random graphs.

Guards the DFS bookkeeping (the path and next-edge arrays, low-link propagation on the
way back up, the component pop): a slip there splits or merges components, and Elle
then searches the wrong cycles or misses them."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.elle._scc import has_cycle, nontrivial_sccs
from checkers.elle._txns import WW

GRAPHS = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    )
)


@settings(max_examples=300)
@given(GRAPHS, st.booleans())
def test_components_are_networkxs(graph, keep_trivial):
    n, edges = graph
    out: list[list[int]] = [[] for _ in range(n)]
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b in edges:
        if a != b:  # the graph has no self-loops (TxnGraph.add drops them)
            out[a].append(b << 5 | WW)
            g.add_edge(a, b)
    got = {frozenset(c) for c in nontrivial_sccs(out, keep_trivial)}
    want = {frozenset(c) for c in nx.strongly_connected_components(g) if len(c) > 1 or keep_trivial}
    assert got == want


def test_a_long_chain_closed_into_a_ring_is_one_component():
    """A 100k-deep path (the real-time chain's shape) is walked without recursion."""
    n = 100_000
    out = [[(i + 1) % n << 5 | WW] for i in range(n)]
    assert [len(c) for c in nontrivial_sccs(out)] == [n]


@settings(max_examples=300)
@given(GRAPHS, st.booleans())
def test_has_cycle_is_whether_networkx_finds_one(graph, self_loops):
    """Guards the acyclicity pre-pass that spares valid histories Tarjan: a false
    "acyclic" would skip every cycle search (a G0..G2 missed, a false pass), a false
    "cyclic" only costs time, so both directions are pinned."""
    n, edges = graph
    out: list[list[int]] = [[] for _ in range(n)]
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b in edges:
        if a != b or self_loops:
            out[a].append(b << 5 | WW)
            g.add_edge(a, b)
    want = any(len(c) > 1 for c in nx.strongly_connected_components(g)) or any(
        a == b for a, b in g.edges
    )
    assert has_cycle(out) is want


def test_has_cycle_walks_a_long_chain_without_recursion():
    """The real-time chain's depth: a 100k-deep path, acyclic, then closed into a ring."""
    n = 100_000
    out = [[(i + 1) << 5 | WW] for i in range(n - 1)] + [[]]
    assert has_cycle(out) is False
    out[-1] = [0 << 5 | WW]
    assert has_cycle(out) is True
