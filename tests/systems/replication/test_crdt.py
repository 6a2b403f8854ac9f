"""The RGA text CRDT under many concurrent editors and delivery orders (hypothesis).

Editors start from one shared base text and each types a run of inserts on its own copy
(Lamport ids, so counters collide across editors and the node name breaks the tie), many
of them at the same position.  Every replica then receives every insert in its own random
order.  Properties: all replicas show the same text; nothing waits in ``pending``; each
editor's own view survives as a subsequence (its intent); and inserts typed after the same
anchor appear newest first (the documented tie-break: larger ``(counter, node)`` first).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from systems.replication._crdt import rga_apply, rga_initial, rga_text

EDITORS = ("a", "b", "c", "d")


def _local_ops(editor: str, base: dict[str, Any], choices: list[int]) -> tuple[list[Any], Any]:
    """An editor's inserts, each after an element it sees (or at the start), on its copy."""
    state, ops = base, []
    for i, choice in enumerate(choices):
        visible = [None, *(e["id"] for e in state["seq"])]
        ins = {"id": [state["clock"] + 1, editor], "after": visible[choice % len(visible)],
               "tok": f"{editor}{i}"}  # fmt: skip
        ops.append({"ins": ins})
        state = rga_apply(state, {"ins": ins})
    return ops, state


@st.composite
def sessions(draw: st.DrawFn) -> tuple[dict[str, Any], list[Any], list[list[str]]]:
    """A shared base, every editor's concurrent inserts, and each editor's own final view."""
    _, base = _local_ops("base", rga_initial(), draw(st.lists(st.integers(0, 3), max_size=2)))
    editors = draw(st.integers(2, len(EDITORS)))
    all_ops, views = [], []
    for editor in EDITORS[:editors]:
        # small choices: most inserts land at the start or right after a base element
        choices = draw(st.lists(st.integers(0, 2), min_size=1, max_size=4))
        ops, state = _local_ops(editor, base, choices)
        all_ops += ops
        views.append(rga_text(state))
    return base, all_ops, views


def _replay(base: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    state = base
    for op in ops:
        state = rga_apply(state, op)
    return state


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(tok in it for tok in small)


@given(sessions(), st.data())
def test_rga_replicas_converge_whatever_the_delivery_order(session: Any, data: Any) -> None:
    """Guards the RGA tie-break in ``_rga_try``/``_rga_key``: comparing ids the other way
    (``<``), by counter alone (dropping the node) or by the node reversed makes replicas
    that received concurrent inserts at the same position in different orders disagree, or
    breaks the newest-first order of siblings; also guards ``pending`` (ops that arrive
    before their anchor).  (``>=`` for ``>`` is equivalent: ids are unique.)"""
    base, ops, views = session
    finals = [_replay(base, data.draw(st.permutations(ops))) for _ in range(3)]
    texts = [rga_text(f) for f in finals]
    assert texts[1:] == texts[:1] * 2, texts
    assert all(f["pending"] == [] for f in finals)
    for view in views:
        assert _is_subsequence(view, texts[0]), (view, texts[0])
    _assert_siblings_newest_first(finals[0], ops)


def _assert_siblings_newest_first(state: dict[str, Any], ops: list[Any]) -> None:
    position = {tuple(e["id"]): i for i, e in enumerate(state["seq"])}
    by_anchor: dict[Any, list[tuple[int, str]]] = {}
    for op in ops:
        anchor = op["ins"]["after"]
        by_anchor.setdefault(None if anchor is None else tuple(anchor), []).append(
            tuple(op["ins"]["id"])
        )
    for siblings in by_anchor.values():
        placed = sorted(siblings, key=lambda ident: position[ident])
        assert placed == sorted(siblings, reverse=True), placed
