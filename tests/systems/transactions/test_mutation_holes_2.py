"""SSI bookkeeping, 2PC handlers and the nodes' edges: holes found by mutation testing (#19).

The survivors of the fresh sample ``tools/mutation.py run systems/transactions --sample 60
--seed 121 --fresh`` (docs/testing.md, "systems/transactions, sixth pass").  The MVCC
tests drive the engine directly; the 2PC and node tests call one handler at a time with a
recording stand-in for the node ``Runtime`` (no network, no scheduler), so each test names
the message or timer it delivers and the replies, sends and timers it expects.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import trio

from systems import get_system
from systems.sim import MS, Message, SimDisk, World, now_ns, run_simulated
from systems.transactions import (
    Coordinator,
    LockingEngine,
    LockManager,
    MvccEngine,
    Participant,
    SerialNode,
    TxnClient,
    TxnNode,
)

from ._helpers import ScriptedClient


class _Rt:
    """Just enough of a node ``Runtime`` to call one handler: a disk, and records of what
    the node sent, replied and scheduled."""

    def __init__(self, name: str) -> None:
        self.name, self.incarnation = name, 1
        self.disk = SimDisk(random.Random(0))
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.replies: list[tuple[Message, dict[str, Any]]] = []
        self.timers: list[tuple[int, str, Any]] = []

    def send(self, dst: str, body: dict[str, Any]) -> None:
        self.sent.append((dst, body))

    def reply(self, msg: Message, body: dict[str, Any]) -> None:
        self.replies.append((msg, body))

    def set_timer(self, delay_ns: int, name: str, payload: Any = None) -> None:
        self.timers.append((delay_ns, name, payload))


def _runtime(name: str) -> Any:
    """A ``_Rt`` where the handlers' signatures want a ``Runtime`` (it is one, by duck)."""
    return _Rt(name)


def _msg(src: str, **body: Any) -> Message:
    return Message(0, src, "node", body, 0)


# -- MVCC / SSI ---------------------------------------------------------------------------


def test_ssi_reading_a_version_committed_before_the_snapshot_is_no_rw_edge() -> None:
    """Kills ``_note_read`` ``newer = committed and newer-than-snapshot and k in writes`` ->
    ``committed and newer-than-snapshot or k in writes``: a read of a version W committed
    *before* T's snapshot (W still kept for a concurrent txn) is a wr dependency, not an
    rw one; the mutant records T -rw-> W, so T, with a live in-neighbour, aborts for a
    dangerous structure that does not exist (a false serialization failure)."""
    e = MvccEngine(ssi=True)
    e.begin("a")
    assert e.op("a", ["r", "y", None]).kind == "ok"  # a stays live, keeps w around
    e.begin("w")
    e.op("w", ["append", "x", 1])
    assert e.commit("w").kind == "ok"
    e.begin("t")
    assert e.op("t", ["r", "x", None]).value == ["r", "x", [1]]  # wr: t read w's write
    assert e.op("t", ["append", "y", 2]).kind == "ok"  # a -rw-> t
    assert e.txns["t"].out_first == float("inf")
    assert e.commit("t").kind == "ok"


def test_an_aborted_reader_leaves_no_siread_marks() -> None:
    """Kills ``_abort`` ``discard(t.tid)`` -> ``discard(None)``: an aborted txn's SIREAD
    marks must go with it; under the mutant every aborted reader's id stays in
    ``readers`` for good (``_prune`` only clears committed ids), a leak that grows with
    every aborted txn of a long run."""
    e = MvccEngine(ssi=True)
    for i in range(3):
        e.begin(f"t{i}")
        e.op(f"t{i}", ["r", "x", None])
        assert e.abort(f"t{i}").code == "aborted"
    assert [tid for marks in e.readers.values() for tid in marks] == []


# -- 2PC: the coordinator -----------------------------------------------------------------


def _settings() -> Any:
    system: Any = get_system("txn-2pc").build({})
    return system.settings


def _coordinator() -> tuple[Coordinator, Any]:
    coord, rt = Coordinator(_settings()), _runtime("coord")
    coord.on_start(rt)
    return coord, rt


