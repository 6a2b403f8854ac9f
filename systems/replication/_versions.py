"""Versions of one key's value: dotted version vectors with siblings, or last-write-wins.

Theory of operation
-------------------
A key's state is a list of *siblings*.  With ``conflict="vv"`` each sibling is
``{"v": value, "dot": [node, n], "ctx": {node: n}}``: the ``dot`` names the one write that
made it (the coordinating node's ``n``-th write), the ``ctx`` is the version vector the
writing client had read (its causal past).  A write *obsoletes* every sibling whose dot its
context covers; merging two states keeps every sibling no other sibling obsoletes, so
concurrent writes survive side by side until a client that saw them all writes again
(DDIA's "merging concurrently written values").  The state's version vector is the join of
all contexts and dots.  Dots rather than plain per-node counters keep two concurrent
writes through the same node apart (the dotted version vectors of Preguiça et al.).

With ``conflict="lww"`` a sibling is ``{"v": value, "ts": [time, node]}`` and a state keeps
only the greatest ``ts``: the coordinating node's clock decides, ties broken by node name,
and a write stamped by a clock that runs behind is silently discarded.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

Sibling = dict[str, Any]


def covers(clock: dict[str, int], dot: list[Any]) -> bool:
    return clock.get(dot[0], 0) >= dot[1]


def merge(conflict: str, *states: Iterable[Sibling]) -> list[Sibling]:
    everything = [s for state in states for s in state]
    if not everything:
        return []
    if conflict == "lww":
        return [max(everything, key=lambda s: (s["ts"][0], s["ts"][1]))]
    unique = {tuple(s["dot"]): s for s in everything}
    kept = [
        s
        for s in unique.values()
        if not any(covers(t["ctx"], s["dot"]) for t in unique.values() if t is not s)
    ]
    return sorted(kept, key=lambda s: (s["dot"][0], s["dot"][1]))


def clock_of(state: Iterable[Sibling]) -> dict[str, int]:
    """The version vector of a (vv) state: every context and dot it includes."""
    clock: dict[str, int] = {}
    for s in state:
        for node, n in [*s["ctx"].items(), tuple(s["dot"])]:
            clock[node] = max(clock.get(node, 0), n)
    return dict(sorted(clock.items()))


def values(state: Iterable[Sibling]) -> list[Any]:
    return [s["v"] for s in state]


def resolve(state: list[Sibling]) -> Any:
    """The one value a client shows for a state: the greatest sibling (its merge rule)."""
    vs = values(state)
    if not vs:
        return None
    return max(vs, key=order_key)


def order_key(v: Any) -> tuple[int, int, str]:
    """Ints by value, then anything else by its JSON text."""
    return (0, v, "") if isinstance(v, int) else (1, 0, json.dumps(v))


def digest(state: list[Sibling]) -> int:
    return zlib.crc32(json.dumps(state, sort_keys=True).encode())


def version_extra(conflict: str, state: list[Sibling]) -> dict[str, Any]:
    """Version evidence for a read or write: of the value shown, and of the whole state.

    ``version`` (LWW timestamp) or ``vclock`` (the shown sibling's clock) describe the value
    shown, as the session checker reads them; ``ctx`` is the state's whole version vector,
    which the client sends back with its next write.
    """
    if not state or conflict == "arrival":
        return {}
    if conflict in ("lww", "lww-id"):
        return {"version": state[0]["ts"][0]}
    shown = resolve(state)
    chosen = [s for s in state if s["v"] == shown][:1] or state[:1]
    return {"vclock": clock_of(chosen), "ctx": clock_of(state)}
