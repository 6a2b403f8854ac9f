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

With ``stored_procedures=True`` the whole txn goes in one ``{"type": "txn"}`` message
(for ``SerialNode`` and the 2PC coordinator).
"""

from __future__ import annotations

from typing import Any

import trio

from systems.sim import MS, RequestTimeout, World, now_ns


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
        ops = op["value"]
        if self.stored_procedures:
            return await self._stored(ops)
        return await self._interactive(ops)

    async def _stored(self, ops: list[Any]) -> dict[str, Any]:
        reply = await self._request({"type": "txn", "ops": ops})
        if reply is None:
            return _done("info", ops, "timeout")
        if reply["type"] == "error":
            return _done("fail" if reply.get("definite") else "info", ops, reply["code"])
        return _done("ok", reply["value"])

    async def _interactive(self, ops: list[Any]) -> dict[str, Any]:
        begun = await self._request({"type": "begin"})
        if begun is None or begun["type"] != "ok":
            return _done("fail", ops, "timeout" if begun is None else begun["code"])
        txn = begun["txn"]
        done = []
        for mop in ops:
            reply = await self._request({"type": "op", "txn": txn, "op": mop})
            if reply is None or reply["type"] != "ok":
                return await self._rollback(txn, ops, reply)
            done.append(reply["value"])
            await self._think()
        if self.abort_ratio and self.rng.random() < self.abort_ratio:
            await self._request({"type": "abort", "txn": txn})
            return _done("fail", ops, "rolled-back")
        reply = await self._request({"type": "commit", "txn": txn})
        if reply is None:
            return _done("info", ops, "timeout")
        if reply["type"] != "ok":
            return _done("fail", ops, reply["code"])
        return _done("ok", done)

    async def _rollback(self, txn: Any, ops: list[Any], reply: Any) -> dict[str, Any]:
        if reply is None:
            self.endpoint.world.network.send(
                self.endpoint.name, self.node, {"type": "abort", "txn": txn}
            )
            return _done("fail", ops, "timeout")
        return _done("fail", ops, reply["code"])

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


def _done(kind: str, value: Any, err: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "value": value}
    if err is not None:
        out["error"] = err
    return out