def _committed_on_p1(coord: Coordinator, rt: Any) -> tuple[str, Message]:
    """Run one txn on p1 (key 0) through execute, prepare and the commit point."""
    client = _msg("c1", type="txn", ops=[["append", 0, 5]])
    coord.on_message(rt, client)
    (dst, op), txn = rt.sent[-1], rt.timers[-1][2]
    assert (dst, op["op"]) == ("p1", ["append", 0, 5])
    coord.on_message(rt, _msg("p1", type="op-done", txn=txn, seq=0, value=["append", 0, 5]))
    coord.on_message(rt, _msg("p1", type="vote", txn=txn, yes=True))
    coord.on_timer(rt, "decide", txn)
    assert rt.replies[-1] == (client, {"type": "ok", "value": [["append", 0, 5]]})
    return txn, client


def test_the_coordinator_times_out_the_txn_it_began() -> None:
    """Kills ``_begin``'s ``set_timer(..., "txn-timeout", txn)`` -> payload ``None``: the
    timer must name the txn, or a txn whose participant never answers is never aborted
    (its client waits out its own budget, its locks stay held until the participants'
    idle timeout)."""
    coord, rt = _coordinator()
    client = _msg("c1", type="txn", ops=[["append", 0, 5]])
    coord.on_message(rt, client)
    (delay, name, payload), sent = rt.timers[-1], len(rt.sent)
    assert (delay, name) == (coord.txn_timeout_ns, "txn-timeout")
    coord.on_timer(rt, name, payload)  # p1 never answered the op
    assert rt.replies == [(client, {"type": "error", "code": "txn-timeout", "definite": True})]
    assert rt.sent[sent:] == [("p1", {"type": "abort", "txn": payload})]


def test_acks_end_a_commit_and_stop_the_resends() -> None:
    """Kills ``on_message`` ``kind == "ack"`` -> ``"XXackXX"``: a participant's ack must
    be counted; under the mutant the commit is re-sent forever and ``end`` never logged."""
    coord, rt = _coordinator()
    txn, _ = _committed_on_p1(coord, rt)
    coord.on_timer(rt, "send-commit", txn)
    assert rt.sent[-1] == ("p1", {"type": "commit", "txn": txn})
    coord.on_message(rt, _msg("p1", type="ack", txn=txn))
    assert coord.unacked == {}
    log = [json.loads(line) for line in rt.disk.read("coordinator-log").splitlines()]
    assert [e["kind"] for e in log] == ["commit", "end"]
    sent = len(rt.sent)
    coord.on_timer(rt, "resend", txn)
    assert len(rt.sent) == sent


# -- 2PC: the participant -----------------------------------------------------------------


def _op(p: Participant, rt: Any, txn: str, mop: list[Any], first: bool) -> dict[str, Any]:
    p.on_message(rt, _msg("coord", type="op", txn=txn, seq=0, op=mop, first=first))
    return rt.replies[-1][1]


def test_an_op_for_a_prepared_branch_is_refused_and_the_branch_stays_in_doubt() -> None:
    """Kills ``_op`` ``if not branch.prepared: self._drop(txn)`` -> ``if branch.prepared``
    (prepared side): a late or duplicated op for a prepared branch must not drop it -- an
    in-doubt branch has promised to commit if told to, so its writes and locks must stay."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    _op(p, rt, "t1", ["append", 0, 5], first=True)
    p.on_message(rt, _msg("coord", type="prepare", txn="t1"))
    assert _op(p, rt, "t1", ["append", 3, 6], first=False)["code"] == "lock-conflict"
    assert p.in_doubt() == ["t1"]
    assert p.branches["t1"].writes == {0: [5]}
    assert p.locks.mode("t1", 0) == "X"


def test_a_lock_conflict_drops_the_unprepared_branch_and_its_locks() -> None:
    """Kills the same mutant (unprepared side): a branch refused a lock is aborted on the
    spot, releasing the locks it held; under the mutant it keeps them until the
    coordinator's abort arrives (or for good, if that abort is lost)."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    _op(p, rt, "t1", ["append", 0, 5], first=True)
    _op(p, rt, "t2", ["r", 3, None], first=True)
    assert _op(p, rt, "t2", ["r", 0, None], first=False)["code"] == "lock-conflict"
    assert "t2" not in p.branches
    assert _op(p, rt, "t3", ["append", 3, 7], first=True)["value"] == ["append", 3, 7]


