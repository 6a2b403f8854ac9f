"""Leaderless records through per-node schema versions: replica storage, repair, entries."""

from __future__ import annotations

from typing import Any

import trio
from hypothesis import given
from hypothesis import strategies as st

from checkers import get_checker
from ddialab.runner import TestSpec, simulate
from systems import SYSTEMS, Upgradable
from systems.replication import SCHEMAS
from systems.replication._recordquorum import RecordQuorumNode
from systems.replication._records import Codec, RecordConfig
from systems.replication._upgrade import LeaderlessRecordSystem, claims_for
from systems.sim import MS, RequestTimeout, World, run_simulated
from systems.storage import encoding

NAMES = ("leaderless-rolling-upgrade", "leaderless-upgrade-drops-unknown")
NODES = ("n1", "n2", "n3")


def spec(system: str, seed: int, **kw: Any) -> TestSpec:
    return TestSpec(system=system, workload="records", nemesis=["upgrade"], time_limit=5.0,
                    nemesis_interval=1.0, seed=seed, **kw)  # fmt: skip


def verdict(system: str, seed: int, **kw: Any) -> dict[str, Any]:
    history = simulate(spec(system, seed, **kw)).history
    result: dict[str, Any] = get_checker("lost-fields")(history, {})
    return result


def test_entries_are_registered_with_their_claims_and_the_upgrade_nemesis() -> None:
    """Guards registration: both entries in SYSTEMS, built as leaderless record systems
    with per-node versions, claims from options, the upgrade nemesis for the matrix."""
    for name in NAMES:
        e = SYSTEMS[name]
        assert e.claims == claims_for(e.defaults)
        assert [s.nemesis for s in e.scenarios] == [("upgrade",)] and not e.common_mix
        built = e.build()
        assert isinstance(built, LeaderlessRecordSystem) and isinstance(built, Upgradable)
    assert SYSTEMS[NAMES[0]].claims == {"field-preservation"}
    assert SYSTEMS[NAMES[1]].claims == frozenset()
    assert SYSTEMS[NAMES[1]].hazards == ("field-preservation",)


def test_keeping_unknown_fields_loses_none_on_a_leaderless_store() -> None:
    """Guards kept fields through replica storage, repair and read-modify-write at mixed
    versions (and the sibling merge: concurrent writes must not hide each other's email)."""
    for seed in (0, 1):
        r = verdict(NAMES[0], seed)
        assert r["valid"] is True and r["reads_checked"] > 50


def test_old_code_that_drops_unknown_fields_is_caught_on_a_leaderless_store() -> None:
    """Guards the hazard end to end on the leaderless store."""
    for seed in (0, 1):
        r = verdict(NAMES[1], seed)
        assert r["valid"] is False and r["anomaly_types"] == ["lost-field"]


def test_replicas_alone_drop_the_field_without_any_rewrite() -> None:
    """Guards the replica storage path: with no updates (no read-modify-write) and no
    anti-entropy, old replicas that store through a dropping schema still lose email."""
    opts = {"workload_options": {"update_ratio": 0.0}}
    sys_opts = {"system_options": {"anti_entropy": False}}
    assert verdict(NAMES[1], 0, **opts, **sys_opts)["valid"] is False
    assert verdict(NAMES[0], 0, **opts, **sys_opts)["valid"] is True


def _node(version: int, keep: bool) -> RecordQuorumNode:
    from systems.replication._leaderless import config_of

    node = RecordQuorumNode(config_of({}), RecordConfig(NODES, "tagged", keep), {})
    node.codec = Codec(node.rcfg, version)
    return node


def _v2(record: dict[str, Any], dot: int = 1) -> dict[str, Any]:
    entry = [encoding.encode(SCHEMAS[2], record).hex(), 2]
    return {"v": entry, "dot": ["n2", dot], "ctx": {}}


RECORDS = st.fixed_dictionaries(
    {"id": st.integers(0, 9), "name": st.text(max_size=5), "visits": st.integers(0, 99)},
    optional={"email": st.text(max_size=8)},
)


@given(RECORDS, st.booleans())
def test_an_old_replica_stores_a_new_record_keeping_or_dropping_email(
    record: dict[str, Any], keep: bool
) -> None:
    """Guards ``_incoming``: a v1 replica that keeps unknown fields stores v2 bytes
    unchanged; one that drops them stores the record without email; a v2 replica keeps it."""
    sibling = _v2(record)
    stored = _node(1, keep)._incoming([sibling])[0]
    back = encoding.decode(SCHEMAS[2], bytes.fromhex(stored["v"][0]))
    assert stored["dot"] == sibling["dot"]
    assert back.get("email") == (record.get("email") if keep else None)
    assert _node(2, False)._incoming([sibling]) == [sibling]


@given(RECORDS, RECORDS, st.booleans())
def test_siblings_merge_fieldwise_so_a_concurrent_write_does_not_hide_email(
    a: dict[str, Any], b: dict[str, Any], keep: bool
) -> None:
    """Guards ``decode_state``: a record merged from siblings has each field of the last
    sibling that has it, at v2 directly and, keeping, through a v1 rewrite."""
    state = [_v2(a, 1), _v2(b, 2)]
    want = {**a, **b}
    record, _ = _node(2, keep).decode_state(state)
    assert record.get("email") == want.get("email") and record["name"] == b["name"]
    old = _node(1, keep)
    rec1, carry = old.decode_state(state)
    rewritten = encoding.decode(SCHEMAS[2], bytes.fromhex(old.codec.encode(rec1, carry)[0]))
    assert rewritten.get("email") == (want.get("email") if keep else None)


def _repair_scenario(keep: bool) -> dict[str, Any]:
    """n2 (v2) writes a record with email while n3 is cut off; n1 (v1) then coordinates a
    read and repairs n3 with what its own code re-encodes.  Returns n3's stored record."""
    system = LeaderlessRecordSystem({"keep_unknown": keep, "anti_entropy": False})
    system.deployed.update(n1=1, n2=2, n3=2)
    record = {"id": 1, "name": "a", "visits": 0, "email": "e@x"}

    async def main() -> Any:
        world = World(0)
        system.setup(world)
        world.start_all()
        async with world.running():
            client = world.client("tester")

            async def call(node: str, body: dict[str, Any]) -> Any:
                try:
                    return await client.request(node, body, 300 * MS)
                except RequestTimeout:
                    return None

            world.network.partition({"n3": {"n1", "n2"}, "n1": {"n3"}, "n2": {"n3"}})
            put = {"type": "request", "kind": "write", "key": 1, "value": record}
            assert (await call("n2", put))["type"] == "ok"
            world.network.heal()
            await call("n1", {"type": "request", "kind": "read", "key": 1, "value": None})
            await trio.sleep(0.2)
            got = await call("n3", {"type": "local-read", "key": 1})
            return encoding.decode(SCHEMAS[2], bytes.fromhex(got["value"][0]))

    result: dict[str, Any] = run_simulated(main, seed=0)
    return result


def test_read_repair_by_an_old_coordinator_keeps_or_drops_the_field() -> None:
    """Guards ``_outgoing``: the repair an old (v1) coordinator sends a stale new (v2)
    replica carries email when old code keeps unknown fields and lacks it when it drops."""
    assert _repair_scenario(keep=True)["email"] == "e@x"
    assert _repair_scenario(keep=False).get("email") is None
