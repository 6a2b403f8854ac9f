"""``kv-no-txn``: the data-model workloads without transactions, as a baseline.

One linearizable, durable KV node (``systems.single.KVNode``); the client runs each
micro-op of a ``txn`` op as its own request (think time between them), the way an
application without multi-object transactions would.  Every single read and write is
atomic and linearizable, yet a reader can see a multi-key update half done and a writer
can be interrupted half way -- which is what the data-model checkers then report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import trio

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.sim import MS, RequestTimeout, World
from systems.single import KVNode

REQUEST = {"r": "read", "w": "write", "append": "append"}


class NoTxnClient:
    def __init__(self, world: World, name: str, think_ns: int, timeout_ns: int = 500 * MS):
        self.endpoint = world.client(name)
        self.rng = world.rng_for(f"client/{name}")
        self.think_ns = think_ns
        self.timeout_ns = timeout_ns

    async def open(self, node: str) -> None:
        pass

    async def close(self) -> None:
        self.endpoint.close()

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        if op["f"] != "txn":
            return {"type": "fail", "value": op.get("value"), "error": "unsupported"}
        done: list[list[Any]] = []
        for f, k, v in op["value"]:
            try:
                body = {"type": REQUEST[f], "key": k, "value": v}
                reply = await self.endpoint.request("n1", body, self.timeout_ns)
            except RequestTimeout:
                # earlier micro-ops took effect, so the op as a whole is indeterminate
                return {"type": "info", "value": op["value"], "error": "timeout"}
            done.append([f, k, reply.get("value") if f == "r" else v])
            await trio.sleep(self.rng.randrange(self.think_ns + 1) / 1e9)
        return {"type": "ok", "value": done}


@dataclass(frozen=True)
class NoTxnOptions:
    """The no-transactions baseline's one option."""

    think_ns: int = option(2 * MS, help="client think time between micro-ops (upper bound)")


class NoTxnSystem:
    name = "kv-no-txn"
    claims: frozenset[str] = frozenset()

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.think_ns = typed_options(NoTxnOptions, options, "system kv-no-txn").think_ns

    def node_names(self) -> list[str]:
        return ["n1"]

    def setup(self, world: World) -> None:
        world.add_node("n1", KVNode)

    def client(self, world: World, process: int) -> NoTxnClient:
        return NoTxnClient(world, f"c{process}", self.think_ns)


ENTRY = SystemEntry(
    "kv-no-txn",
    "one linearizable KV node, but each micro-op of a txn is its own request (no "
    "multi-object transactions: the data-model baseline)",
    NoTxnSystem,
    {"think_ns": 2 * MS},
    ("documents", "graph", "relational"),
    settings=NoTxnOptions,
).declaring(
    scenarios=(Scenario("no-faults", (), "documents", hazard="multi-object-invariants"),),
    hazards=("multi-object-invariants",),
)