def test_an_in_doubt_participant_asks_the_coordinator_and_asks_again() -> None:
    """Kills ``on_timer`` ``name == "in-doubt"`` -> ``!=``: the in-doubt timer must send
    ``status`` and re-arm (else a participant whose coordinator lost the decision blocks
    forever); an idle-timeout timer on a prepared branch must neither ask nor drop."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    _op(p, rt, "t1", ["append", 0, 5], first=True)
    p.on_message(rt, _msg("coord", type="prepare", txn="t1"))
    p.on_timer(rt, "active-timeout", "t1")
    assert (rt.sent, p.in_doubt()) == ([], ["t1"])
    p.on_timer(rt, "in-doubt", "t1")
    assert rt.sent == [("coord", {"type": "status", "txn": "t1"})]
    assert rt.timers[-1] == (10**8, "in-doubt", "t1")


# -- the single nodes ---------------------------------------------------------------------


def test_the_serial_node_refuses_an_interactive_message() -> None:
    """Kills ``SerialNode.on_message`` ``rt.reply(msg, error(...))`` -> ``rt.reply(error(
    ...))``: a ``begin`` sent to a stored-procedure node gets ``unsupported`` (the mutant
    raises a ``TypeError`` inside the node instead)."""
    node, rt = SerialNode(), _runtime("n1")
    begin = _msg("c1", type="begin")
    node.on_message(rt, begin)
    assert rt.replies == [(begin, {"type": "error", "code": "unsupported", "definite": True})]
    assert not node.queue


def _begin(node: TxnNode, rt: Any) -> str:
    node.on_message(rt, _msg("c1", type="begin"))
    txn: str = rt.replies[-1][1]["txn"]
    return txn


def test_a_txn_timed_out_while_parked_fails_its_waiting_op_with_txn_timeout() -> None:
    """Kills ``TxnNode.on_timer``'s code ``"txn-timeout"`` -> ``"XXtxn-timeoutXX"``: the
    op parked on a lock wait is answered with the reason its txn was aborted."""
    node, rt = TxnNode(LockingEngine("two-phase-locking")), _runtime("n1")
    a, b = _begin(node, rt), _begin(node, rt)
    node.on_message(rt, _msg("c1", type="op", txn=a, op=["append", 0, 1]))
    waiting = _msg("c2", type="op", txn=b, op=["append", 0, 2])
    node.on_message(rt, waiting)
    assert b in node.parked
    node.on_timer(rt, "txn-timeout", b)
    assert rt.replies[-1] == (waiting, {"type": "error", "code": "txn-timeout", "definite": True})


def test_the_commit_log_numbers_write_commits_one_by_one() -> None:
    """Kills ``TxnNode._commit`` ``self.commits += 1`` -> ``+= 2``: ``commits`` counts the
    durable commits, and each log entry carries its number; a restarted node replays the
    count (read-only commits log nothing and count nothing)."""
    node, rt = TxnNode(MvccEngine()), _runtime("n1")
    for mop in (["append", 0, 1], ["r", 0, None], ["append", 1, 2]):
        txn = _begin(node, rt)
        node.on_message(rt, _msg("c1", type="op", txn=txn, op=mop))
        node.on_message(rt, _msg("c1", type="commit", txn=txn))
    log = [json.loads(line) for line in rt.disk.read("txnlog").splitlines()]
    assert [e["ts"] for e in log] == [1, 2]
    restarted = TxnNode(MvccEngine())
    restarted.on_start(rt)
    assert (node.commits, restarted.commits) == (2, 2)


# -- the fresh seed-123 sample's survivors ------------------------------------------------


def test_an_unknown_micro_op_is_refused_by_name() -> None:
    """Kills ``apply_mop``'s ``ValueError(f"unknown micro-op {f!r}")`` -> ``ValueError(None)``:
    the error must name the micro-op it could not apply."""
    e = MvccEngine()
    e.begin("t")
    with pytest.raises(ValueError, match="unknown micro-op 'incr'"):
        e.op("t", ["incr", 0, 1])


def test_both_engines_report_an_asked_for_abort_as_aborted() -> None:
    """Kills ``LockingEngine.abort``'s code ``"aborted"`` -> ``"ABORTED"``: the engines
    share one interface, and an abort the txn asked for is ``aborted`` in both."""
    engines: list[Any] = [LockingEngine("two-phase-locking"), MvccEngine()]
    for engine in engines:
        engine.begin("t")
        engine.op("t", ["append", 0, 1])
        step = engine.abort("t")
        assert (step.kind, step.code, engine.active("t")) == ("abort", "aborted", False)


def test_a_new_shared_request_queues_behind_a_waiting_writer() -> None:
    """Kills ``LockManager.acquire``'s ``queue_ahead=held is None and bool(locks.queue)``
    -> ``bool(None)``: a newcomer compatible with the holders must still wait behind the
    queue, or a stream of readers starves a waiting writer for good."""
    locks = LockManager()
    assert locks.acquire("a", "k", "S") == "granted"
    assert locks.acquire("w", "k", "X") == "wait"
    assert locks.acquire("c", "k", "S") == "wait"
    assert locks.holders("k") == {"a": "S"}
    assert locks.release_all("a") == ["w"]


def test_the_serial_node_numbers_its_logged_commits_one_by_one() -> None:
    """Kills ``SerialNode.on_timer`` ``self.commits += 1`` -> ``-= 1``: each logged
    commit carries the next number, and a restarted node resumes the count."""
    node, rt = SerialNode(), _runtime("n1")
    for ops in ([["append", 0, 1]], [["r", 0, None]], [["append", 1, 2]]):
        node.on_message(rt, _msg("c1", type="txn", ops=ops))
        node.on_timer(rt, "run", None)
    log = [json.loads(line) for line in rt.disk.read("txnlog").splitlines()]
    assert [e["ts"] for e in log] == [1, 2]
    restarted = SerialNode()
    restarted.on_start(rt)
    assert (node.commits, restarted.commits, restarted.data) == (2, 2, {0: [1], 1: [2]})


def test_a_restarted_coordinator_starts_a_new_epoch_of_txn_ids() -> None:
    """Kills ``Coordinator.on_start`` ``_append(rt, EPOCH, ...)`` -> ``_append(rt, None,
    ...)``: each start must be recorded in the epoch file, or a restarted coordinator
    hands out ``1.1`` again -- the id of a txn its log may already say committed."""
    first, rt = _coordinator()
    second = Coordinator(_settings())
    second.on_start(rt)
    second.on_message(rt, _msg("c1", type="txn", ops=[["append", 0, 5]]))
    assert (first.epoch, second.epoch, rt.timers[-1][2]) == (1, 2, "2.1")


def test_a_participant_acks_a_commit() -> None:
    """Kills ``Participant.on_message``'s ack ``{"type": "ack", ...}`` -> ``{"XXtypeXX":
    ...}``: the coordinator dispatches on ``type``; an ack it cannot read leaves the
    commit unacknowledged and re-sent forever."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    _op(p, rt, "t1", ["append", 0, 5], first=True)
    p.on_message(rt, _msg("coord", type="prepare", txn="t1"))
    commit = _msg("coord", type="commit", txn="t1")
    p.on_message(rt, commit)
    assert rt.replies[-1] == (commit, {"type": "ack", "txn": "t1"})
    assert (p.data, p.in_doubt()) == ({0: [5]}, [])


