"""etcd as a test subject: a 3-node cluster on loopback, its JSON gateway via httpx.

Theory of operation
-------------------
Each node ``n1..n3`` listens for clients on a free 127.0.0.1 port and for peers on
another; every peer connection *to* a node goes through the loopback fault proxy
(``_fault_proxy``, in a thread of its own: ``ProxyThread``): the node advertises the
proxy link's port as its peer URL, so all raft traffic crosses the proxy.

The register workload over the v3 JSON gateway (``/v3/kv/...``, keys and values base64):
``read`` is a linearizable ``range``; ``write`` a ``put``; ``cas [old, new]`` a ``txn``
comparing the value (or, for ``None``, ``create_revision == 0``) and putting ``new`` if
it matches -- ``succeeded: false`` is a definite ``fail``.  A request that could not
connect is ``fail``; any other error or timeout is ``fail`` for a read and ``info`` for a
write or cas.

Faults (``nemesis.real``): SIGKILL and restart on the same data directory, SIGSTOP/SIGCONT
(``_process.ProcessFaults``), and ``cut(grudge)`` -- any partition kind: halves,
majorities ring, bridge, one-way.  A member has one peer URL for all its peers, so one
link per (source, destination) port cannot be advertised; instead the link to member
``B`` carries every peer's connections to ``B``, and identifies each connection's dialler
by the ``X-Server-From`` header (its member id) that etcd's raft transport puts on every
stream and pipeline request.  "``B`` does not hear ``A``" then blackholes the *up*
direction of ``A``'s connections on ``B``'s link (``A``'s requests and pipelined
messages) and the *down* direction of ``B``'s connections on ``A``'s link (the stream
``A`` writes to ``B`` in the response).  Connections without the header (liveness probes)
are never cut.
"""

from __future__ import annotations

import base64
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
from systems.external._options import EtcdOptions, settings_of, timeout_s

INSTALL = "apt-get install etcd-server (Debian/Ubuntu), then re-run"
NODES = ("n1", "n2", "n3")


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def sender(head: bytes) -> str | None:
    """The member id in an etcd peer request's ``X-Server-From`` header, if any."""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-server-from":
            return value.strip().decode("ascii", "replace")
    return None


class Etcd(ProcessAbilities):
    real_datastore = True
    name = "etcd"
    claims = frozenset({"linearizable"})

    def __init__(self, options: Mapping[str, Any]) -> None:
        settings, facts = settings_of(EtcdOptions, options, self.name)
        self.timeout = timeout_s(settings.request_timeout_s, facts, 1.0)
        self.client_ports = {n: free_port() for n in NODES}
        self.peer_ports = {n: free_port() for n in NODES}
        self.link_ports: dict[str, int] = {}
        self.member_ids: dict[str, str] = {}  # name -> hex member id (as in X-Server-From)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.workdir = ""
        self.proxy: Any = None
        self.faults: Any = None

    def node_names(self) -> list[str]:
        return list(NODES)

    def setup(self, workdir: str) -> None:
        from systems.external._process import ProcessFaults
        from systems.external._proxy import ProxyThread

        find_binary("etcd", install=INSTALL)
        self.workdir = workdir
        self.proxy = ProxyThread()
        for n in NODES:
            self.link_ports[n] = self.proxy.add_link(n, self.peer_ports[n], sender)
        pids = {n: self._spawn(n) for n in NODES}
        self.faults = ProcessFaults(pids, self._spawn)
        wait_until(self._healthy, 60, "etcd cluster")
        self.member_ids = self._members()

    def _members(self) -> dict[str, str]:
        import httpx

        url = f"http://127.0.0.1:{self.client_ports['n1']}/v3/cluster/member/list"
        members = httpx.post(url, json={}, timeout=5.0).json()["members"]
        return {m["name"]: format(int(m["ID"]), "x") for m in members}

    def _spawn(self, n: str) -> int:
        cluster = ",".join(f"{m}=http://127.0.0.1:{self.link_ports[m]}" for m in NODES)
        client = f"http://127.0.0.1:{self.client_ports[n]}"
        log = open(os.path.join(self.workdir, f"{n}.log"), "ab")  # noqa: SIM115
        self.procs[n] = subprocess.Popen(
            [find_binary("etcd", install=INSTALL), "--name", n,
             "--data-dir", os.path.join(self.workdir, n),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_ports[n]}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.link_ports[n]}",
             "--initial-cluster", cluster, "--initial-cluster-state", "new",
             "--initial-cluster-token", "ddialab", "--heartbeat-interval", "50",
             "--election-timeout", "500", "--logger", "zap", "--log-outputs", "stderr"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        return self.procs[n].pid

    def _healthy(self) -> bool:
        client = EtcdClient(self.client_ports, 1.0)
        client.open("n1")
        try:
            return client.invoke({"f": "read", "value": ["health", None]})["type"] == "ok"
        finally:
            client.close()

    def teardown(self) -> None:
        self.resume_all()
        for proc in self.procs.values():
            stop_process(proc)
        if self.proxy is not None:
            self.proxy.close()

    def log_files(self) -> dict[str, str]:
        return {f"{n}.log": os.path.join(self.workdir, f"{n}.log") for n in NODES}

    def client(self, process: int) -> EtcdClient:
        return EtcdClient(self.client_ports, self.timeout)

    # -- faults (kill/start/pause/resume: ProcessAbilities) ------------------------------
    def after_kill(self, node: str) -> None:
        self.procs[node].wait(10)  # sets its return code (ProcessFaults reaped it)

    def cut(self, grudge: Mapping[str, Any]) -> None:
        """``grudge``: node -> the nodes it must not hear from (see module doc)."""
        ids = self.member_ids

        def apply(proxy: Any) -> None:
            for dst, srcs in grudge.items():
                for src in srcs:
                    proxy.link(dst).set_source(ids[src], "up", "blackhole")
                    proxy.link(src).set_source(ids[dst], "down", "blackhole")

        self.proxy.call(apply)

    def heal(self) -> None:
        self.proxy.call(lambda p: p.heal())


