"""Holes found by mutation testing (``tools/mutation.py``, issue #19), continued.

Each test names the mutant(s) or the mechanism it guards; each mutation was applied by hand
once and the test seen to fail.  Sixth pass of ``systems/replication`` (see
docs/testing.md); ``test_mutation_holes.py`` holds the first part.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio

Rig = Any

# -- option derivations no test in this directory pinned (written before seeds 85/87) -----


@pytest.mark.parametrize(
    ("options", "durable"),
    [
        ({"failover": "none", "replication": "async"}, True),
        ({"replication": "async"}, False),
        ({"failover": "careless", "replication": "sync"}, False),
        ({"nodes": 5, "sync_acks": 1}, False),
        ({"nodes": 5, "sync_acks": 2}, True),
        ({"nodes": 5, "replication": "sync"}, True),
        ({"nodes": 3, "sync_acks": 1}, True),
        ({"nodes": 4, "sync_acks": 1}, False),  # half the nodes: not a majority
    ],
)
def test_single_leader_writes_are_durable_only_when_every_commit_reaches_a_majority(
    options: dict[str, Any], durable: bool
) -> None:
    """Guards ``_single.durable`` and ``claims_for``: an unchanging leader, or safe
    elections with commits on a majority (``sync``: all followers; ``semi-sync``:
    ``sync_acks`` + the leader), make writes durable, and only then does a leader-reads
    system claim linearizability; careless failover claims nothing at all."""
    from systems.replication._single import claims_for, config_of
    from systems.replication._single import durable as is_durable

    assert is_durable(config_of(options)) is durable
    claims = claims_for(options)
    assert ("linearizable" in claims) is durable
    if options.get("failover") == "careless":
        assert claims == frozenset()
    elif not durable:
        assert claims == {"convergence"}


@pytest.mark.parametrize(
    ("options", "nrw"),
    [
        ({}, (3, 2, 2)),
        ({"nodes": 5}, (3, 2, 2)),
        ({"nodes": 2}, (2, 2, 2)),
        ({"nodes": 5, "n": 5}, (5, 3, 3)),
        ({"nodes": 5, "n": 4, "w": 1, "r": 4}, (4, 1, 4)),
    ],
)
def test_leaderless_quorums_default_to_a_majority_of_at_most_three_replicas(
    options: dict[str, Any], nrw: tuple[int, int, int]
) -> None:
    """Guards ``_leaderless.config_of``: ``n`` defaults to ``min(3, nodes)``, ``w`` and ``r``
    to ``n // 2 + 1``; given values win; the other options pass through."""
    from systems.replication._leaderless import config_of

    cfg = config_of({**options, "conflict": "lww", "sloppy": True, "read_repair": False})
    assert (cfg.n, cfg.w, cfg.r) == nrw
    assert len(cfg.nodes) == options.get("nodes", 3)
    assert (cfg.conflict, cfg.sloppy, cfg.read_repair, cfg.anti_entropy) == (
        "lww", True, False, True,
    )  # fmt: skip


def test_a_record_system_refuses_versions_it_has_no_schema_for() -> None:
    """Guards ``RecordSystem.__init__``'s check: the versions an upgrade walks through must
    be a non-empty list of known schemas; every node starts at the first one."""
    from systems.replication._upgrade import RecordSystem

    for bad in ([], [1, 4]):
        with pytest.raises(ValueError, match="non-empty list of"):
            RecordSystem({"versions": bad})
    system = RecordSystem({"versions": [2, 3], "nodes": 4})
    assert system.deployed == {"n1": 2, "n2": 2, "n3": 2, "n4": 2}
    assert system.versions == (2, 3)


# -- the replication log's handlers, called one message at a time -------------------------


class _Rt:
    """Just enough of a node ``Runtime`` (name, disk, sends) to call one handler."""

    def __init__(self, name: str) -> None:
        import random

        from systems.sim import SimDisk

        self.name, self.disk = name, SimDisk(random.Random(0))
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, dst: str, body: dict[str, Any]) -> None:
        self.sent.append((dst, body))