def test_a_transfer_of_the_whole_balance_goes_through() -> None:
    """Kills ``_transfer``'s overdraft test ``src < amount`` -> ``<=``: moving exactly
    the balance leaves zero, no overdraft, so it must be written and committed."""
    op = {"f": "transfer", "value": {"from": 0, "to": 1, "amount": 5}, "initial": 5}
    replies: list[dict[str, Any] | None] = [
        {"type": "ok", "txn": 7},
        {"type": "ok", "value": ["r", 0, None]},
        {"type": "ok", "value": ["r", 1, None]},
        {"type": "ok", "value": ["w", 0, 0]},
        {"type": "ok", "value": ["w", 1, 10]},
        {"type": "ok"},
    ]

    async def main() -> dict[str, Any]:
        return await ScriptedClient(replies).invoke(op)

    out = run_simulated(main, seed=1)
    assert (out["type"], replies) == ("ok", [])


def test_the_client_gives_up_at_its_deadline_not_later() -> None:
    """Kills ``_request``'s ``left = deadline - now`` -> ``deadline + now``: a request to
    a node that never answers must time out when the op's budget runs out (simulated
    time; started at 50 ms so that the two differ)."""

    async def main() -> tuple[dict[str, Any], int]:
        world = World(1)
        get_system("txn-2pl").build({}).setup(world)
        world.start_all()
        async with world.running():
            world.host("n1").crash()
            client = TxnClient(world, "c1", timeout_ns=100 * MS)
            await client.open("n1")
            await trio.sleep(0.05)
            start = now_ns()
            out = await client.invoke({"f": "txn", "value": [["r", 0, None]]})
            return out, now_ns() - start

    out, elapsed = run_simulated(main, seed=1)
    assert (out["type"], out["error"], elapsed) == ("fail", "timeout", 100 * MS)


