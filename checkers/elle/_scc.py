"""Strongly connected components of the whole dependency graph, fast.

Theory of operation
-------------------
The dependency graph of a 100k-txn history has ~200k nodes (txns plus time nodes) and
~1M edges.  ``networkx.strongly_connected_components`` on a ``DiGraph`` of that size
costs seconds just to build the graph (see ``docs/elle.md`` for the measurement), so the
whole-graph pass runs here, on plain adjacency lists, with an iterative Tarjan.  Only the
non-trivial components (almost always few and small) are handed to networkx for cycle
search and export.

Most histories are valid, and then the whole graph is acyclic and Tarjan finds nothing
after a full pass with low-links.  ``has_cycle`` answers the question first with a plain
depth-first search (a node is new, on the path, or done; an edge to a node on the path
closes a cycle), which does about half of Tarjan's work per edge: 0.55 s against 0.95 s
on the 1.5M nodes and 5.8M edges of a 1M-txn history.  Only a graph with a cycle then
pays for Tarjan as well (the search stops at its first cycle).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any


def has_cycle(out: Sequence[Sequence[int]]) -> bool:
    """Whether the graph has a cycle (``out`` as ``nontrivial_sccs`` takes it; a
    self-loop counts).  Iterative: the real-time chain makes paths ~600k deep."""
    state = bytearray(len(out))  # 0: not met, 1: on the path, 2: done
    path: list[int] = []
    edges: list[Any] = []  # per level of the path: the iterator over its edges left
    for root, root_edges in enumerate(out):
        if state[root] or not root_edges:
            continue
        state[root] = 1
        path.append(root)
        edges.append(iter(root_edges))
        while edges:
            for e in edges[-1]:
                w = e >> 5
                s = state[w]
                if s == 0:
                    break
                if s == 1:
                    return True
            else:  # every edge of the path's end done
                state[path.pop()] = 2
                edges.pop()
                continue
            state[w] = 1
            path.append(w)
            edges.append(iter(out[w]))
    return False


def nontrivial_sccs(out: Sequence[Sequence[int]], keep_trivial: bool = False) -> list[list[int]]:
    """Components with two or more nodes (or all, with ``keep_trivial``), via Tarjan.

    ``out[v]`` holds encoded edges ``w << 5 | kind`` (see ``TxnGraph``); no self-loops.
    Components come out in reverse topological order of the condensation (sinks first).
    """
    n = len(out)
    # The DFS path is an array of nodes plus a list of edge iterators, not a (node,
    # iterator) tuple per level: the real-time chain makes it ~600k deep at 1M txns.
    # (index and low stay lists: an array hands out a new int object per read, 30% slower)
    index = [-1] * n
    low = [0] * n
    on_stack = bytearray(n)
    stack = array("q")
    path: array[int] = array("q")
    edges: list[Any] = []  # per level of the path: the iterator over its edges left
    result: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1 or not (out[root] or keep_trivial):
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        path.append(root)
        edges.append(iter(out[root]))
        while path:
            v = path[-1]
            for e in edges[-1]:
                w = e >> 5
                if index[w] == -1:
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:  # every edge of v done: v leaves the path
                path.pop()
                edges.pop()
                if path and low[v] < low[path[-1]]:
                    low[path[-1]] = low[v]
                if low[v] != index[v]:
                    continue
                if stack[-1] == v:  # a component of v alone: most nodes, inlined
                    stack.pop()
                    on_stack[v] = 0
                    if keep_trivial:
                        result.append([v])
                else:
                    _pop_component(v, stack, on_stack, result, keep_trivial)
                continue
            index[w] = low[w] = counter  # descend into w
            counter += 1
            stack.append(w)
            on_stack[w] = 1
            path.append(w)
            edges.append(iter(out[w]))
    return result


def _pop_component(
    v: int, stack: Any, on_stack: bytearray, result: list[list[int]], keep_trivial: bool
) -> None:
    """Pop v's component off Tarjan's stack; keep it if non-trivial (or asked to)."""
    comp = []
    while True:
        w = stack.pop()
        on_stack[w] = 0
        comp.append(w)
        if w == v:
            break
    if len(comp) > 1 or keep_trivial:
        result.append(comp)