def _from(src: str, **body: Any) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(src=src, body=body)


def _leader_of(log_terms: list[int], term: int) -> Any:
    from systems.replication._leader import LeaderConfig, LeaderNode

    node = LeaderNode(LeaderConfig(("n1", "n2", "n3")))
    node.log = [[t, "write", "k", i + 1] for i, t in enumerate(log_terms)]
    node.term, node.role = term, "leader"
    node.commit = node.applied = len(log_terms)
    node.next = {"n2": len(log_terms) + 1, "n3": len(log_terms) + 1}
    return node


def test_the_leader_tracks_each_followers_match_and_backs_up_on_a_refusal() -> None:
    """Guards ``LeaderNode._on_append_reply`` and ``_ship``: a success raises the
    follower's match (a stale, smaller success never lowers it) and sets next after it; a
    reply from another term is ignored; a refusal backs next up to the follower's hint + 1
    and ships again from there (prev LSN and term of the entry before, the entries after,
    the commit LSN)."""
    node, rt = _leader_of([1, 2, 2], term=2), _Rt("n1")
    for match in (3, 1):
        node._on_append_reply(rt, _from("n2"), {"term": 2, "success": True, "match": match})
    assert (node.match, node.next["n2"]) == ({"n2": 3}, 4)
    node._on_append_reply(rt, _from("n3"), {"term": 1, "success": False, "match": 0})
    assert (node.next["n3"], rt.sent) == (4, [])
    node._on_append_reply(rt, _from("n3"), {"term": 2, "success": False, "match": 1})
    assert node.next["n3"] == 2
    ((dst, body),) = rt.sent
    assert dst == "n3"
    assert body == {
        "type": "append", "term": 2, "leader": "n1", "prev_lsn": 1, "prev_term": 1,
        "entries": [[2, "write", "k", 2], [2, "write", "k", 3]], "commit": 3,
    }  # fmt: skip


def test_a_follower_refuses_stale_or_unmatched_appends_and_repairs_its_log() -> None:
    """Guards ``LeaderNode._on_append`` and ``_merge``/``_truncate``: an append from an older
    term is refused without a hint; one whose ``prev_lsn`` is past the log, or whose term
    there differs, is refused with the hint where to back up to; a matching one replaces
    the conflicting suffix, appends, advances the commit LSN (never past what it holds)
    and acknowledges the last LSN it matched."""
    from systems.replication._leader import LeaderConfig, LeaderNode

    node: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3")))
    rt = _Rt("n2")
    node.term, node.log = 2, [[1, "write", "k", 1], [1, "write", "k", 2]]
    base = {"type": "append", "leader": "n1", "entries": [], "commit": 0}
    node._on_append(rt, _from("n1"), {**base, "term": 1, "prev_lsn": 0, "prev_term": 0})
    node._on_append(rt, _from("n1"), {**base, "term": 2, "prev_lsn": 5, "prev_term": 2})
    node._on_append(rt, _from("n1"), {**base, "term": 2, "prev_lsn": 2, "prev_term": 2})
    entries = [[2, "write", "k", 9], [2, "write", "k", 10]]
    repair = {**base, "term": 2, "prev_lsn": 1, "prev_term": 1, "entries": entries, "commit": 9}
    node._on_append(rt, _from("n1"), repair)
    assert [b for _, b in rt.sent] == [
        {"type": "append-reply", "term": 2, "success": False},
        {"type": "append-reply", "term": 2, "success": False, "match": 2},
        {"type": "append-reply", "term": 2, "success": False, "match": 1},
        {"type": "append-reply", "term": 2, "success": True, "match": 3},
    ]
    assert node.log == [[1, "write", "k", 1], *entries]
    assert (node.commit, node.applied, node.data) == (3, 3, {"k": 10})
    assert (node.leader, node.quiet) == ("n1", 0)


