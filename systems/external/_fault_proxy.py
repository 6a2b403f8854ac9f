"""A TCP fault proxy on loopback (in the spirit of Toxiproxy), written on trio.

Theory of operation
-------------------
A ``FaultProxy`` owns *links*.  A link listens on ``127.0.0.1:<port>`` and forwards each
accepted connection to an upstream ``127.0.0.1:<upstream_port>``: put one between clients
and a server, and one per ordered pair of cluster peers.  Each connection is two pumps,
``up`` (client to server) and ``down`` (server to client); each direction of a link has
its own faults, changeable while connections are open:

* ``mode``: ``pass``; ``blackhole`` -- bytes are not forwarded until the fault heals (the
  pump stops reading, so TCP flow control stalls the sender, as a partition that drops
  packets would while TCP keeps retransmitting); ``drop`` -- bytes are read and thrown
  away (data lost, connection open);
* ``latency_s``: each chunk waits this long before it is forwarded (order kept);
* ``bandwidth_bps``: chunks are paced to this many bytes per second;

and per link: ``reset()`` aborts every open connection with a TCP RST, and
``reject = True`` resets new connections as soon as they are accepted.

Per-source faults.  A link may carry connections dialled by several peers (a cluster
member has one peer URL for everyone).  A link given ``identify`` (a function of the
first bytes a client sends -- e.g. an HTTP request's header naming its sender -- to a
source name or ``None``) reads that header before forwarding anything, and each of the
connection's directions then also obeys ``link.source(name)``'s faults: ``mode`` of the
link or of the source, whichever is worse (``blackhole`` over ``drop`` over ``pass``).
So one link can blackhole what ``n1`` sends to ``n3`` while ``n2``'s traffic flows.

Only loopback: listeners bind 127.0.0.1 and upstreams must be 127.0.0.1.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import trio

LOOPBACK = "127.0.0.1"
CHUNK = 65536
MODES = ("pass", "blackhole", "drop")
#: bytes read at most, and seconds waited, for a connection's identifying header
HEADER_MAX, HEADER_WAIT_S = 16384, 5.0


@dataclass
class Direction:
    mode: str = "pass"
    latency_s: float = 0.0
    bandwidth_bps: float | None = None
    forwarded: int = 0
    dropped: int = 0


@dataclass
class Link:
    name: str
    upstream_port: int
    port: int = 0
    up: Direction = field(default_factory=Direction)
    down: Direction = field(default_factory=Direction)
    reject: bool = False
    connections: int = 0
    identify: Callable[[bytes], str | None] | None = None
    sources: dict[str, tuple[Direction, Direction]] = field(default_factory=dict)
    #: source name -> connections identified as dialled by it
    identified: dict[str, int] = field(default_factory=dict)
    _changed: trio.Event = field(default_factory=trio.Event)
    _open: set[tuple[trio.CancelScope, trio.SocketStream, trio.SocketStream]] = field(
        default_factory=set
    )

    # -- changing faults (any time, from any task of the proxy's trio run) -------------
    def directions(self, direction: str) -> list[Direction]:
        if direction not in ("up", "down", "both"):
            raise ValueError(f"direction is up, down or both, not {direction!r}")
        return [self.up, self.down] if direction == "both" else [getattr(self, direction)]

    def set(self, direction: str = "both", **faults: Any) -> None:
        """Set ``mode``, ``latency_s`` and/or ``bandwidth_bps`` of one or both directions."""
        if faults.get("mode", "pass") not in MODES:
            raise ValueError(f"mode is one of {MODES}, not {faults['mode']!r}")
        for d in self.directions(direction):
            for k, v in faults.items():
                if k not in ("mode", "latency_s", "bandwidth_bps"):
                    raise ValueError(f"unknown fault {k!r}")
                setattr(d, k, v)
        self._wake()

    def partition(self, direction: str = "both", mode: str = "blackhole") -> None:
        self.set(direction, mode=mode)

    def source(self, name: str) -> tuple[Direction, Direction]:
        """The (up, down) faults of connections dialled by source ``name``."""
        return self.sources.setdefault(name, (Direction(), Direction()))

    def set_source(self, name: str, direction: str, mode: str) -> None:
        """Set ``mode`` of one or both directions of ``name``'s connections."""
        if mode not in MODES:
            raise ValueError(f"mode is one of {MODES}, not {mode!r}")
        up, down = self.source(name)
        for d in {"up": [up], "down": [down], "both": [up, down]}[direction]:
            d.mode = mode
        self._wake()

    def heal(self) -> None:
        """Every fault of the link off (open connections resume)."""
        self.reject = False
        for up, down in self.sources.values():
            up.mode = down.mode = "pass"
        self.set("both", mode="pass", latency_s=0.0, bandwidth_bps=None)

    def reset(self) -> int:
        """Abort every open connection with a RST; return how many."""
        n = len(self._open)
        for scope, a, b in list(self._open):
            _rst(a)
            _rst(b)
            scope.cancel()
        return n

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    # -- forwarding ------------------------------------------------------------------
    async def _serve(self, client: trio.SocketStream) -> None:
        self.connections += 1
        if self.reject:
            _rst(client)
            await client.aclose()
            return
        try:
            server = await trio.open_tcp_stream(LOOPBACK, self.upstream_port)
        except OSError:
            _rst(client)
            await client.aclose()
            return
        entry = None
        try:
            with trio.CancelScope() as scope:
                entry = (scope, client, server)
                self._open.add(entry)
                first, (up, down) = await self._identify(client)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, client, server, self.up, up, first)
                    nursery.start_soon(self._pump, server, client, self.down, down)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            if entry is not None:
                self._open.discard(entry)
            await _close(client, server)

    async def _identify(self, client: trio.SocketStream) -> tuple[bytes, tuple[Direction, ...]]:
        """The first bytes read (to forward) and the per-source faults that apply."""
        if self.identify is None:
            return b"", (Direction(), Direction())
        head = b""
        with trio.move_on_after(HEADER_WAIT_S):
            while b"\r\n\r\n" not in head and len(head) < HEADER_MAX:
                data = await client.receive_some(CHUNK)
                if not data:
                    break
                head += data
        name = self.identify(head)
        if name is None:
            return head, (Direction(), Direction())
        self.identified[name] = self.identified.get(name, 0) + 1
        return head, self.source(name)

    async def _pump(
        self, src: trio.SocketStream, dst: trio.SocketStream, d: Direction,
        s: Direction, first: bytes = b"",
    ) -> None:  # fmt: skip
        try:
            if first:
                await self._forward(dst, d, s, first)
            while True:
                await self._while_blackholed(d, s)
                data = await src.receive_some(CHUNK)
                if not data:
                    await dst.send_eof()
                    return
                await self._forward(dst, d, s, data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return

    async def _forward(
        self, dst: trio.SocketStream, d: Direction, s: Direction, data: bytes
    ) -> None:
        await self._while_blackholed(d, s)
        if "drop" in (d.mode, s.mode):
            d.dropped += len(data)
            return
        if d.latency_s:
            await trio.sleep(d.latency_s)
        if d.bandwidth_bps:
            await trio.sleep(len(data) / d.bandwidth_bps)
        d.forwarded += len(data)
        await dst.send_all(data)

    async def _while_blackholed(self, *ds: Direction) -> None:
        while any(d.mode == "blackhole" for d in ds):
            await self._changed.wait()


def _rst(stream: trio.SocketStream) -> None:
    """Make the next close send a RST instead of a FIN."""
    with suppress(OSError):
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def _close(*streams: trio.SocketStream) -> None:
    for s in streams:
        with trio.CancelScope(shield=True):
            await s.aclose()


class FaultProxy:
    """Links on loopback, created and changed while the proxy runs (see module doc)."""

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self.links: dict[str, Link] = {}

    async def add_link(
        self, name: str, upstream_port: int, port: int = 0,
        identify: Callable[[bytes], str | None] | None = None,
    ) -> Link:  # fmt: skip
        """Listen on ``127.0.0.1:port`` (0: any free port) and forward to upstream;
        ``identify`` names each connection's source (see the module doc)."""
        if name in self.links:
            raise ValueError(f"link {name!r} exists")
        link = Link(name, upstream_port, identify=identify)
        listeners = await trio.open_tcp_listeners(port, host=LOOPBACK)
        link.port = listeners[0].socket.getsockname()[1]
        self._nursery.start_soon(trio.serve_listeners, link._serve, listeners)
        self.links[name] = link
        return link

    def link(self, name: str) -> Link:
        return self.links[name]

    def partition(self, names: list[str], direction: str = "both", mode: str = "blackhole") -> None:
        for n in names:
            self.links[n].partition(direction, mode)

    def heal(self) -> None:
        for link in self.links.values():
            link.heal()


@asynccontextmanager
async def open_fault_proxy() -> AsyncIterator[FaultProxy]:
    """A running proxy; its listeners and connections close when the block exits."""
    async with trio.open_nursery() as nursery:
        proxy = FaultProxy(nursery)
        try:
            yield proxy
        finally:
            for link in proxy.links.values():
                link.reset()
            nursery.cancel_scope.cancel()