# -- the fresh seed-125 sample's survivors ------------------------------------------------


def _stored(reply: dict[str, Any] | None) -> dict[str, Any]:
    ops = [["append", 0, 1]]

    async def main() -> dict[str, Any]:
        client = ScriptedClient([reply])
        client.stored_procedures = True
        return await client.invoke({"f": "txn", "value": ops})

    out: dict[str, Any] = run_simulated(main, seed=1)
    assert out["value"] == ops
    return out


def test_a_stored_procedures_outcome_follows_the_reply() -> None:
    """Kills ``_stored``'s ``_done("info", ops, "timeout")`` -> error ``None`` and
    ``reply.get("definite")`` -> ``reply.get("DEFINITE")``: no reply is ``info`` with
    ``timeout``; a definite error surely did not commit (``fail``), an indefinite one may
    have (``info``) -- the checkers treat the two very differently."""
    assert _stored(None)["error"] == "timeout"
    assert _stored(None)["type"] == "info"
    refused = {"type": "error", "code": "busy", "definite": True}
    assert (_stored(refused)["type"], _stored(refused)["error"]) == ("fail", "busy")
    assert _stored({**refused, "definite": False})["type"] == "info"


def test_no_wait_shared_locks_are_shared() -> None:
    """Kills ``try_acquire``'s ``_grantable(locks, txn, mode, ...)`` -> ``None`` for the
    mode: two readers of a key both get the shared lock at once (a 2PC participant would
    otherwise abort every concurrent reader with ``lock-conflict``); a writer does not."""
    locks = LockManager()
    assert locks.try_acquire("a", "k", "S") and locks.try_acquire("b", "k", "S")
    assert not locks.try_acquire("c", "k", "X")
    assert locks.holders("k") == {"a": "S", "b": "S"}


