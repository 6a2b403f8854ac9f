"""term-sync's two-phase commit (systems/partitioning/_termtx.py): scripted participants,
the write replies, and coordinator and participant crashes between prepare and commit."""

from __future__ import annotations

import json
from typing import Any

from systems.partitioning import _termtx as ttx


def _msg(kind: str, txid: str, key: Any, change: Any = None) -> dict[str, Any]:
    body = {"type": kind, "key": key, "txid": txid, "from": "n1"}
    return {**body, "change": change} if change is not None else body


def test_a_partition_holding_the_document_and_a_term_of_one_transaction_keeps_both() -> None:
    """Guards the stale-entry bug of the WIP: a partition held the document *and* the term
    of one transaction, and the document's commit consumed the term's prepared change (by
    transaction id alone), so the term's own commit found nothing: the term never got the
    document and its reads were unlocked meanwhile."""
    part: dict[str, Any] = {"locks": {json.dumps(2): ["n1/7", {"color": "amber", "v": 1}]}}
    data: dict[str, Any] = {}
    change = ["amber", 2, 1, True]
    vote = ttx.serve(part, data, _msg("tx-prepare", "n1/7", "tidx/amber", change))
    assert vote == {"type": "tx-vote", "txid": "n1/7", "key": "tidx/amber", "yes": True}
    assert ttx.locked_read(part, "tidx/amber")
    ttx.serve(part, data, _msg("tx-commit", "n1/7", 2))
    assert data == {"2": {"color": "amber", "v": 1}}  # the document, nothing else
    assert ttx.locked_read(part, "tidx/amber"), "the term's change is still in doubt"
    ttx.serve(part, data, _msg("tx-commit", "n1/7", "tidx/amber"))
    assert data['"tidx/amber"'] == {"2": [1, True]}
    assert not ttx.locked_read(part, "tidx/amber") and part["locks"] == {}


def test_two_terms_of_one_transaction_in_one_partition_are_decided_separately() -> None:
    """Guards per-key participant state for a recolour whose old and new terms share a
    partition: an abort of one key drops only that key's change, and a late prepare of a
    decided key votes no and locks nothing."""
    part: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for term, present in (("red", False), ("blue", True)):
        ttx.serve(part, data, _msg("tx-prepare", "n1/1", f"tidx/{term}", [term, 5, 2, present]))
    ttx.serve(part, data, _msg("tx-abort", "n1/1", "tidx/red"))
    assert not ttx.locked_read(part, "tidx/red") and ttx.locked_read(part, "tidx/blue")
    ttx.serve(part, data, _msg("tx-abort", "n1/1", "tidx/blue"))
    late = ttx.serve(part, data, _msg("tx-prepare", "n1/1", "tidx/blue", ["blue", 5, 2, True]))
    assert late["yes"] is False and not ttx.locked_read(part, "tidx/blue") and data == {}
