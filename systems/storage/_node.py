"""The storage engines as simulated single-node KV systems the runner can test.

``StorageNode`` owns one engine over the node's ``SimDisk`` and serves the KV message
vocabulary (``read``, ``write``, ``cas``, ``delete``; a ``write`` of ``null`` is a delete).
Background work -- Bitcask merges, LSM flushes and compactions, B-tree checkpoints -- is
one ``compact_step()`` per ``maintenance`` timer, so the kill nemesis can crash a node
between any two steps of a merge, flush or compaction.

Durability modes (the engine's declared contract):

* ``sync`` -- each mutation is fsynced before its reply;
* ``group`` -- group commit: mutations are applied and replies are held; a timer every
  ``group_commit_ms`` fsyncs once and releases every held reply.  While a group is open
  *all* replies wait (reads too), so nothing unsynced is ever observed by a client;
* ``ack-before-fsync`` -- the named unsafe mode: reply at once, fsync every
  ``sync_every`` mutations.

Every acknowledged mutation's reply carries ``durable: true`` -- the engine's promise that
it survives a crash, which ``checkers.invariants.check_durability`` holds it to (the
unsafe variants make the same promise and break it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from systems import KVClient, completion_for, request_for
from systems.sim import MS, Message, RequestTimeout, Runtime, World
from systems.storage._disk import Disk
from systems.storage._errors import CorruptionError, TooLarge
from systems.storage._record import key_bytes, value_bytes, value_from_bytes


class Engine(Protocol):
    """A single-node KV engine over bytes.  ``sync=True`` (or ``sync()``): on return this
    write and every earlier one is durable; ``sync=False`` leaves them to a later sync."""

    contract: str

    def get(self, key: bytes) -> bytes | None: ...
    def put(self, key: bytes, value: bytes, sync: bool = True) -> None: ...
    def delete(self, key: bytes, sync: bool = True) -> None: ...
    def sync(self) -> None: ...
    def needs_compaction(self) -> bool: ...
    def compact_step(self) -> bool: ...


EngineFactory = Callable[[Disk], Engine]


def _ok(value: Any = None, durable: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "ok", "value": value}
    if durable:
        body["durable"] = True
    return body


def _error(code: str, definite: bool, text: str = "") -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite, "text": text}


class StorageNode:
    def __init__(
        self,
        make_engine: EngineFactory,
        mode: str = "sync",
        tick_ms: float = 20,
        group_commit_ms: float = 5,
        sync_every: int = 8,
    ) -> None:
        self.make_engine = make_engine
        self.mode = mode
        self.tick_ns = int(tick_ms * MS)
        self.group_ns = int(group_commit_ms * MS)
        self.sync_every = sync_every
        self.engine: Engine | None = None
        self.failed: str | None = None
        self.unsynced = 0
        self.held: list[tuple[Message, dict[str, Any]]] = []

    def on_start(self, rt: Runtime) -> None:
        try:
            self.engine = self.make_engine(rt.disk)
        except CorruptionError as e:
            self.failed = f"recovery found corruption: {e}"
            return
        rt.set_timer(self.tick_ns, "maintenance")

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        if self.engine is None:
            return
        if name == "group-commit":
            self._release(rt)
            return
        try:
            if self.engine.needs_compaction():
                self.engine.compact_step()
        except CorruptionError as e:
            self.failed = f"compaction found corruption: {e}"
            return
        rt.set_timer(self.tick_ns, "maintenance")

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        handler = getattr(self, "_on_" + str(body.get("type")), None)
        if handler is None:
            rt.reply(msg, _error("unsupported", True, f"unknown request {body.get('type')!r}"))
            return
        if self.engine is None or self.failed:
            rt.reply(msg, _error("unavailable", True, self.failed or "not started"))
            return
        try:
            reply, wrote = handler(self.engine, body)
        except CorruptionError as e:
            self.failed = str(e)
            reply, wrote = _error("corruption", False, str(e)), False
        except TooLarge as e:
            reply, wrote = _error("too-large", True, str(e)), False
        self._respond(rt, msg, reply, wrote)

    def _respond(self, rt: Runtime, msg: Message, reply: dict[str, Any], wrote: bool) -> None:
        if self.mode == "group" and (wrote or self.held):
            if not self.held:
                rt.set_timer(self.group_ns, "group-commit")
            self.held.append((msg, reply))
            return
        if wrote and self.mode == "ack-before-fsync":
            self.unsynced += 1
            if self.unsynced >= self.sync_every:
                self._sync()
        rt.reply(msg, reply)

    def _release(self, rt: Runtime) -> None:
        self._sync()
        held, self.held = self.held, []
        for msg, reply in held:
            rt.reply(msg, reply)

    def _sync(self) -> None:
        assert self.engine is not None
        self.engine.sync()
        self.unsynced = 0

    @property
    def _sync_each(self) -> bool:
        return self.mode == "sync"

    def _on_read(self, e: Engine, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        raw = e.get(key_bytes(body["key"]))
        return _ok(None if raw is None else value_from_bytes(raw)), False

    def _on_write(self, e: Engine, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        self._put(e, body["key"], body["value"])
        return _ok(durable=True), True

    def _on_delete(self, e: Engine, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        self._put(e, body["key"], None)
        return _ok(durable=True), True

    def _on_cas(self, e: Engine, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        old, new = body["value"]
        raw = e.get(key_bytes(body["key"]))
        current = None if raw is None else value_from_bytes(raw)
        if current != old:
            return _error("cas-mismatch", True, f"expected {old!r}, found {current!r}"), False
        self._put(e, body["key"], new)
        return _ok(durable=True), True

    def _put(self, e: Engine, key: Any, value: Any) -> None:
        k = key_bytes(key)
        if value is None:
            e.delete(k, sync=self._sync_each)
        else:
            e.put(k, value_bytes(value), sync=self._sync_each)


class StorageClient(KVClient):
    """``KVClient`` that keeps the reply's ``durable`` mark on the completion."""

    sim_inline = True  # awaits only endpoint.request, as KVClient

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        try:
            reply = await self.endpoint.request(self.node, request_for(op), self.timeout_ns)
        except RequestTimeout:
            return {"type": "info", "value": op.get("value"), "error": "timeout"}
        out = completion_for(op, reply)
        if reply.get("durable"):
            out["durable"] = True
        return out


class StorageSystem:
    """One storage node; ``options["engine"]`` names the engine, the rest configure it."""

    def __init__(
        self,
        options: Mapping[str, Any],
        name: str,
        claims: frozenset[str],
        engines: Mapping[str, Callable[[Disk, Mapping[str, Any]], Engine]],
        settings: Any,
    ) -> None:
        self.options = dict(options)
        self.name = name
        self.claims = claims
        #: the typed options (``StorageOptions``: engine, mode, tick_ms, ...)
        self.settings = settings
        self.build = engines[settings.engine]

    def node_names(self) -> list[str]:
        return ["n1"]

    def setup(self, world: World) -> None:
        o, s = self.options, self.settings
        world.add_node(
            "n1",
            lambda: StorageNode(
                lambda disk: self.build(disk, o),
                mode=s.mode,
                tick_ms=s.tick_ms,
                group_commit_ms=s.group_commit_ms,
                sync_every=s.sync_every,
            ),
        )

    def client(self, world: World, process: int) -> StorageClient:
        return StorageClient(world, f"c{process}", self.settings.timeout_ns)
