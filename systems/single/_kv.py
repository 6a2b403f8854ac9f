"""One key-value node serving read/write/cas/append and transactions over messages.

The node is a state machine: a dict in memory, made durable by a write-ahead log on its
simulated disk.  With ``durable=True`` (the default) each mutation is appended to the log
and fsynced *before* the reply, so a crash loses nothing acknowledged.  The named unsafe
option ``durable=False`` replies first and syncs only every ``sync_every`` mutations --
the classic "acknowledge before fsync" bug, which a kill nemesis turns into lost writes.

Every acknowledged mutation's reply carries ``durable: true`` in both modes: the mark
models what the system *promises* (an acknowledged write survives a crash), and the
unsafe mode promises it falsely -- which ``checkers.invariants.check_durability`` holds it
to, as it does the storage engines' ``ack-before-fsync`` variants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import option, typed_options
from systems import KVClient, Scenario, SystemEntry
from systems.sim import Message, Runtime, World

LOG = "wal"


def _ok(value: Any = None) -> dict[str, Any]:
    return {"type": "ok", "value": value}


def _error(code: str, definite: bool, text: str = "") -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite, "text": text}


def apply_txn(data: dict[Any, Any], ops: list[list[Any]]) -> list[list[Any]]:
    """Apply micro-ops in order; return them completed (reads filled in)."""
    out = []
    for f, k, v in ops:
        if f == "r":
            out.append([f, k, data.get(k)])
        elif f == "w":
            data[k] = v
            out.append([f, k, v])
        elif f == "append":
            data[k] = [*data.get(k, []), v]
            out.append([f, k, v])
        else:
            raise ValueError(f"unknown micro-op {f!r}")
    return out


class KVNode:
    def __init__(self, durable: bool = True, sync_every: int = 8) -> None:
        self.data: dict[Any, Any] = {}
        #: per-key count of mutations: the version a reply reports, as evidence of order
        self.versions: dict[Any, int] = {}
        self.durable = durable
        self.sync_every = sync_every
        self.unsynced = 0

    def on_start(self, rt: Runtime) -> None:
        if rt.disk.exists(LOG):
            for line in rt.disk.read(LOG).splitlines():
                self._apply(json.loads(line))

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        handler = getattr(self, "_on_" + str(body.get("type")), None)
        if handler is None:
            rt.reply(msg, _error("unsupported", True, f"unknown request {body.get('type')!r}"))
            return
        rt.reply(msg, handler(rt, body))

    def _on_read(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        k = _key(body["key"])
        return {**_ok(self.data.get(k)), "version": self.versions.get(k, 0)}

    def _on_write(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        return self._log(rt, ["w", body["key"], body["value"]])

    def _on_append(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        return self._log(rt, ["append", body["key"], body["value"]])

    def _on_cas(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        old, new = body["value"]
        current = self.data.get(_key(body["key"]))
        if current != old:
            return _error("cas-mismatch", True, f"expected {old!r}, found {current!r}")
        return self._log(rt, ["w", body["key"], new])

    def _on_txn(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        ops = body["ops"]
        result = apply_txn(dict(self.data), ops)  # dry run for the reply
        writes = [op for op in ops if op[0] != "r"]
        if writes:
            return {**self._log(rt, ["txn", None, writes]), "value": result}
        return _ok(result)

    def _log(self, rt: Runtime, entry: list[Any]) -> dict[str, Any]:
        """Apply and log a mutation; the reply says its version and promises it is on disk
        (falsely, until the next fsync, when ``durable`` is off)."""
        self._apply(entry)
        rt.disk.append(LOG, (json.dumps(entry) + "\n").encode())
        self.unsynced += 1
        reply = _ok()
        if entry[0] != "txn":
            reply["version"] = self.versions[_key(entry[1])]
        if self.durable or self.unsynced >= self.sync_every:
            rt.disk.fsync(LOG)
            self.unsynced = 0
        reply["durable"] = True
        return reply

    def _apply(self, entry: list[Any]) -> None:
        f, k, v = entry
        mops = [[a, _key(b), c] for a, b, c in v] if f == "txn" else [[f, _key(k), v]]
        apply_txn(self.data, mops)
        for _, key, _ in mops:
            self.versions[key] = self.versions.get(key, 0) + 1


def _key(k: Any) -> Any:
    """JSON turns tuple keys into lists; keep keys hashable."""
    return tuple(k) if isinstance(k, list) else k


@dataclass(frozen=True)
class SingleOptions:
    """The single-node family's options (one declaration: types, defaults, help)."""

    durable: bool = option(True, help="fsync before acknowledging a write")
    timeout_ns: int = option(500_000_000, help="client request timeout (simulated ns)")


class SingleNodeSystem:
    name = "single-node"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = typed_options(SingleOptions, options, "system single-node")
        # acknowledging before fsync, a crash loses acknowledged writes: any guarantee can break
        self.claims = LINEARIZABLE_CLAIMS if self.settings.durable else frozenset()

    def node_names(self) -> list[str]:
        return ["n1"]

    def setup(self, world: World) -> None:
        durable = self.settings.durable
        world.add_node("n1", lambda: KVNode(durable=durable))

    def client(self, world: World, process: int) -> KVClient:
        return KVClient(world, f"c{process}", self.settings.timeout_ns)


LINEARIZABLE_CLAIMS = frozenset(
    {
        "linearizable",
        "strict-serializable",
        "serializable",
        "snapshot-isolation",
        "read-committed",
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
        "consistent-prefix",
        "durability",
    }
)

ENTRY = SystemEntry(
    "single-node",
    "one KV node, fsync before ack: linearizable and durable",
    SingleNodeSystem,
    {"durable": True},
    ("register", "list-append", "rw-register"),
    settings=SingleOptions,
)
ENTRY_UNSAFE = SystemEntry(
    "single-node-ack-before-fsync",
    "one KV node that acknowledges before fsync (named unsafe: loses writes on crash)",
    SingleNodeSystem,
    {"durable": False},
    ("register", "list-append", "rw-register"),
    settings=SingleOptions,
).declaring(
    # the writes lost are those acknowledged before their fsync, which the node (falsely)
    # marked durable: the durability checker catches them, linearizability too
    scenarios=(Scenario("kill", ("kill",), "register", hazard="durability"),),
    hazards=("durability",),
)
