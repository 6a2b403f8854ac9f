"""term-sync's two-phase commit (systems/partitioning/_termtx.py): scripted participants,
the write replies, and coordinator and participant crashes between prepare and commit."""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio

from systems import get_system
from systems.partitioning import PartitionClient, StorageNode
from systems.partitioning import _termtx as ttx
from systems.partitioning._nodes import initial_map, pid_for, point_of
from systems.sim import World, run_simulated


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


# -- the nodes: replies and crashes between prepare and commit ------------------------------
SYSTEM = get_system("partitioned-term-index-sync").build({"churn": False, "join_ms": 10**6})


def _owner(key: Any) -> str:
    cfg = SYSTEM.cfg  # type: ignore[attr-defined]
    pmap = initial_map(cfg)
    return str(pmap[pid_for(pmap, point_of(cfg, key))][2])


def _split_doc() -> tuple[int, str, str]:
    """A document whose owner (the coordinator) does not own ``tidx/blue``."""
    term = _owner("tidx/blue")
    doc = next(d for d in range(100) if _owner(d) != term)
    return doc, _owner(doc), term


def _tx_state(world: World) -> dict[str, Any]:
    """Every lock, prepared change and open transaction on the storage nodes."""
    out: dict[str, Any] = {"locks": [], "tx": [], "txns": []}
    for n in SYSTEM.node_names():
        node = world.host(n).process
        assert isinstance(node, StorageNode)
        out["txns"] += list(node.txns)
        for part in node.parts.values():
            out["locks"] += list(part.get("locks", {}))
            out["tx"] += list(part.get("tx", {}))
    return out


def _scenario(body: Any) -> Any:
    async def main() -> Any:
        world = World(0)
        SYSTEM.setup(world)
        world.start_all()
        async with world.running():
            client = SYSTEM.client(world, 0)
            assert isinstance(client, PartitionClient)
            await client.open("n1")
            return await body(world, client)

    return run_simulated(main, seed=0)


def _restart(world: World, node: str) -> None:
    world.host(node).crash()
    world.host(node).start()


async def _query(client: PartitionClient, term: str = "blue") -> dict[str, Any]:
    return await client.invoke({"f": "query", "value": [term, None]})


def test_a_write_without_index_changes_is_acknowledged() -> None:
    """Guards the WIP's reply bug: a write that changes no term (same colour again) was
    committed before its reply was parked, so the reply waited for ever (info)."""

    async def body(world: World, client: PartitionClient) -> list[str]:
        puts = [await client.invoke({"f": "put", "value": [3, "red"]}) for _ in range(3)]
        return [p["type"] for p in puts]

    assert _scenario(body) == ["ok", "ok", "ok"]


def test_a_coordinator_crash_before_the_decision_loses_nothing() -> None:
    """Guards the coordinator's persisted transaction and the document's lock: votes are
    cut off, the write is in doubt (index reads refused), the coordinator restarts; once
    healed it re-sends its prepares and commits -- no lock or prepared change is left."""
    doc, coord, term_owner = _split_doc()

    async def body(world: World, client: PartitionClient) -> Any:
        world.network.partition({coord: [term_owner]})
        put = await client.invoke({"f": "put", "value": [doc, "blue"]})
        during = await _query(client)
        prepared = _tx_state(world)
        _restart(world, coord)
        assert _tx_state(world) == prepared, "the restart kept the transaction"
        world.network.heal()
        await trio.sleep(1.0)
        return put, during, prepared, _tx_state(world), await _query(client)

    put, during, prepared, after, final = _scenario(body)
    assert put["type"] == "info" and (during["type"], during["error"]) == ("fail", "locked")
    assert prepared["locks"] and prepared["tx"] and prepared["txns"]
    assert after == {"locks": [], "tx": [], "txns": []}
    assert final["type"] == "ok" and final["value"] == ["blue", [doc]]


def test_a_participant_crash_while_prepared_keeps_its_prepared_change() -> None:
    """Guards the participant's persisted prepared state: the term's owner restarts while
    its change is in doubt; the change (and the read lock) survive, and the commit that
    follows the heal applies it."""
    doc, coord, term_owner = _split_doc()

    async def body(world: World, client: PartitionClient) -> Any:
        world.network.partition({coord: [term_owner]})
        await client.invoke({"f": "put", "value": [doc, "blue"]})
        _restart(world, term_owner)
        kept, during = _tx_state(world)["tx"], await _query(client)
        world.network.heal()
        await trio.sleep(1.0)
        return kept, during, _tx_state(world), await _query(client)

    kept, during, after, final = _scenario(body)
    assert kept and during["type"] == "fail"
    assert after == {"locks": [], "tx": [], "txns": []}
    assert final["value"] == ["blue", [doc]]


def test_a_decision_survives_the_coordinators_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the persisted decision: the term's owner is cut off at the moment the
    coordinator decides (so it stays prepared), the client has its ok, the coordinator
    crashes and stays cut off longer than it waits for votes (a lost decision would abort
    now); after the heal it re-sends the commit and the term lists the document.
    Before that, no query sees the write half applied (the term refuses reads)."""
    doc, coord, term_owner = _split_doc()
    decide = StorageNode._tx_decide

    def cut_then_decide(self: StorageNode, rt: Any, txid: str, decision: str) -> None:
        world_ref[0].network.partition({term_owner: [coord]})
        decide(self, rt, txid, decision)

    world_ref: list[World] = []
    monkeypatch.setattr(StorageNode, "_tx_decide", cut_then_decide)

    async def body(world: World, client: PartitionClient) -> Any:
        world_ref.append(world)
        put = await client.invoke({"f": "put", "value": [doc, "blue"]})
        during = await _query(client)
        _restart(world, coord)
        kept = _tx_state(world)
        await trio.sleep(ttx.ABORT_TICKS * 0.05 + 0.5)  # an undecided one would abort now
        world.network.heal()
        await trio.sleep(1.0)
        return put, during, kept, _tx_state(world), await _query(client)

    put, during, kept, after, final = _scenario(body)
    assert put["type"] == "ok" and during["type"] == "fail"
    assert kept["tx"] and kept["txns"] and not kept["locks"]  # the document committed
    assert after == {"locks": [], "tx": [], "txns": []}
    assert final["value"] == ["blue", [doc]]