def test_a_node_votes_once_per_term_and_only_for_a_log_as_up_to_date() -> None:
    """Guards ``LeaderNode._on_vote`` and ``_on_vote_reply``: a vote is granted for the
    current term only, to one candidate per term, whose last (term, LSN) is at least the
    voter's (persisted before replying); a candidate becomes leader on a majority of
    granted votes, ignoring refusals and votes of other terms."""
    from systems.replication._leader import LeaderConfig, LeaderNode

    voter: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3")))
    voter.term, voter.log = 3, [[1, "write", "k", 1], [2, "write", "k", 2]]
    rt = _Rt("n3")
    asks = [
        ("n1", {"term": 2, "last_term": 9, "last_lsn": 9}),  # an old term
        ("n1", {"term": 3, "last_term": 1, "last_lsn": 5}),  # an older last term
        ("n1", {"term": 3, "last_term": 2, "last_lsn": 1}),  # same last term, shorter
        ("n1", {"term": 3, "last_term": 2, "last_lsn": 2}),  # as up to date: granted
        ("n2", {"term": 3, "last_term": 3, "last_lsn": 3}),  # already voted this term
        ("n1", {"term": 3, "last_term": 2, "last_lsn": 2}),  # the same candidate again
    ]
    for src, body in asks:
        voter._on_vote(rt, _from(src), body)
    assert [b["granted"] for _, b in rt.sent] == [False, False, False, True, False, True]
    assert voter.voted_for == "n1"
    from systems.sim import load_json

    assert load_json(rt.disk, "meta", None) == [3, "n1"]

    candidate: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3", "n4", "n5")))
    candidate.term, candidate.role, candidate.votes = 4, "candidate", {"n1"}
    crt = _Rt("n1")
    for src, term, granted in (("n2", 4, False), ("n3", 3, True), ("n2", 4, True)):
        candidate._on_vote_reply(crt, _from(src), {"term": term, "granted": granted})
    assert (candidate.role, candidate.votes) == ("candidate", {"n1", "n2"})
    candidate._on_vote_reply(crt, _from("n4"), {"term": 4, "granted": True})
    assert (candidate.role, candidate.leader) == ("leader", "n1")


def test_a_multi_leader_node_turns_each_op_into_its_conflict_rules_data() -> None:
    """Guards ``MultiLeaderNode._data`` (what an origin makes of an op, replicated as is):
    LWW stamps its clock, ``lww-id`` a rank-major stamp (``rank * RANK_SPAN + seq``),
    ``vv`` a dot with the client's context, ``arrival`` the bare value; a PN-counter entry
    carries the origin's new positive and negative totals; an OR-set add a fresh tag and a
    remove the tags observed.  Each accepted op spends one sequence number."""
    from systems.replication import _crdt
    from systems.replication._multi import MultiConfig, MultiLeaderNode

    nodes = ("dc1", "dc2", "dc3")
    rt = _Rt("dc2")
    rt.now = lambda: 1234  # type: ignore[attr-defined]

    def made(conflict: str, *ops: tuple[str, Any]) -> list[Any]:
        node: Any = MultiLeaderNode(MultiConfig(nodes, conflict=conflict))
        out = []
        for f, value in ops:
            data = node._data(rt, f, "k", value, {"dc1": 4})
            node._apply({"id": ["dc2", node.seq], "path": ["dc2"], "key": "k", "data": data})
            out.append(data)
        return out

    assert made("lww", ("write", 7)) == [{"v": 7, "ts": [1234, "dc2"]}]
    assert made("lww-id", ("write", 7)) == [{"v": 7, "ts": [2 * _crdt.RANK_SPAN + 1, "dc2"]}]
    assert made("vv", ("write", 7)) == [{"v": 7, "dot": ["dc2", 1], "ctx": {"dc1": 4}}]
    assert made("arrival", ("write", 7)) == [{"v": 7}]
    assert made("pn-counter", ("incr", 5), ("incr", -2), ("incr", 1)) == [
        {"p": 5, "n": 0}, {"p": 5, "n": 2}, {"p": 6, "n": 2},
    ]  # fmt: skip
    assert made("or-set", ("add", 3), ("add", 3), ("remove", 3)) == [
        {"add": 3, "tag": ["dc2", 1]}, {"add": 3, "tag": ["dc2", 2]},
        {"remove": [["dc2", 1], ["dc2", 2]]},
    ]  # fmt: skip