def test_a_participant_keeps_a_json_list_key_as_a_tuple() -> None:
    """Kills ``key_of``'s ``tuple(k) if isinstance(k, list)`` -> never converting: a
    composite key arrives from JSON as a list, which cannot key the branch's writes or
    the lock table (the mutant raises ``TypeError: unhashable``)."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    assert _op(p, rt, "t1", ["append", [0, 1], 5], first=True)["value"] == ["append", (0, 1), 5]
    assert p.branches["t1"].writes == {(0, 1): [5]}


# -- the fresh seed-127 sample's survivors ------------------------------------------------


def test_a_status_question_after_the_commit_point_is_answered_commit() -> None:
    """Kills ``_commit_point``'s ``self.committed.add(txn)`` -> ``add(None)``: an in-doubt
    participant asking before the commit reached it (lost, or ``commit_delay_ns``) must
    hear ``commit``; the mutant answers ``abort`` -- one participant aborts what the
    others commit, and the client was already told ``ok`` (atomicity broken)."""
    coord, rt = _coordinator()
    txn, _ = _committed_on_p1(coord, rt)
    coord.on_message(rt, _msg("p1", type="status", txn=txn))
    assert rt.sent[-1] == ("p1", {"type": "decision", "txn": txn, "decision": "commit"})


def test_committed_txns_no_active_txn_is_concurrent_with_are_forgotten() -> None:
    """Kills ``_prune``'s ``t.commit_ts <= horizon`` -> ``<``: a txn committed at the
    oldest active snapshot is in that snapshot, so concurrent with nobody, and must be
    dropped from the SSI bookkeeping (the mutant keeps it: memory held, and its rw edges
    still consulted)."""
    e = MvccEngine(ssi=True)
    e.begin("a")  # snapshot 0
    e.begin("w")
    e.op("w", ["append", "x", 1])
    assert e.commit("w").kind == "ok"  # ts 1, concurrent with a
    e.begin("b")  # snapshot 1: sees w
    assert set(e.txns) == {"a", "w", "b"}
    e.abort("a")
    assert set(e.txns) == {"b"}


def test_think_time_is_drawn_from_zero_up_to_its_bound() -> None:
    """Kills ``_think``'s ``randint(0, think_ns)`` -> ``randint(1, think_ns)``: the think
    time is uniform over ``[0, think_ns]`` (the documented bound), zero included -- the
    mutant shifts every seeded draw, so the same seed gives another history."""
    drawn: list[tuple[int, int]] = []

    class _Rng:
        def randint(self, a: int, b: int) -> int:
            drawn.append((a, b))
            return a

    async def main() -> None:
        client = TxnClient(World(1), "c1", think_ns=7 * MS)
        client.rng = _Rng()  # type: ignore[assignment]
        await client._think()

    run_simulated(main, seed=1)
    assert drawn == [(0, 7 * MS)]


# -- the fresh seed-129 sample's survivors ------------------------------------------------


def test_an_unknown_locking_level_is_refused_by_name() -> None:
    """Kills ``LockingEngine.__init__``'s ``ValueError(f"unknown level {level!r}")`` ->
    ``ValueError(None)``: the error must name the level it does not know."""
    with pytest.raises(ValueError, match="unknown level 'snapshot'"):
        LockingEngine("snapshot")


def test_a_participant_that_lost_the_branch_votes_no_for_that_txn() -> None:
    """Kills ``_prepare``'s ``{"type": "vote", "txn": txn, "yes": False}`` -> key
    ``"XXtxnXX"``: the coordinator finds the txn by the vote's ``txn``; a no-vote without it
    is dropped, and the txn waits for its timeout instead of aborting at once."""
    p, rt = Participant(10**9, 10**8), _runtime("p1")
    prepare = _msg("coord", type="prepare", txn="t9")
    p.on_message(rt, prepare)
    assert rt.replies == [(prepare, {"type": "vote", "txn": "t9", "yes": False})]


# -- the fresh seed-131 sample's survivors (one of seven) ---------------------------------


def test_a_restarted_coordinator_does_not_resend_an_ended_commit() -> None:
    """Kills ``Coordinator.on_start``'s ``self.unacked.pop(e["txn"], None)`` -> ``pop(None,
    None)``: an ``end`` line in the log closes its commit; the mutant re-sends every
    commit ever logged after each restart (and keeps them unacked for good)."""
    coord, rt = _coordinator()
    txn, _ = _committed_on_p1(coord, rt)
    coord.on_message(rt, _msg("p1", type="ack", txn=txn))
    restarted, sent = Coordinator(_settings()), len(rt.sent)
    restarted.on_start(rt)
    assert (restarted.unacked, rt.sent[sent:], restarted.committed) == ({}, [], {txn})
