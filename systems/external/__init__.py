"""Real datastores as test subjects: PostgreSQL, SQLite, Redis, etcd (and their servers).

Public surface::

    REAL_ENTRIES          # SystemEntry per built-in real system (registered by name)
    RealSystem, BlockingClient, is_real, MissingServer   # the protocol (see _base)
    FaultProxy, Link, open_fault_proxy                   # loopback TCP fault proxy
    ProcessFaults, faketime_env, find_libfaketime, set_fake_offset   # process control

The fault mechanisms of real servers live here, in layer 2 beside the servers they act on;
``nemesis`` (layer 3) drives them through each system's fault abilities.

These entries run through ``ddialab.runner._real`` (real servers, real clock, blocking
clients in worker threads), never on the simulated world.  Their ``workloads`` tuple is
empty so the matrix, which simulates, leaves them out; the workloads each one runs are
in ``WORKLOADS`` below and in docs/external.md.  They are ``ENTRIES`` of this family
package, so the registry lists them like any other system; a user's own real system is
named ``package.module:ENTRY`` as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from systems import Scenario, SystemEntry
from systems.external._base import BlockingClient, MissingServer, RealSystem, is_real
from systems.external._fault_proxy import FaultProxy, Link, open_fault_proxy
from systems.external._options import (
    EtcdOptions,
    PostgresOptions,
    RedisOptions,
    RedisReplicaOptions,
    SQLiteOptions,
)
from systems.external._process import (
    ProcessFaults,
    faketime_env,
    find_libfaketime,
    set_fake_offset,
)

#: system name -> workloads it runs (for docs and tests; the matrix does not pair them)
WORKLOADS: dict[str, tuple[str, ...]] = {}


def _postgres(level: str) -> Any:
    def build(options: Mapping[str, Any]) -> Any:
        from systems.external._postgres import Postgres

        return Postgres(options, level)

    return build


def _lazy(module: str, cls: str) -> Any:
    def build(options: Mapping[str, Any]) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)(options)

    return build


_PG = "list-append", "rw-register", "bank", "register"
_SQL = "list-append", "rw-register", "bank"
#: name, description, factory, the options it reads (see ``_options``), workloads
_SPECS: list[tuple[str, str, Any, type, tuple[str, ...]]] = [
    ("postgres-read-committed", "PostgreSQL (psycopg 3) at READ COMMITTED",
     _postgres("read-committed"), PostgresOptions, _PG),
    ("postgres-repeatable-read", "PostgreSQL at REPEATABLE READ (snapshot isolation)",
     _postgres("repeatable-read"), PostgresOptions, _PG),
    ("postgres-serializable", "PostgreSQL at SERIALIZABLE (SSI)",
     _postgres("serializable"), PostgresOptions, _PG),
    ("sqlite", "SQLite (stdlib sqlite3), WAL mode, one connection per client",
     _lazy("systems.external._sqlite", "SQLite"), SQLiteOptions, _SQL),
    ("redis", "Redis, single node; cas with WATCH/MULTI",
     _lazy("systems.external._redis", "Redis"), RedisOptions, ("register",)),
    ("redis-replica", "Redis primary + replica; writes to the primary, reads from the replica",
     _lazy("systems.external._redis", "RedisReplica"), RedisReplicaOptions, ("register",)),
    ("etcd", "etcd 3-node cluster on loopback, peers through the fault proxy; JSON gateway",
     _lazy("systems.external._etcd", "Etcd"), EtcdOptions, ("register",)),
]  # fmt: skip

#: the Hermitage experiment (docs/external.md): 3 keys, 10 clients as fast as they go; each
#: level's history is checked against the level itself, so repeatable read's G2-item shows
HERMITAGE: dict[str, Any] = {"time_limit": 3.0, "rate": 1000.0, "concurrency": 10,
                             "op_timeout": 5.0}  # fmt: skip
_HERMITAGE_MODEL = {"postgres-repeatable-read": "repeatable-read"}


#: real faults (``nemesis/real.py``): SIGKILL/SIGSTOP of the server, partitions by proxy
FAULTS: dict[str, Any] = {"time_limit": 5.0, "rate": 200.0, "concurrency": 6,
                          "op_timeout": 1.0, "nemesis_interval": 1.0}  # fmt: skip


def _scenarios(name: str) -> dict[str, Any]:
    """The matrix's probes of a real system (``ddialab matrix --real``): PostgreSQL's rows
    are the Hermitage experiment plus its durability under SIGKILL (fsync on: it promises
    durability); etcd's linearizability is tried under partitions; the others run the
    common probes (their workloads, no faults)."""
    if name == "etcd":
        return {"scenarios": (Scenario("partition", ("partition",), "register", **FAULTS),)}
    if not name.startswith("postgres-"):
        return {}
    model = _HERMITAGE_MODEL.get(name)
    options = {"key_count": 3, **({"consistency_model": model} if model else {})}
    hermitage = Scenario("hermitage", (), "list-append", options, **HERMITAGE)
    kill = Scenario("kill", ("kill", "pause"), "register", **FAULTS)
    return {"scenarios": (hermitage, kill), "common_mix": False,
            "promises": frozenset({"durability"})}  # fmt: skip


REAL_ENTRIES = [
    SystemEntry(name, desc, f, {}, (), settings=settings, **_scenarios(name))
    for name, desc, f, settings, _ in _SPECS
]
WORKLOADS.update({name: w for name, _, _, _, w in _SPECS})
ENTRIES = REAL_ENTRIES


def workloads_of(entry: SystemEntry) -> tuple[str, ...]:
    """The workloads a system runs: its entry's, or for a built-in real datastore (whose
    entry lists none, so plain pairing leaves it out) the ones in ``WORKLOADS``."""
    return entry.workloads or WORKLOADS.get(entry.name, ())


__all__ = [
    "ENTRIES",
    "REAL_ENTRIES",
    "WORKLOADS",
    "BlockingClient",
    "FaultProxy",
    "Link",
    "MissingServer",
    "ProcessFaults",
    "RealSystem",
    "faketime_env",
    "find_libfaketime",
    "is_real",
    "open_fault_proxy",
    "set_fake_offset",
    "workloads_of",
]