class EtcdClient:
    def __init__(self, ports: Mapping[str, int], timeout: float) -> None:
        self.ports, self.timeout = ports, timeout
        self.http: Any = None

    def open(self, node: str) -> None:
        import httpx

        base = f"http://127.0.0.1:{self.ports[node]}"
        self.http = httpx.Client(base_url=base, timeout=self.timeout)

    def close(self) -> None:
        if self.http is not None:
            self.http.close()

    def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        import httpx

        f, (k, v) = op["f"], op["value"]
        try:
            if f == "read":
                return done("ok", [k, self._get(k)])
            if f == "write":
                self._post("/v3/kv/put", {"key": _b64(f"k{k}"), "value": _b64(str(v))})
                # etcd acknowledges a put once a majority has fsynced it to the raft WAL
                # (it runs without --unsafe-no-fsync here), so the write is durable
                return {**done("ok", [k, v]), "durable": True}
            if f == "cas":
                return self._cas(k, v)
        except httpx.ConnectError as e:
            return done("fail", [k, v], f"connect: {e}")
        except (httpx.HTTPError, EtcdError) as e:
            return done("fail" if f == "read" else "info", [k, v], f"{type(e).__name__}: {e}")
        return done("fail", [k, v], f"unknown-f:{f}")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(path, json=body)
        data: dict[str, Any] = r.json() if r.content else {}
        if r.status_code != 200 or "error" in data:
            raise EtcdError(data.get("error") or data.get("message") or r.status_code)
        return data

    def _get(self, k: Any) -> Any:
        kvs = self._post("/v3/kv/range", {"key": _b64(f"k{k}")}).get("kvs") or []
        return int(base64.b64decode(kvs[0]["value"])) if kvs else None

    def _cas(self, k: Any, v: list[Any]) -> dict[str, Any]:
        old, new = v
        key = _b64(f"k{k}")
        compare = (
            {"key": key, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}
            if old is None
            else {"key": key, "target": "VALUE", "result": "EQUAL", "value": _b64(str(old))}
        )
        put = {"request_put": {"key": key, "value": _b64(str(new))}}
        reply = self._post("/v3/kv/txn", {"compare": [compare], "success": [put]})
        if reply.get("succeeded"):
            return done("ok", [k, v])
        return done("fail", [k, v], "cas-mismatch")


class EtcdError(Exception):
    pass
