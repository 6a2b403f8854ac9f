"""Delta debugging (Zeller's ddmin): a 1-minimal failing subset of a list.

``ddmin(items, fails)`` returns a sublist (order kept) for which ``fails`` is still true
and from which no single item can be removed without ``fails`` turning false -- if
``fails`` is monotone enough, which a simulated run usually is not quite; the result is
then merely small.  Results of ``fails`` are cached by the tuple of kept indices, so no
subset is tried twice, and a ``budget`` caps the number of calls.  Deterministic: the
order of trials depends only on ``len(items)`` and the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class _Oracle:
    def __init__(self, fails: Callable[[list[int]], bool], budget: int) -> None:
        self.fails, self.budget = fails, budget
        self.cache: dict[tuple[int, ...], bool] = {}
        self.calls = 0

    def __call__(self, kept: list[int]) -> bool:
        key = tuple(kept)
        if key not in self.cache:
            if self.calls >= self.budget:
                return False
            self.calls += 1
            self.cache[key] = self.fails(kept)
        return self.cache[key]


def ddmin_indices(n: int, fails: Callable[[list[int]], bool], budget: int = 200) -> list[int]:
    """Indices ``0..n-1`` reduced while ``fails(kept_indices)`` stays true."""
    oracle = _Oracle(fails, budget)
    kept = list(range(n))
    granularity = 2
    while len(kept) >= 2:
        chunks = _split(kept, granularity)
        reduced = _try_chunks(chunks, kept, oracle)
        if reduced is not None:
            kept, granularity = reduced, max(granularity - 1, 2)
        elif granularity < len(kept):
            granularity = min(len(kept), granularity * 2)
        else:
            break
    if len(kept) == 1 and oracle([]):
        kept = []
    return kept


def _split(kept: list[int], k: int) -> list[list[int]]:
    size, rem = divmod(len(kept), k)
    chunks, start = [], 0
    for i in range(k):
        end = start + size + (1 if i < rem else 0)
        chunks.append(kept[start:end])
        start = end
    return [c for c in chunks if c]


def _try_chunks(chunks: list[list[int]], kept: list[int], oracle: _Oracle) -> list[int] | None:
    for chunk in chunks:  # a chunk alone
        if len(chunk) < len(kept) and oracle(chunk):
            return chunk
    for chunk in chunks:  # everything but a chunk
        rest = [i for i in kept if i not in chunk]
        if rest and oracle(rest):
            return rest
    return None


def ddmin(items: Sequence[T], fails: Callable[[list[T]], bool], budget: int = 200) -> list[T]:
    """A small sublist of ``items`` for which ``fails`` still holds (see module doc)."""
    idx = ddmin_indices(len(items), lambda kept: fails([items[i] for i in kept]), budget)
    return [items[i] for i in idx]