# -- seed 85 ----------------------------------------------------------------------------


def test_the_crdt_entries_are_exercised_in_their_workload_mode() -> None:
    """Kills ``_multileader._entry`` ``workload_options = … if mode else {}`` → ``None``
    (an import-time mutant, judged in a fresh interpreter): the matrix must run the OR-set
    entry's session workload in ``set`` mode and the PN-counter's in ``counter`` mode (else
    it writes registers the CRDT rejects); the register entries need no mode."""
    from systems import SYSTEMS

    assert SYSTEMS["multi-leader-or-set"].workload_options == {"session": {"mode": "set"}}
    assert SYSTEMS["multi-leader-pn-counter"].workload_options == {"session": {"mode": "counter"}}
    for name in ("multi-leader", "multi-leader-vv", "multi-leader-no-resolution"):
        assert SYSTEMS[name].workload_options == {}, name


def test_a_multi_leader_write_returns_the_context_the_next_write_sends(rig: Rig) -> None:
    """Kills ``MultiLeaderNode._on_update`` ``….get("ctx")`` → ``get(None)``: under ``vv``
    a write's reply carries the key's whole version vector, which the client sends with
    its next write, so its second write supersedes its first instead of standing beside
    it as a concurrent sibling."""

    async def script(world: Any, call: Any) -> list[Any]:
        from systems import SYSTEMS

        client = SYSTEMS["multi-leader-vv"].build().client(world, 1)
        await client.open("dc1")
        first = await client.invoke({"f": "write", "value": ["k", "a"]})
        await client.invoke({"f": "write", "value": ["k", "b"]})
        read = await client.invoke({"f": "read", "value": ["k", None]})
        return [first, read]

    first, read = rig.scenario("multi-leader-vv", {}, script)
    assert first == {"type": "ok", "value": ["k", "a"], "vclock": {"dc1": 1}}
    assert read["value"] == ["k", "b"] and "siblings" not in read, read
    assert read["node"] == "dc1"  # seed 87: the read's node is the client's own leader
    assert read["vclock"] == {"dc1": 2}


def test_the_anti_entropy_answer_offers_the_initiators_keys_back() -> None:
    """Kills ``QuorumNode._on_ae_keys`` answer ``"type"`` → ``"XXtypeXX"`` (the answer
    dropped: the initiator's keys its peer lacks are never sent back).  A node that
    receives its peer's pairs merges those it is a home replica for and answers, once
    (``reply``), with its own pairs of the buckets that differed."""
    from systems.replication._quorum import BUCKETS, QuorumConfig, QuorumNode

    node: Any = QuorumNode(QuorumConfig(("n1", "n2", "n3")))
    mine = [{"v": 1, "dot": ["n1", 1], "ctx": {}}]
    node.data = {"k": mine}
    rt = _Rt("n1")
    theirs = [{"v": 2, "dot": ["n2", 1], "ctx": {}}]
    everything = list(range(BUCKETS))
    node._on_ae_keys(rt, _from("n2"), {"buckets": everything, "pairs": [["j", theirs]]})
    assert node.data["j"] == theirs
    ((dst, body),) = rt.sent
    assert dst == "n2"
    assert body == {"type": "ae-keys", "buckets": [], "reply": True,
                    "pairs": [["k", mine], ["j", theirs]]}  # fmt: skip
    node._on_ae_keys(rt, _from("n2"), {**body, "pairs": []})
    assert len(rt.sent) == 1  # an answer is not answered


def test_leaderless_and_record_nodes_refuse_what_they_cannot_serve(rig: Rig) -> None:
    """Kills ``QuorumNode.on_message`` ``error("unsupported", …)`` → ``"XXunsupportedXX"``:
    a message type no handler takes gets a definite ``unsupported`` refusal."""

    async def script(world: Any, call: Any) -> Any:
        reply = await call("n1", {"type": "gossip"})
        return {k: v for k, v in reply.items() if k != "in_reply_to"}

    out = rig.scenario("leaderless", {}, script)
    assert out == {"type": "error", "code": "unsupported", "definite": True}


