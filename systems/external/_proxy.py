"""The loopback fault proxy (``_fault_proxy``) in a thread of its own, for blocking code.

A real system's ``setup``/``teardown`` and faults run outside any trio run (or in another
run's worker threads); ``ProxyThread`` runs ``open_fault_proxy()`` in its own ``trio.run``
on a daemon thread and exposes blocking calls into it.
"""

from __future__ import annotations

import threading
from typing import Any

import trio


class ProxyThread:
    def __init__(self) -> None:
        self._ready = threading.Event()
        self._proxy: Any = None
        self._token: Any = None
        self._stop: trio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(30) or self._proxy is None:
            raise RuntimeError(f"the fault proxy did not start: {self._error!r}")

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as e:  # reported by __init__ or close
            self._error = e
            self._ready.set()

    async def _serve(self) -> None:
        from systems.external._fault_proxy import open_fault_proxy

        async with open_fault_proxy() as proxy:
            self._proxy, self._stop = proxy, trio.Event()
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set()
            await self._stop.wait()

    def add_link(self, name: str, upstream_port: int, identify: Any = None) -> int:
        """A new link to ``127.0.0.1:upstream_port``; returns the port it listens on."""
        add, token = self._proxy.add_link, self._token
        link = trio.from_thread.run(add, name, upstream_port, 0, identify, trio_token=token)
        return int(link.port)

    def call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """``fn(proxy, *args, **kw)`` in the proxy's trio thread (links change there)."""
        token = self._token
        return trio.from_thread.run_sync(lambda: fn(self._proxy, *args, **kw), trio_token=token)

    def close(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(10)
