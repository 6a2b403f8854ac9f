"""Holes found by mutation testing (``tools/mutation.py``, issue #19), one test per mechanism.

Each test names the surviving mutant(s) it kills and the breakage it guards; each mutation
was applied by hand once and the test seen to fail.  Sixth pass: fresh samples of
``systems/replication``, seeds 81, 83, 85, 87 (see docs/testing.md).
"""

from __future__ import annotations

from typing import Any

import pytest
import trio

from ddialab.vocabulary import OptionError, option_table
from systems.replication import ENTRIES
from systems.replication._common import ATTEMPT_TIMEOUT_NS, ReplicaClient
from systems.replication._versions import version_extra
from systems.sim import Message, Runtime, World, run_simulated

Rig = Any


# -- seed 81 ----------------------------------------------------------------------------


class _Canned:
    """A node that answers every request with one canned reply body."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply

    def on_start(self, rt: Runtime) -> None:
        return None

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        return None

    def on_message(self, rt: Runtime, msg: Message) -> None:
        rt.reply(msg, dict(self.reply))


def _final_read_against(reply: dict[str, Any]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        world = World(0)
        world.add_node("s1", lambda: _Canned(reply))
        world.start_all()
        async with world.running():
            client = ReplicaClient(world, 1, ["s1"], ATTEMPT_TIMEOUT_NS)
            return await client.invoke({"f": "final-read", "value": ["k", None], "replica": 0})

    out: dict[str, Any] = run_simulated(main, seed=0)
    return out


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"type": "error", "code": "gone", "definite": True}, ("fail", "gone")),
        ({"type": "error", "code": "gone", "definite": False}, ("info", "gone")),
        ({"type": "error", "definite": True}, ("fail", "error")),
        ({"type": "weird"}, ("info", "error")),
    ],
)
def test_a_final_read_error_is_fail_when_definite_and_info_otherwise(
    reply: dict[str, Any], expected: tuple[str, str]
) -> None:
    """Kills ``ReplicaClient.final_read`` ``reply.get("definite")`` → ``get("DEFINITE")``
    (a definite refusal recorded as indefinite ``info``) and the default code ``"error"`` →
    ``"ERROR"`` (the error text of a reply without a code).  Guards the fail-closed mapping
    of a replica's refusal: definite → ``fail``, else ``info``, with the reply's code."""
    out = _final_read_against(reply)
    assert (out["type"], out["error"]) == expected
    assert out["value"] == ["k", None]


def test_a_final_read_at_a_node_that_is_not_a_replica_fails_definitely(rig: Rig) -> None:
    """The same mapping on a real system: a leaderless node outside the key's home replicas
    refuses a local read definitely (``not-a-replica``), so the final read is ``fail``."""

    async def script(world: Any, call: Any) -> Any:
        system = world.host("n1").process.cfg
        outside = [n for n in system.nodes if n not in system.home("k")]
        client = ReplicaClient(world, 1, list(system.nodes), ATTEMPT_TIMEOUT_NS)
        index = list(system.nodes).index(outside[0])
        return await client.invoke({"f": "final-read", "value": ["k", None], "replica": index})

    out = rig.scenario("leaderless", {"nodes": 4}, script)
    assert out == {"type": "fail", "value": ["k", None], "error": "not-a-replica"}


def test_a_multi_leader_write_the_conflict_rule_rejects_fails_definitely(rig: Rig) -> None:
    """Kills ``MultiLeaderClient.run`` ``reply.get("definite")`` → ``get(None)``: an ``incr``
    under LWW is refused by the leader (``rejected``, definite), so the op is ``fail`` --
    recording it as ``info`` would tell the checkers it may have happened."""

    async def script(world: Any, call: Any) -> Any:
        from systems import SYSTEMS

        client = SYSTEMS["multi-leader"].build().client(world, 1)
        await client.open("dc1")
        return await client.invoke({"f": "incr", "value": ["k", 1]})

    out = rig.scenario("multi-leader", {}, script)
    assert out == {"type": "fail", "value": ["k", 1], "error": "rejected"}


def test_a_random_insert_anchors_after_a_token_the_editor_has_seen(rig: Rig) -> None:
    """Kills ``MultiLeaderClient._edit`` ``anchor = self.rng.choice([None, *seen])`` →
    ``anchor = None``: an insert with ``after == "random"`` must anchor at a random visible
    token (or the start), not always at the start of the document."""

    async def script(world: Any, call: Any) -> list[Any]:
        from systems import SYSTEMS

        client = SYSTEMS["multi-leader-text"].build().client(world, 1)
        await client.open("dc1")
        for tok in ("a", "b", "c", "d"):
            assert (await client.invoke({"f": "insert", "value": ["doc", tok]}))["type"] == "ok"
        read = await client.invoke({"f": "read", "value": ["doc", None]})
        assert read["value"] == ["doc", ["a", "b", "c", "d"]]
        anchors = []
        for tok in ("e", "f", "g", "h", "i", "j"):
            op = {"f": "insert", "value": ["doc", tok], "after": "random"}
            anchors.append((await client.invoke(op))["after"])
        return anchors

    anchors = rig.scenario("multi-leader-text", {}, script)
    assert {a for a in anchors if a is not None} <= {"a", "b", "c", "d"}
    assert any(a is not None for a in anchors), anchors


def test_the_vclock_of_a_read_is_the_clock_of_the_sibling_shown() -> None:
    """Kills ``_versions.version_extra`` ``shown = resolve(state)`` → ``shown = None``: the
    ``vclock`` the session checker reads must describe the value shown (the greatest
    sibling), not the first sibling in dot order; ``ctx`` is the whole state's clock."""
    small = {"v": 2, "dot": ["n1", 1], "ctx": {}}
    great = {"v": 5, "dot": ["n2", 1], "ctx": {"n3": 4}}
    assert version_extra("vv", [small, great]) == {
        "vclock": {"n2": 1, "n3": 4},
        "ctx": {"n1": 1, "n2": 1, "n3": 4},
    }


