"""The interactive transaction client: begin, one message per micro-op, commit.

A ``txn`` op of the history contract (``[["r", k, None], ["append", k, v], ...]``) runs
as a conversation with one node; between messages the client may *think*
(``think_ns``, drawn uniformly up to that bound, in simulated time), which is what gives
concurrent txns room to interleave.  Outcomes:

* every step ok and the commit ok -> ``ok`` with the completed micro-ops;
* the node aborted the txn (deadlock victim, write conflict, serialization failure,
  timeout on the node) or the client rolled it back itself (``abort_ratio``) -> ``fail``:
  a txn commits only on a ``commit`` message, so one that never got as far certainly did
  not happen;
* no reply to ``commit`` -> ``info`` (it may or may not have committed);
* no reply to an earlier step -> the client sends ``abort`` (best effort) and completes
  ``fail``: without a commit the node can only abort it (its txn timeout does so if the
  abort is lost).

The bank workload's ops run the same way: ``transfer`` (``{"from", "to", "amount"}``) reads
both balances, rolls back on an overdraft (``insufficient-funds``) and writes both;
``read`` reads every account (``op["accounts"]`` of them) and completes with
``{account: balance}``.  An account never written holds ``op["initial"]``.

With ``stored_procedures=True`` the whole txn goes in one ``{"type": "txn"}`` message
(for ``SerialNode`` and the 2PC coordinator).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from systems.sim import MS, RequestTimeout, World, now_ns

Body = Callable[[Any], Awaitable[Any]]


class TxnClient:
    def __init__(
        self,
        world: World,
        name: str,
        timeout_ns: int = 800 * MS,
        think_ns: int = 0,
        abort_ratio: float = 0.0,
        stored_procedures: bool = False,
        node: str | None = None,
    ) -> None:
        self.endpoint = world.client(name)
        self.rng = world.rng_for(f"client/{name}")
        self.timeout_ns = timeout_ns
        self.think_ns = think_ns
        self.abort_ratio = abort_ratio
        self.stored_procedures = stored_procedures
        #: a fixed node (the 2PC coordinator) overrides the one ``open`` is given
        self.fixed_node = node
        self.node = node or ""
        self.deadline = 0

    async def open(self, node: str) -> None:
        self.node = self.fixed_node or node

    async def close(self) -> None:
        self.endpoint.close()

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        self.deadline = now_ns() + self.timeout_ns
        value = op.get("value")
        if self.stored_procedures:
            return await self._stored(value or [])
        if op["f"] == "transfer":
            return await self._conversation(value, lambda txn: self._transfer(txn, op))
        if op["f"] == "read":
            return await self._conversation(value, lambda txn: self._read_all(txn, op))
        return await self._conversation(value, lambda txn: self._micro_ops(txn, value or []))

    async def _stored(self, ops: list[Any]) -> dict[str, Any]:
        reply = await self._request({"type": "txn", "ops": ops})
        if reply is None:
            return _done("info", ops, "timeout")
        if reply["type"] == "error":
            return _done("fail" if reply.get("definite") else "info", ops, reply["code"])
        return _done("ok", reply["value"])

    async def _conversation(self, value: Any, body: Body) -> dict[str, Any]:
        """begin; ``body(txn)`` (its micro-ops); commit -- or the definite way out."""
        begun = await self._request({"type": "begin"})
        if begun is None or begun["type"] != "ok":
            return _done("fail", value, "timeout" if begun is None else begun["code"])
        txn = begun["txn"]
        try:
            result = await body(txn)
            if self.abort_ratio and self.rng.random() < self.abort_ratio:
                raise _Stop("rolled-back")
        except _Stop as stop:
            if stop.node_aborted is False:
                self._send_abort(txn)
            return _done("fail", value, stop.code)
        reply = await self._request({"type": "commit", "txn": txn})
        if reply is None:
            return _done("info", value, "timeout")
        if reply["type"] != "ok":
            return _done("fail", value, reply["code"])
        return _done("ok", result)

    async def _step(self, txn: Any, mop: list[Any]) -> Any:
        """One micro-op; its completed form.  Raises ``_Stop`` if the txn cannot go on."""
        reply = await self._request({"type": "op", "txn": txn, "op": mop})
        if reply is None:
            raise _Stop("timeout")
        if reply["type"] != "ok":
            raise _Stop(reply["code"], node_aborted=True)
        await self._think()
        return reply["value"]

    async def _micro_ops(self, txn: Any, ops: list[Any]) -> list[Any]:
        return [await self._step(txn, list(mop)) for mop in ops]

    async def _transfer(self, txn: Any, op: dict[str, Any]) -> Any:
        """The bank workload's transfer: read both balances, refuse an overdraft, write."""
        t, initial = op["value"], op.get("initial", 0)
        src = _balance(await self._step(txn, ["r", t["from"], None]), initial)
        dst = _balance(await self._step(txn, ["r", t["to"], None]), initial)
        if src < t["amount"]:
            raise _Stop("insufficient-funds")
        await self._step(txn, ["w", t["from"], src - t["amount"]])
        await self._step(txn, ["w", t["to"], dst + t["amount"]])
        return t

    async def _read_all(self, txn: Any, op: dict[str, Any]) -> dict[Any, Any]:
        """The bank workload's read: every account's balance, in one txn."""
        initial = op.get("initial", 0)
        return {
            a: _balance(await self._step(txn, ["r", a, None]), initial)
            for a in range(int(op["accounts"]))
        }

    def _send_abort(self, txn: Any) -> None:
        """Best effort, no wait: without a commit the node aborts the txn anyway."""
        body = {"type": "abort", "txn": txn}
        self.endpoint.world.network.send(self.endpoint.name, self.node, body)

    async def _think(self) -> None:
        if self.think_ns:
            await trio.sleep(self.rng.randint(0, self.think_ns) / 1e9)

    async def _request(self, body: dict[str, Any]) -> dict[str, Any] | None:
        left = self.deadline - now_ns()
        if left <= 0:
            return None
        try:
            return await self.endpoint.request(self.node, body, left)
        except RequestTimeout:
            return None


class _Stop(Exception):
    """The txn cannot commit: ``code`` says why; ``node_aborted`` if the node already did."""

    def __init__(self, code: str, node_aborted: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.node_aborted = node_aborted


def _balance(mop: list[Any], initial: int) -> int:
    """A bank account never written holds the workload's initial balance."""
    return initial if mop[2] is None else int(mop[2])


def _done(kind: str, value: Any, err: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "value": value}
    if err is not None:
        out["error"] = err
    return out
