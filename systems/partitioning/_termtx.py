"""``index="term-sync"``: a document write and its index changes as one atomic commit.

Theory of operation
-------------------
Two-phase commit across the document's partition and the partitions of the terms the
write touches (DDIA ch. 9), with the document's owner as coordinator:

1. *Prepare.*  The owner of document ``d`` refuses (definitely, ``locked``) a write while
   ``d`` has a transaction in flight.  Otherwise it computes the new version and the index
   changes (``_termindex``), locks ``d`` with the new value (``part["locks"]``: the
   document's prepared state), records the transaction (``txns``: id, document, changes,
   votes, decision) -- both persisted -- and sends ``tx-prepare`` to each term's key.
   The term's owner records the change as prepared (``part["tx"]``, persisted) and votes
   yes.  A term entry with a prepared change *refuses reads* (``locked``; the client
   retries), so no query sees the state between the decision and its application.
2. *Decide.*  All yes: the coordinator persists ``commit`` and answers the client; a
   participant unreachable for ``ABORT_TICKS`` ticks: it persists ``abort`` and answers
   ``aborted`` (definite: nothing was applied).  It sends the decision to every key
   (the document's and the terms') every tick until each has acknowledged; a participant
   applies a commit (sets the document, or ``apply``s the change), drops an abort, and
   remembers the id (``part["txdone"]``) so a late prepare votes no and locks nothing.

Locks, prepared changes and decided ids live in the partition and move with it; the
coordinator's transactions are in its persisted state.  So a crash of any participant
or of the coordinator loses nothing: on restart the coordinator re-sends prepares (still
undecided) or its decision, and participants answer from their persisted state.  A
prepared term blocks its readers while its coordinator is down (2PC's in-doubt state).
"""

from __future__ import annotations

import json
from typing import Any

from systems.partitioning import _termindex as tix
from systems.sim import Runtime

ABORT_TICKS = 20
DONE_WINDOW = 256


def begin(txns: dict[str, Any], txid: str, doc: Any, todo: list[list[Any]]) -> None:
    keys = [tix.PREFIX + str(c[0]) for c in todo]
    txns[txid] = {"doc": doc, "changes": todo, "keys": keys, "votes": [], "decision": None,
                  "acked": [], "age": 0}  # fmt: skip


def prepares(txid: str, txn: dict[str, Any], me: str) -> list[dict[str, Any]]:
    """The prepare requests still unanswered."""
    return [{"type": "tx-prepare", "key": key, "txid": txid, "change": change, "from": me}
            for key, change in zip(txn["keys"], txn["changes"], strict=True)
            if key not in txn["votes"]]  # fmt: skip


def decisions(txid: str, txn: dict[str, Any], me: str) -> list[dict[str, Any]]:
    """The decision, to every participant that has not acknowledged it."""
    kind = "tx-commit" if txn["decision"] == "commit" else "tx-abort"
    return [{"type": kind, "key": key, "txid": txid, "from": me}
            for key in [txn["doc"], *txn["keys"]] if key not in txn["acked"]]  # fmt: skip


def tag(txid: str, key: Any) -> str:
    """A participant's name for one key's share of a transaction: a partition may hold
    several keys of one transaction (the document and a term, or two terms)."""
    return f"{txid} {json.dumps(key)}"


def locked_read(part: dict[str, Any], key: Any) -> bool:
    """A term entry with a prepared change cannot be read until it is decided."""
    return any(k == key for k, _ in part.get("tx", {}).values())


def serve(part: dict[str, Any], data: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
    """A participant's side: prepare, commit or abort on the partition ``part``; returns
    the message for the coordinator.  ``data`` (the partition's, by JSON key) is updated."""
    kind, txid, key = req["type"], req["txid"], req["key"]
    done, mine = part.setdefault("txdone", []), tag(txid, key)
    if kind == "tx-prepare":
        vote = mine not in done
        if vote:
            part.setdefault("tx", {})[mine] = [key, req["change"]]
        return {"type": "tx-vote", "txid": txid, "key": key, "yes": vote}
    _decide(part, data, req, mine)
    if mine not in done:
        done.append(mine)
        del done[:-DONE_WINDOW]
    return {"type": "tx-acked", "txid": txid, "key": key}


def _decide(part: dict[str, Any], data: dict[str, Any], req: dict[str, Any], mine: str) -> None:
    """Apply (commit) or drop (abort) this key's prepared change or document lock."""
    commit, jk = req["type"] == "tx-commit", json.dumps(req["key"])
    prepared = part.setdefault("tx", {}).pop(mine, None)
    if prepared is not None and commit:
        data[jk] = tix.apply(data.get(jk), prepared[1])
    lock = part.setdefault("locks", {}).get(jk)
    if lock is not None and lock[0] == req["txid"]:
        del part["locks"][jk]
        if commit:
            data[jk] = lock[1]


def on_vote(txn: dict[str, Any], body: dict[str, Any]) -> str | None:
    """Record a vote; the decision it makes, if any."""
    if txn["decision"] is not None:
        return None
    if not body["yes"]:
        return "abort"
    if body["key"] not in txn["votes"]:
        txn["votes"].append(body["key"])
    return "commit" if set(txn["votes"]) >= set(txn["keys"]) else None


def tick(txns: dict[str, Any], rt: Runtime) -> tuple[list[str], list[dict[str, Any]]]:
    """Transactions to abort now (undecided too long) and the messages to (re)send."""
    aborts, out = [], []
    for txid, txn in sorted(txns.items()):
        if txn["decision"] is None:
            txn["age"] += 1
            if txn["age"] > ABORT_TICKS:
                aborts.append(txid)
            else:
                out += prepares(txid, txn, rt.name)
        else:
            out += decisions(txid, txn, rt.name)
    return aborts, out
