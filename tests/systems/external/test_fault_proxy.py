"""The loopback TCP fault proxy, against a small trio echo server (bounded; stops itself)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import trio

from systems.external import FaultProxy, Link, open_fault_proxy

WAIT = 0.3  # seconds to wait for bytes that must NOT arrive


async def _echo(stream: trio.SocketStream) -> None:
    try:
        async for data in stream:
            await stream.send_all(data)
    except trio.BrokenResourceError:
        pass


def _with_link(body: Callable[[FaultProxy, Link], Awaitable[None]]) -> None:
    async def main() -> None:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                listeners = await nursery.start(partial(trio.serve_tcp, _echo, 0, host="127.0.0.1"))
                port = listeners[0].socket.getsockname()[1]
                async with open_fault_proxy() as proxy:
                    link = await proxy.add_link("c->s", port)
                    await body(proxy, link)
                nursery.cancel_scope.cancel()

    trio.run(main)


async def _roundtrip(stream: trio.SocketStream, data: bytes, timeout: float = 5) -> bytes:
    await stream.send_all(data)
    got = b""
    with trio.move_on_after(timeout):
        while len(got) < len(data):
            chunk = await stream.receive_some(65536)
            if not chunk:
                break
            got += chunk
    return got


async def _connect(link: Link) -> trio.SocketStream:
    return await trio.open_tcp_stream("127.0.0.1", link.port)


def test_forwards_and_counts_bytes() -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        s = await _connect(link)
        assert await _roundtrip(s, b"hello") == b"hello"
        assert link.up.forwarded == 5 and link.down.forwarded == 5
        await s.aclose()

    _with_link(body)


@pytest.mark.parametrize("direction", ["up", "down", "both"])
def test_blackhole_holds_bytes_until_heal(direction: str) -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        s = await _connect(link)
        assert await _roundtrip(s, b"a") == b"a"
        proxy.partition(["c->s"], direction)
        assert await _roundtrip(s, b"bc", timeout=WAIT) == b""
        proxy.heal()
        got = b""
        with trio.move_on_after(5):
            while len(got) < 2:
                got += await s.receive_some(10)
        assert got == b"bc"  # held, not lost: TCP retransmits across a partition
        await s.aclose()

    _with_link(body)


def test_drop_loses_bytes_and_keeps_the_connection() -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        s = await _connect(link)
        link.partition("up", mode="drop")
        assert await _roundtrip(s, b"lost", timeout=WAIT) == b""
        link.heal()
        assert await _roundtrip(s, b"kept") == b"kept"
        assert link.up.dropped == 4
        await s.aclose()

    _with_link(body)


def test_latency_and_bandwidth_slow_the_link_down() -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        s = await _connect(link)
        link.set("up", latency_s=0.2)
        t0 = trio.current_time()
        assert await _roundtrip(s, b"x") == b"x"
        assert trio.current_time() - t0 >= 0.2
        link.set("up", latency_s=0.0, bandwidth_bps=1000.0)
        t0 = trio.current_time()
        assert await _roundtrip(s, b"y" * 200) == b"y" * 200
        assert trio.current_time() - t0 >= 0.2  # 200 bytes at 1000 B/s
        await s.aclose()

    _with_link(body)


def test_reset_and_reject_connections() -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        s = await _connect(link)
        assert await _roundtrip(s, b"1") == b"1"
        assert link.reset() == 1
        with pytest.raises((trio.BrokenResourceError, trio.ClosedResourceError, OSError)):
            for _ in range(50):
                await s.send_all(b"x")
                if not await s.receive_some(10):
                    raise trio.BrokenResourceError
                await trio.sleep(0.01)
        link.reject = True
        s2 = await _connect(link)
        got: Any = None
        with trio.move_on_after(5):
            try:
                got = await s2.receive_some(10)
            except trio.BrokenResourceError:
                got = b""
        assert got == b""
        link.heal()
        s3 = await _connect(link)
        assert await _roundtrip(s3, b"back") == b"back"
        for stream in (s, s2, s3):
            await stream.aclose()

    _with_link(body)


def test_only_loopback() -> None:
    async def body(proxy: FaultProxy, link: Link) -> None:
        assert link.port > 0
        with pytest.raises(ValueError):
            link.set("sideways", mode="drop")
        with pytest.raises(ValueError):
            link.set(mode="explode")

    _with_link(body)


async def _recv(stream: trio.SocketStream, n: int) -> bytes:
    got = b""
    with trio.move_on_after(5):
        while len(got) < n:
            got += await stream.receive_some(n - len(got))
    return got


def _from_header(head: bytes) -> str | None:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"from:"):
            return line[5:].strip().decode()
    return None


def test_per_source_faults_cut_one_dialler_and_not_another() -> None:
    """Guards per-source routing on one link (how etcd members are cut pairwise): the
    connection whose header names ``a`` is blackholed (up: nothing reaches the server;
    down: the echo does not come back) while ``b``'s connection on the same link flows;
    link-level faults still apply to identified connections, and heal clears both."""

    async def body(proxy: FaultProxy, link: Link) -> None:
        link.identify = _from_header
        a = await trio.open_tcp_stream("127.0.0.1", link.port)
        b = await trio.open_tcp_stream("127.0.0.1", link.port)
        head_a, head_b = b"GET / HTTP/1.1\r\nFrom: a\r\n\r\n", b"GET / HTTP/1.1\r\nFrom: b\r\n\r\n"
        assert await _roundtrip(a, head_a) == head_a
        assert await _roundtrip(b, head_b) == head_b
        assert link.identified == {"a": 1, "b": 1}
        link.set_source("a", "down", "blackhole")
        assert await _roundtrip(a, b"x", WAIT) == b""
        assert await _roundtrip(b, b"y") == b"y"
        link.set("both", mode="blackhole")
        assert await _roundtrip(b, b"z", WAIT) == b""
        link.heal()
        # the held-back bytes arrive first: send 1 more byte, expect 2
        assert await _roundtrip(a, b"w") + await _recv(a, 1) == b"xw"
        assert await _roundtrip(b, b"v") + await _recv(b, 1) == b"zv"
        await a.aclose()
        await b.aclose()

    _with_link(body)
