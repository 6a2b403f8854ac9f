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
* ``arrival``  -- (named unsafe) no conflict resolution: whichever write arrives last
                 stays, so leaders that receive writes in different orders diverge;
* ``pn-counter`` -- a positive and a negative total per origin; an entry carries its
                 origin's new totals and merging takes the maximum (a state-based CRDT);
* ``or-set``   -- observed-remove set: each add has a unique tag, a remove deletes the tags
                 its origin had observed, so a concurrent re-add survives;
* ``rga``      -- a replicated growable array of tokens (shared text), below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from systems.replication._versions import merge, order_key, resolve

REGISTERS = ("lww", "lww-id", "vv", "custom", "arrival")
RANK_SPAN = 10**12
Merge = Callable[[list[Any]], Any]


def initial(conflict: str) -> Any:
    if conflict == "pn-counter":
        return {"p": {}, "n": {}}
    if conflict == "or-set":
        return {"adds": {}, "removed": []}
    if conflict == "rga":
        return rga_initial()
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
    if conflict == "rga":
        return rga_apply(state, data)
    if conflict == "arrival":
        return [data]
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
    if conflict == "rga":
        return rga_text(state)
    if conflict == "custom" and hook is not None and len(state) > 1:
        return hook([s["v"] for s in state])
    return resolve(state)


def observed_tags(state: dict[str, Any], element: Any) -> list[list[Any]]:
    return [list(t) for t in state["adds"].get(element, [])]


# -- RGA: a replicated growable array for shared text ------------------------------------
#
# Each inserted token is an element ``{"id": [counter, node], "tok", "dead"}`` placed after
# the element it was typed after (``after``: an id, or ``None`` for the start).  Ids are
# Lamport timestamps, so an element inserted later after the same anchor has a larger id;
# integration skips the elements after the anchor whose ids are larger, and inserts before
# the first smaller one -- every replica ends with the same order, and each token stays after
# its anchor (the editor's intent).  Deletes leave tombstones.  Multi-leader replication
# does not deliver causally, so an op whose anchor or target has not arrived yet waits in
# ``pending`` until it has.


def rga_initial() -> dict[str, Any]:
    return {"seq": [], "pending": [], "clock": 0}


def rga_apply(state: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    seq = [dict(e) for e in state["seq"]]
    waiting = [*state["pending"], data]
    progress = True
    while progress:
        progress = False
        for op in list(waiting):
            if _rga_try(seq, op):
                waiting.remove(op)
                progress = True
    clock = max([state["clock"], *(e["id"][0] for e in seq)])
    return {"seq": seq, "pending": waiting, "clock": clock}


def _rga_index(seq: list[dict[str, Any]], ident: Any) -> int | None:
    for i, e in enumerate(seq):
        if e["id"] == ident:
            return i
    return None


def _rga_try(seq: list[dict[str, Any]], op: dict[str, Any]) -> bool:
    if "del" in op:
        i = _rga_index(seq, op["del"])
        if i is not None:
            seq[i]["dead"] = True
        return i is not None
    ins = op["ins"]
    if _rga_index(seq, ins["id"]) is not None:
        return True  # already integrated
    anchor = -1 if ins["after"] is None else _rga_index(seq, ins["after"])
    if anchor is None:
        return False
    i = anchor + 1
    while i < len(seq) and _rga_key(seq[i]["id"]) > _rga_key(ins["id"]):
        i += 1
    seq.insert(i, {"id": ins["id"], "tok": ins["tok"], "dead": False})
    return True


def _rga_key(ident: list[Any]) -> tuple[int, str]:
    return (int(ident[0]), str(ident[1]))


def rga_text(state: dict[str, Any]) -> list[Any]:
    return [e["tok"] for e in state["seq"] if not e["dead"]]


def rga_id_of(state: dict[str, Any], tok: Any) -> Any:
    for e in state["seq"]:
        if e["tok"] == tok:
            return e["id"]
    return None
