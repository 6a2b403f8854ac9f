"""A client for simulated systems that speak the key-value message vocabulary.

Requests are ``{"type": f, "key": k, "value": v}`` (``cas`` values are ``[old, new]``;
``txn`` carries ``"ops"``); replies are ``{"type": "ok", "value": ...}`` or
``{"type": "error", "code": ..., "definite": bool, "text": ...}``.  A timeout or an
indefinite error completes the op as ``info``; a definite error as ``fail``.
"""

from __future__ import annotations

from typing import Any

from systems.sim import RequestTimeout, World

DEFAULT_TIMEOUT_NS = 500_000_000
#: reply keys copied into the completion (so into the op's extras): evidence checkers use
PASSED_THROUGH = ("durable", "version", "lsn", "vclock", "node", "siblings")


def request_for(op: dict[str, Any]) -> dict[str, Any]:
    f, value = op["f"], op.get("value")
    if f == "txn":
        return {"type": "txn", "ops": value}
    key, arg = value or (None, None)
    return {"type": f, "key": key, "value": arg}


def completion_for(op: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("type") == "error":
        kind = "fail" if reply.get("definite") else "info"
        return {"type": kind, "value": op.get("value"), "error": reply.get("code", "error")}
    f = op["f"]
    extra = {k: reply[k] for k in PASSED_THROUGH if k in reply}
    if f == "txn":
        return {"type": "ok", "value": reply["value"], **extra}
    key, arg = op["value"]
    if f == "read":
        return {"type": "ok", "value": [key, reply.get("value")], **extra}
    return {"type": "ok", "value": [key, arg], **extra}


class KVClient:
    """One process's connection to one node of a simulated KV system."""

    #: awaits only ``endpoint.request``: the runner may step its ops inline (``systems.sim``)
    sim_inline = True

    def __init__(self, world: World, name: str, timeout_ns: int = DEFAULT_TIMEOUT_NS) -> None:
        self.endpoint = world.client(name)
        self.timeout_ns = timeout_ns
        self.node = ""

    async def open(self, node: str) -> None:
        self.node = node

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        try:
            reply = await self.endpoint.request(self.node, request_for(op), self.timeout_ns)
        except RequestTimeout:
            return {"type": "info", "value": op.get("value"), "error": "timeout"}
        return completion_for(op, reply)

    async def close(self) -> None:
        self.endpoint.close()