def test_the_record_leader_replicates_each_stored_record_to_its_followers(rig: Rig) -> None:
    """Kills ``RecordNode._put`` ``"type": "replicate"`` → ``"REPLICATE"`` (followers never
    receive a record): after a write through the leader every follower holds the same
    bytes and serves the record from its own store."""

    async def script(world: Any, call: Any) -> list[Any]:
        record = {"id": 1, "name": "a", "visits": 3}
        body = {"type": "request", "kind": "write", "key": "k", "value": record}
        assert (await call("n2", body))["type"] == "ok"
        await trio.sleep(0.1)
        reads = [(await call(n, {"type": "local-read", "key": "k"}))["value"] for n in world.nodes]
        stores = [world.host(n).process.store for n in world.nodes]
        return [reads, stores]

    reads, stores = rig.scenario("leader-follower-rolling-upgrade", {}, script)
    assert reads == [{"id": 1, "name": "a", "visits": 3}] * 3
    assert stores[1] == stores[2] == stores[0] and len(stores[0]['"k"']) == 3


def test_a_record_client_reports_why_a_record_could_not_be_decoded(rig: Rig) -> None:
    """Kills ``RecordClient.run`` extra keys ``"detail"`` → ``"DETAIL"``: a read that v3
    code cannot decode (v2 data, ``tier`` required) fails definitely, and its completion
    keeps the node's schema and fields, the writer's version and the decoder's detail."""

    async def script(world: Any, call: Any) -> Any:
        from systems import SYSTEMS

        system: Any = SYSTEMS["leader-follower-upgrade-forced-incompatible"].build()
        client = system.client(world, 1)
        record = {"id": 1, "name": "a", "visits": 3}
        assert (await client.invoke({"f": "write", "value": ["k", record]}))["type"] == "ok"
        for node in world.nodes:
            world.host(node).process.deployed[node] = 3  # the world's system's table
            world.host(node).crash()
            world.host(node).start()
        return await client.invoke({"f": "read", "value": ["k", None]})

    out = rig.scenario("leader-follower-upgrade-forced-incompatible", {}, script)
    assert (out["type"], out["error"], out["schema"], out["writer"]) == (
        "fail",
        "undecodable",
        3,
        2,
    )
    assert out["fields"] == ["id", "name", "visits", "email", "tier"]
    assert "tier" in out["detail"] and out["node"] in ("n1", "n2", "n3")


# -- hinted handoff, one message at a time (written during the seed-87 run) ---------------


def test_a_fallback_keeps_a_hint_hands_the_value_off_and_then_forgets_it() -> None:
    """Guards ``QuorumNode._on_store``, ``_tick`` and ``_handed_off``: a node storing a
    write for another (``hint``) records and persists the hint and acknowledges; every
    tick it sends the value to the home replica (``handoff``); the home's acknowledgement
    drops the hint and, the fallback not being a home replica of the key, its copy."""
    from systems.replication._quorum import QuorumConfig, QuorumNode
    from systems.sim import load_json

    cfg = QuorumConfig(("n1", "n2", "n3", "n4", "n5"), anti_entropy=False)
    home = cfg.home("k")
    (fallback, *_) = [n for n in cfg.nodes if n not in home]
    node: Any = QuorumNode(cfg)
    rt = _Rt(fallback)
    state = [{"v": 1, "dot": ["n1", 1], "ctx": {}}]
    node._on_store(rt, _from("n1"), {"key": "k", "state": state, "rid": 4, "hint": home[1]})
    assert node.hints == {(home[1], "k")} and node.data["k"] == state
    assert load_json(rt.disk, "hints", None) == [[home[1], "k"]]
    assert rt.sent == [("n1", {"type": "stored", "rid": 4, "key": "k", "handoff": False})]
    node._tick(rt)
    assert rt.sent[1] == (home[1], {"type": "store", "key": "k", "state": state, "handoff": True})
    node._on_stored(rt, _from(home[1]), {"key": "k", "handoff": True})
    assert (node.hints, "k" in node.data) == (set(), False)
    assert load_json(rt.disk, "hints", None) == []