def test_every_replication_entry_declares_its_familys_settings() -> None:
    """Kills ``_single._entry`` ``settings=LeaderOptions`` → ``settings=None`` (an
    import-time mutant, judged in a fresh interpreter): without its settings an entry
    declares only its defaults (``ryw_window_ms``, ``sync_acks``, ``link_loss`` vanish from
    the option listing) and ``check_options`` no longer rejects a bad value before a run."""
    for e in ENTRIES:
        settings = type(e.build().settings)  # type: ignore[attr-defined]
        assert e.settings is settings, e.name
        declared = {o.name for o in e.declared_options()}
        assert declared == {o.name for o in option_table(settings)}, e.name
        with pytest.raises(OptionError):
            e.check_options({"link_loss": "lots"})


def test_an_undecodable_leaderless_record_is_a_definite_error_with_its_versions(
    rig: Rig,
) -> None:
    """Kills ``RecordQuorumNode._answer_get`` undecodable reply → ``None`` (the request
    never answered, so the client times out: indefinite).  A v1 record read by a node
    forced onto v3 (``tier`` required, absent) must fail definitely, naming the error, the
    writer's version and the reader's schema."""

    async def script(world: Any, call: Any) -> Any:
        record = {"id": 1, "name": "a", "visits": 0}
        wrote = await call("n1", {"type": "request", "kind": "write", "key": "k", "value": record})
        assert wrote["type"] == "ok"
        host = world.host("n2")
        host.process.deployed["n2"] = 3
        host.crash()
        host.start()
        await trio.sleep(0.1)
        return await call("n2", {"type": "request", "kind": "read", "key": "k"})

    options = {"versions": [1, 3], "force_upgrade": True}
    out = rig.scenario("leaderless-rolling-upgrade", options, script)
    assert (out["type"], out["code"], out["definite"]) == ("error", "undecodable", True)
    assert (out["writer"], out["schema"]) == (1, 3)
    assert out["detail"]
