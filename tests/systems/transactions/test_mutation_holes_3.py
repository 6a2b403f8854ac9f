"""The interactive client's outcomes and SSI's concurrency boundary: holes found by mutation
testing (#19).

The open survivors of the fresh sample ``tools/mutation.py run systems/transactions
--sample 60 --seed 131 --fresh`` (docs/testing.md, "systems/transactions, sixth pass").
The client tests give a ``TxnClient`` scripted replies (no network, no node) and record
what it asked; the SSI test drives ``MvccEngine`` directly.  Each mutation was applied by
hand, the test seen to fail, and the source restored.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from systems.sim import run_simulated
from systems.transactions import MvccEngine

from ._helpers import ScriptedClient


def _invoke(client: ScriptedClient, op: dict[str, Any]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        return await client.invoke(op)

    out: dict[str, Any] = run_simulated(main, seed=1)
    assert client.replies == []  # every scripted reply was asked for
    return out


_BEGUN = {"type": "ok", "txn": 7}
_TXN = [["append", "x", 1], ["r", "x", None]]


@pytest.mark.parametrize(
    ("replies", "abort_ratio", "code"),
    [
        ([_BEGUN, {"type": "error", "code": "write-conflict"}], 0.0, "write-conflict"),
        (
            [_BEGUN, {"type": "ok", "value": ["append", "x", 1]}, {"type": "ok", "value": None}],
            1.0,
            "rolled-back",
        ),
    ],
)
def test_a_txn_stopped_midway_fails_with_its_micro_ops(replies, abort_ratio, code):
    """Kills ``_conversation`` 43 (``_done("fail", value, stop.code)`` -> ``_done("fail",
    None, stop.code)``): a txn the node aborted at a step, or the client rolled back,
    completes ``fail`` with the micro-ops it was invoked with -- the history contract's
    failed txn says what did *not* happen (Elle's G1a reads a failed append from it).
    The mutant completed it with ``value: null``."""
    out = _invoke(ScriptedClient(list(replies), abort_ratio), {"f": "txn", "value": _TXN})
    assert out == {"type": "fail", "value": _TXN, "error": code}


def test_an_overdraft_fails_with_the_transfer_it_refused():
    """Kills ``_conversation`` 43 on the bank path: an overdraft is refused
    (``insufficient-funds``) and the completion carries the transfer, which the bank
    checker reads; no write is sent."""
    transfer = {"from": 0, "to": 1, "amount": 9}
    client = ScriptedClient(
        [_BEGUN, {"type": "ok", "value": ["r", 0, 5]}, {"type": "ok", "value": ["r", 1, 5]}]
    )
    out = _invoke(client, {"f": "transfer", "value": transfer, "initial": 5})
    assert out == {"type": "fail", "value": transfer, "error": "insufficient-funds"}
    assert [b.get("op") for b in client.asked] == [None, ["r", 0, None], ["r", 1, None]]


def test_a_transfer_without_an_initial_balance_takes_zero():
    """Kills ``_transfer`` 7 (``op.get("initial", 0)`` -> ``op.get("initial")``): an op
    that does not say the accounts' initial balance treats a never-written account as
    holding 0 (as ``_read_all`` does); the mutant takes ``None`` and the client crashes on
    ``None + amount`` (a traceback, not an outcome).  Account 0 was written (5), account
    1 never was: the transfer of 3 writes 2 and 0 + 3."""
    transfer = {"from": 0, "to": 1, "amount": 3}
    client = ScriptedClient(
        [
            _BEGUN,
            {"type": "ok", "value": ["r", 0, 5]},
            {"type": "ok", "value": ["r", 1, None]},
            {"type": "ok", "value": ["w", 0, 2]},
            {"type": "ok", "value": ["w", 1, 3]},
            {"type": "ok"},
        ]
    )
    out = _invoke(client, {"f": "transfer", "value": transfer})
    assert out == {"type": "ok", "value": transfer}
    assert [b["op"] for b in client.asked[3:5]] == [["w", 0, 2], ["w", 1, 3]]


def test_a_reader_committed_at_the_writers_snapshot_is_not_concurrent_with_it():
    """Kills ``_note_write`` 16 (``r.commit_ts > t.start_ts`` -> ``>=``): R committed at
    timestamp 1 and T began with snapshot 1, so T sees R's commit -- R precedes T, and
    T's later write of the key R read is no rw anti-dependency (SSI tracks rw edges
    between *concurrent* txns only).  The mutant records R -rw-> T: T's ``rw_in`` names
    R and, at T's commit, R's ``out_first`` is set.  (Argued harmless today -- T's
    out-neighbours all commit after its snapshot, so R never completes a dangerous
    structure -- but ``rw_in`` would then no longer be the set of in-neighbours the
    theory of operation defines.)  A stays live so that R is kept for the bookkeeping."""
    e = MvccEngine(ssi=True)
    e.begin("a")
    assert e.op("a", ["r", "y", None]).kind == "ok"
    e.begin("r")
    assert e.op("r", ["r", "x", None]).kind == "ok"
    assert e.commit("r").kind == "ok"
    e.begin("t")
    assert (e.txns["r"].commit_ts, e.txns["t"].start_ts) == (1, 1)
    assert e.op("t", ["append", "x", 1]).kind == "ok"
    assert e.txns["t"].rw_in == set()
    assert e.commit("t").kind == "ok"
    assert e.txns["r"].out_first == math.inf