def test_unknown_field_carries_join_by_version_or_by_bytes() -> None:
    """Guards ``_recordquorum.join_carry``: Avro carries (writer versions) join to the
    newest, none at all staying ``None``; tagged carries (unknown-field bytes) concatenate,
    ``None`` counting as empty."""
    from systems.replication._recordquorum import join_carry

    assert [join_carry(None, 2), join_carry(3, 2), join_carry(1, None)] == [2, 3, 1]
    assert join_carry(0, None) is None
    assert [join_carry(None, b"ab"), join_carry(b"ab", b"cd"), join_carry(b"x", None)] == [
        b"ab", b"abcd", b"x",
    ]  # fmt: skip


def test_a_leaderless_record_read_names_the_newest_writer_and_an_empty_key_nothing() -> None:
    """Guards ``RecordQuorumNode._read_reply``: a read of siblings written at versions 1
    and 2 shows the record through the node's own schema and names the newest writer; a
    key with no siblings reads as ``None`` with no writer."""
    from systems.replication import SCHEMAS
    from systems.replication._leaderless import config_of
    from systems.replication._recordquorum import RecordQuorumNode
    from systems.replication._records import Codec, RecordConfig
    from systems.storage import encoding

    node: Any = RecordQuorumNode(config_of({}), RecordConfig(("n1", "n2", "n3")), {})
    node.codec = Codec(node.rcfg, 1)
    rec = {"id": 1, "name": "a", "visits": 2, "email": "e"}
    state = [{"v": [encoding.encode(SCHEMAS[v], rec).hex(), v]} for v in (2, 1)]
    assert node._read_reply({"id": 1, "name": "a", "visits": 2, "email": "e"}, state) == {
        "type": "ok", "value": {"id": 1, "name": "a", "visits": 2}, "writer": 2,
    }  # fmt: skip
    assert node._read_reply({}, []) == {"type": "ok", "value": None}


@pytest.mark.parametrize("failover", ["safe", "careless"])
def test_a_follower_that_times_out_campaigns_or_promotes_itself(failover: str) -> None:
    """Guards ``LeaderNode._time_out``: under ``safe`` failover a follower that hears no
    leader starts a new term as a candidate, votes for itself (persisted) and asks every
    peer for a vote with its last log term and LSN; under ``careless`` it becomes leader of
    a new term at once (no votes) and starts the term with a no-op entry."""
    import random

    from systems.replication._leader import LeaderConfig, LeaderNode
    from systems.sim import load_json

    node: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3"), failover=failover))
    node.term, node.log = 2, [[1, "write", "k", 1], [2, "write", "k", 2]]
    node.quiet = 9
    rt = _Rt("n2")
    rt.rng = random.Random(0)  # type: ignore[attr-defined]
    node._time_out(rt)
    assert node.term == 3 and node.quiet == 0 and 4 <= node.patience <= 8
    assert load_json(rt.disk, "meta", None) == [3, "n2"]
    if failover == "safe":
        assert (node.role, node.votes) == ("candidate", {"n2"})
        vote = {"type": "vote", "term": 3, "last_lsn": 2, "last_term": 2}
        assert rt.sent == [("n1", vote), ("n3", vote)]
    else:
        assert (node.role, node.leader, node.log[-1]) == ("leader", "n2", [3, "noop", None, None])
        assert {dst for dst, body in rt.sent if body["type"] == "append"} == {"n1", "n3"}


# -- seed 87 ----------------------------------------------------------------------------


