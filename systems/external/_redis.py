"""Redis as a test subject (redis-py, blocking): a register store with WATCH/MULTI cas.

Theory of operation
-------------------
``Redis``: one ``redis-server`` on a free 127.0.0.1 port, persisting to an append-only
file fsynced before every reply (``appendonly yes``, ``appendfsync always``), so an ok
``write`` is durable: its completion says so (``durable: true``) and the durability
checker (run with ``--nemesis kill``) holds the restarted server to it.  The register
workload's ops: ``read`` is ``GET``; ``write`` is ``SET``; ``cas [old, new]`` is ``WATCH
k; GET k``, then ``UNWATCH`` and ``fail`` if the value is not ``old``, else ``MULTI; SET;
EXEC`` -- an ``EXEC`` refused because ``k`` changed (``WatchError``) is a definite
``fail``.  A connection error or timeout is ``fail`` for a read (it changed nothing) and
``info`` for a write or cas (it may have happened).

``RedisReplica``: a primary and a replica (``--replicaof``), the replica's replication
connection going through the loopback fault proxy with ``lag_s`` (default 0.05) of
latency; writes and cas go to the primary, reads to the replica.  Redis replication is
asynchronous, so reads are stale and the history is not linearizable; the entry claims
nothing, and the register workload's linearizability checker shows it.

Faults (``nemesis.real``): ``kill`` (SIGKILL; restart on the same port and directory, so
the AOF is replayed and a replica resyncs) and ``pause`` (SIGSTOP/SIGCONT) of any node,
primary or replica (``kill-primary``: ``primaries()`` is the primary).  Driver timeouts:
``socket_timeout`` is ``--op-timeout`` (system option ``socket_timeout_s`` overrides), and
``cancel()`` disconnects the client's connections, which aborts a blocked request.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

from systems.external._base import (
    ProcessAbilities,
    done,
    find_binary,
    free_port,
    stop_process,
    wait_until,
)
from systems.external._options import RedisOptions, RedisReplicaOptions, settings_of, timeout_s

INSTALL = "apt-get install redis-server (Debian/Ubuntu), then re-run"


class RedisServer:
    def __init__(self, workdir: str, name: str) -> None:
        self.dir = os.path.join(workdir, name)
        self.log = os.path.join(workdir, f"{name}.log")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra: tuple[str, ...] = ()

    def start(self, *extra: str) -> int:
        """Start (or restart, with the same arguments) the server; return its pid."""
        binary = find_binary("redis-server", install=INSTALL)
        os.makedirs(self.dir, exist_ok=True)
        self.extra = extra or self.extra
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir,
             "--logfile", self.log, "--daemonize", "no", *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._ready, 30, "redis-server", self.proc)
        return self.proc.pid

    def _ready(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)


class Redis(ProcessAbilities):
    real_datastore = True
    name = "redis"
    claims = frozenset({"linearizable"})

    settings_class: type[RedisOptions] = RedisOptions

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.settings, facts = settings_of(self.settings_class, options, self.name)
        self.timeout = timeout_s(self.settings.socket_timeout_s, facts, 1.0)
        self.servers: dict[str, RedisServer] = {}
        self.faults: Any = None

    def node_names(self) -> list[str]:
        return ["r1"]

    def primaries(self, world: Any) -> list[str]:
        return self.node_names()[:1]

    def setup(self, workdir: str) -> None:
        self.servers["r1"] = RedisServer(workdir, "r1")
        self.servers["r1"].start()
        self._track()

    def _track(self) -> None:
        from systems.external._process import ProcessFaults

        pids = {n: s.proc.pid for n, s in self.servers.items() if s.proc is not None}
        self.faults = ProcessFaults(pids, lambda n: self.servers[n].start())

    def after_kill(self, node: str) -> None:
        proc = self.servers[node].proc
        if proc is not None:
            proc.poll()  # ProcessFaults reaped it; let Popen know

    def teardown(self) -> None:
        self.resume_all()
        for server in self.servers.values():
            server.stop()

    def log_files(self) -> dict[str, str]:
        return {f"{n}.log": s.log for n, s in self.servers.items()}

    def client(self, process: int) -> RedisClient:
        port = self.servers["r1"].port
        return RedisClient(port, port, self.timeout)


class RedisReplica(Redis):
    name = "redis-replica"
    claims: frozenset[str] = frozenset()

    settings_class = RedisReplicaOptions

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        assert isinstance(self.settings, RedisReplicaOptions)
        self.lag = self.settings.lag_s
        self.proxy: Any = None

    def node_names(self) -> list[str]:
        return ["primary", "replica"]

    def setup(self, workdir: str) -> None:
        from systems.external._proxy import ProxyThread

        primary = self.servers["primary"] = RedisServer(workdir, "primary")
        primary.start()
        self.proxy = ProxyThread()
        port = self.proxy.add_link("replication", primary.port)
        self.proxy.call(lambda p: p.link("replication").set("down", latency_s=self.lag))
        replica = self.servers["replica"] = RedisServer(workdir, "replica")
        replica.start("--replicaof", "127.0.0.1", str(port))
        wait_until(lambda: _in_sync(replica.port), 30, "redis replica")
        self._track()

    def teardown(self) -> None:
        super().teardown()
        if self.proxy is not None:
            self.proxy.close()

    def client(self, process: int) -> RedisClient:
        return RedisClient(self.servers["primary"].port, self.servers["replica"].port, self.timeout)


def _in_sync(port: int) -> bool:
    import redis

    info = redis.Redis(port=port, socket_timeout=1).info("replication")
    return info.get("master_link_status") == "up"


class RedisClient:
    def __init__(self, write_port: int, read_port: int, timeout: float) -> None:
        self.ports = write_port, read_port
        self.timeout = timeout
        self.w: Any = None
        self.r: Any = None

    def open(self, node: str) -> None:
        self.w = _connect(self.ports[0], self.timeout)
        same = self.ports[0] == self.ports[1]
        self.r = self.w if same else _connect(self.ports[1], self.timeout)

    def close(self) -> None:
        for conn in {id(c): c for c in (self.w, self.r) if c is not None}.values():
            conn.close()

    def cancel(self) -> None:
        for conn in {id(c): c for c in (self.w, self.r) if c is not None}.values():
            conn.connection_pool.disconnect(inuse_connections=True)

    def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        import redis

        f, (k, v) = op["f"], op["value"]
        try:
            if f == "read":
                raw = self.r.get(f"k{k}")
                return done("ok", [k, None if raw is None else int(raw)])
            if f == "write":
                self.w.set(f"k{k}", v)
                return {**done("ok", [k, v]), "durable": True}
            if f == "cas":
                return self._cas(k, v)
        except redis.WatchError:
            return done("fail", [k, v], "watch-conflict")
        except redis.RedisError as e:
            return done("fail" if f == "read" else "info", [k, v], f"{type(e).__name__}: {e}")
        return done("fail", [k, v], f"unknown-f:{f}")

    def _cas(self, k: Any, v: list[Any]) -> dict[str, Any]:
        old, new = v
        with self.w.pipeline() as pipe:
            pipe.watch(f"k{k}")
            raw = pipe.get(f"k{k}")
            if (None if raw is None else int(raw)) != old:
                pipe.unwatch()
                return done("fail", [k, v], "cas-mismatch")
            pipe.multi()
            pipe.set(f"k{k}", new)
            pipe.execute()
        return done("ok", [k, v])


def _connect(port: int, timeout: float) -> Any:
    """A client that never retries on its own.

    redis-py (8.x) resends a command up to 10 times after a connection error or timeout.
    A resent SET can land after a later write by another client, so one acknowledged write
    would take effect twice: a history no single-copy register allows, blamed on Redis.
    An op that loses its connection is ``info`` here, exactly once.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
