"""Strongly connected components of the whole dependency graph, fast.

Theory of operation
-------------------
The dependency graph of a 100k-txn history has ~200k nodes (txns plus time nodes) and
~1M edges.  ``networkx.strongly_connected_components`` on a ``DiGraph`` of that size
costs seconds just to build the graph (see ``docs/elle.md`` for the measurement), so the
whole-graph pass runs here, on plain adjacency lists, with an iterative Tarjan.  Only the
non-trivial components (almost always few and small) are handed to networkx for cycle
search and export.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence


def nontrivial_sccs(out: Sequence[Sequence[int]], keep_trivial: bool = False) -> list[list[int]]:
    """Components with two or more nodes (or all, with ``keep_trivial``), via Tarjan.

    ``out[v]`` holds encoded edges ``w << 5 | kind`` (see ``TxnGraph``); no self-loops.
    Components come out in reverse topological order of the condensation (sinks first).
    """
    n = len(out)
    # arrays, not lists: a node's number is a fresh int object past 256 (two per node:
    # 64 MB of the peak at 1M txns); an array holds it in 8 bytes
    index = array("q", [-1]) * n
    low = array("q", [0]) * n
    on_stack = bytearray(n)
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1 or not (out[root] or keep_trivial):
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work = [(root, iter(out[root]))]
        while work:
            v, it = work[-1]
            pushed = False
            for e in it:
                w = e >> 5
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, iter(out[w])))
                    pushed = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if pushed:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or keep_trivial:
                    result.append(comp)
    return result