def test_a_restarted_node_applies_only_what_its_commit_file_says() -> None:
    """Kills ``LeaderNode.on_start`` ``load_json(rt.disk, COMMIT, 0)`` → ``…, 1)``: a node
    whose log holds an entry that was never committed (no commit file) must not apply it
    on restart -- a local read would show a write that may yet be discarded."""
    import json
    import random

    from systems.replication._leader import LOG, LeaderConfig, LeaderNode
    from systems.sim import save_json

    rt = _Rt("n2")
    rt.rng = random.Random(0)  # type: ignore[attr-defined]
    rt.set_timer = lambda *args: None  # type: ignore[attr-defined]
    rt.disk.write(LOG, 0, (json.dumps([1, "write", "k", 7]) + "\n").encode())
    node: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3")))
    node.on_start(rt)
    assert (node.applied, node.data, len(node.log)) == (0, {}, 1)
    save_json(rt.disk, "commit", 1)
    again: Any = LeaderNode(LeaderConfig(("n1", "n2", "n3")))
    again.on_start(rt)
    assert (again.applied, again.data) == (1, {"k": 7})


def test_each_key_has_its_own_home_replicas_from_the_ring() -> None:
    """Kills ``QuorumConfig.home`` ``self.ring(key)`` → ``ring(None)`` (every key homed on
    the same nodes): a key's home replicas are the first ``n`` of its own ring position,
    so with more nodes than ``n`` keys spread over different homes."""
    from systems.replication._quorum import QuorumConfig

    cfg = QuorumConfig(("n1", "n2", "n3", "n4", "n5"))
    homes = {tuple(cfg.home(k)) for k in range(12)}
    assert len(homes) > 1
    for k in range(12):
        assert cfg.home(k) == cfg.ring(k)[:3]


def test_a_record_follower_keeps_the_newest_copy_whatever_the_arrival_order() -> None:
    """Guards ``RecordNode._replicate``: a follower stores a replicated record only when its
    sequence number is newer than the copy it holds (persisting it), so a late, older
    ``replicate`` never rolls it back."""
    from types import SimpleNamespace

    from systems.replication._records import STATE, RecordConfig, RecordNode
    from systems.sim import load_json

    node: Any = RecordNode(RecordConfig(("n1", "n2", "n3")), {"n2": 1})
    rt = _Rt("n2")
    for seq in (2, 1, 3):
        msg = SimpleNamespace(src="n1", body={"key": '"k"', "entry": ["00", 1, seq]})
        node._replicate(rt, msg)
        assert node.store['"k"'][2] == max(2, seq)
    assert load_json(rt.disk, STATE, None) == {'"k"': ["00", 1, 3]}


@pytest.mark.parametrize("kind", ["tagged", "avro"])
def test_a_codec_writes_at_its_version_fills_what_it_requires_and_shows_its_fields(
    kind: str,
) -> None:
    """Guards ``_records.Codec``: v3 code fills its required ``tier`` when it writes; the
    stored form names the writer's version (Avro keeping unknown fields: the newer
    writer's, so v1 code rewrites a v2 record with v2's schema); ``view`` shows only the
    reader's own fields, nulls left out; v3 code cannot decode v1 data (no ``tier``)."""
    from systems.replication._records import Codec, RecordConfig
    from systems.storage import CorruptionError

    cfg = RecordConfig(("n1", "n2", "n3"), kind, keep_unknown=True)
    v1, v2, v3 = (Codec(cfg, v) for v in (1, 2, 3))
    stored3 = v3.encode({"id": 1, "name": "a", "visits": 2}, None)
    assert stored3[1] == 3
    record3, _ = v3.decode(stored3)
    assert record3["tier"] == "basic"
    stored2 = v2.encode({"id": 1, "name": "a", "visits": 2, "email": "e"}, None)
    record, carry = v1.decode(stored2)
    assert v1.view(record) == {"id": 1, "name": "a", "visits": 2}
    rewritten = v1.encode({**record, "visits": 3}, carry)
    assert v2.view(v2.decode(rewritten)[0]) == {"id": 1, "name": "a", "visits": 3, "email": "e"}
    assert rewritten[1] == (2 if kind == "avro" else 1)
    assert v2.view({"id": 1, "name": None, "tier": "x"}) == {"id": 1}
    with pytest.raises(CorruptionError):
        v3.decode(v1.encode({"id": 1, "name": "a", "visits": 2}, None))
