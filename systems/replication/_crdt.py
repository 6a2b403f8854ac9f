"""Per-key state and its merge rules for multi-leader replication (conflict handling).

Theory of operation
-------------------
A multi-leader node applies *entries* (a local write, or one replicated from another
leader) to a per-key state, in whatever order they arrive.  Every rule here is
commutative, associative and idempotent over entries, so leaders that have applied the same
entries hold the same state, whatever the order (strong eventual consistency).

* ``lww``      -- last write wins by the originating leader's clock (ties by node);
* ``lww-id``   -- the write from the highest-ranked replica wins, then the later of its
                 own writes (DDIA: "writes that originated at a higher-numbered replica
                 always take precedence");
* ``vv``       -- dotted version vectors with siblings (``_versions``), merged by the
                 client's next write; ``custom`` is the same with a user merge hook
                 resolving the siblings a read shows;
* ``pn-counter`` -- a positive and a negative total per origin; an entry carries its
                 origin's new totals and merging takes the maximum (a state-based CRDT);
* ``or-set``   -- observed-remove set: each add has a unique tag, a remove deletes the tags
                 its origin had observed, so a concurrent re-add survives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from systems.replication._versions import merge, order_key, resolve

REGISTERS = ("lww", "lww-id", "vv", "custom")
RANK_SPAN = 10**12
Merge = Callable[[list[Any]], Any]


def initial(conflict: str) -> Any:
    if conflict == "pn-counter":
        return {"p": {}, "n": {}}
    if conflict == "or-set":
        return {"adds": {}, "removed": []}
    return []


def apply(conflict: str, state: Any, entry: dict[str, Any]) -> Any:
    """The state after one entry (``entry["data"]`` is what the origin made of the op)."""
    data = entry["data"]
    if conflict == "pn-counter":
        return {
            side: {
                **state[side],
                entry["id"][0]: max(state[side].get(entry["id"][0], 0), data[side]),
            }
            for side in ("p", "n")
        }
    if conflict == "or-set":
        return _or_set(state, data)
    return merge("lww" if conflict in ("lww", "lww-id") else "vv", state, [data])


def _or_set(state: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    removed = {tuple(t) for t in state["removed"]} | {tuple(t) for t in data.get("remove", [])}
    adds = {e: {tuple(t) for t in tags} for e, tags in state["adds"].items()}
    if "add" in data:
        adds.setdefault(data["add"], set()).add(tuple(data["tag"]))
    live = {e: sorted(tags - removed) for e, tags in adds.items() if tags - removed}
    return {"adds": live, "removed": sorted(removed)}


def show(conflict: str, state: Any, hook: Merge | None = None) -> Any:
    """What a read returns for a state."""
    if conflict == "pn-counter":
        return sum(state["p"].values()) - sum(state["n"].values())
    if conflict == "or-set":
        return sorted(state["adds"], key=order_key)
    if conflict == "custom" and hook is not None and len(state) > 1:
        return hook([s["v"] for s in state])
    return resolve(state)


def observed_tags(state: dict[str, Any], element: Any) -> list[list[Any]]:
    return [list(t) for t in state["adds"].get(element, [])]
