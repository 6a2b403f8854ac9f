"""The interactive transaction client's ways out: holes found by mutation testing (#19).

The survivors of ``tools/mutation.py run systems/transactions --sample 60 --seed 1`` in
``TxnClient._conversation`` and ``_read_all``: each completion must say what happened
(``fail`` when the txn surely did not commit, ``info`` when it may have) and keep the op's
value, which the checkers read.  The client is driven with scripted replies: no network.
"""

from __future__ import annotations

from typing import Any

from systems.sim import run_simulated

from ._helpers import ScriptedClient

TXN = [["append", 1, 5], ["r", 2, None]]


def _invoke(op: dict[str, Any], replies: list[dict[str, Any] | None]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        return await ScriptedClient(replies).invoke(op)

    result: dict[str, Any] = run_simulated(main, seed=1)
    return result


BEGUN = {"type": "ok", "txn": 7}
STEPS = [{"type": "ok", "value": ["append", 1, 5]}, {"type": "ok", "value": ["r", 2, [1]]}]


def test_a_txn_that_could_not_begin_failed() -> None:
    """Kills ``_conversation`` ``_done("fail", ...)`` -> ``_done(None, ...)`` when ``begin``
    is refused: no txn was opened, so the op surely failed."""
    out = _invoke({"f": "txn", "value": TXN}, [{"type": "error", "code": "busy"}])
    assert out == {"type": "fail", "value": TXN, "error": "busy"}


def test_an_unanswered_commit_is_indeterminate_and_keeps_the_ops_value() -> None:
    """Kills ``_conversation``'s ``_done("info", value, "timeout")`` -> ``value`` ``None``
    or dropped (``_done("info", "timeout")``): the txn may have committed, and the checker
    needs its micro-ops to judge it."""
    out = _invoke({"f": "txn", "value": TXN}, [BEGUN, *STEPS, None])
    assert out == {"type": "info", "value": TXN, "error": "timeout"}


def test_a_refused_commit_failed_and_keeps_the_ops_value() -> None:
    """Kills ``_conversation``'s refused-commit ``_done("fail", value, ...)`` -> ``None``
    for the value."""
    refused = {"type": "error", "code": "conflict", "definite": True}
    out = _invoke({"f": "txn", "value": TXN}, [BEGUN, *STEPS, refused])
    assert out == {"type": "fail", "value": TXN, "error": "conflict"}


def test_a_bank_read_of_unwritten_accounts_gives_the_default_initial_balance() -> None:
    """Kills ``_read_all`` ``op.get("initial", 0)`` -> ``None``: an account never written
    holds the initial balance, 0 unless the op says otherwise."""
    replies = [BEGUN, {"type": "ok", "value": ["r", 0, None]}, {"type": "ok", "value": ["r", 1, 4]}]
    out = _invoke({"f": "read", "value": None, "accounts": 2}, [*replies, {"type": "ok"}])
    assert out == {"type": "ok", "value": {0: 0, 1: 4}}
