"""The named storage systems: safe engines and deliberately flawed variants.

Each entry is one ``StorageNode`` running one engine.  The safe entries claim what a
single durable node gives: linearizability (and the session guarantees it implies) and
durability.  The flawed entries are named for their bug and do not claim durability or
linearizability -- the tests show the suite catching each with a recorded seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from systems._protocols import SystemEntry
from systems.storage._bitcask import Bitcask
from systems.storage._disk import Disk
from systems.storage._node import Engine, StorageSystem


def _bitcask(disk: Disk, o: Mapping[str, Any]) -> Engine:
    return Bitcask(
        disk,
        segment_bytes=int(o.get("segment_bytes", 1024)),
        merge_fanout=int(o.get("merge_fanout", 3)),
        merge_batch=int(o.get("merge_batch", 16)),
        unsafe_tombstones=bool(o.get("unsafe_tombstones", False)),
    )


ENGINES: dict[str, Callable[[Disk, Mapping[str, Any]], Engine]] = {"bitcask": _bitcask}


def make_engine(name: str, disk: Disk, **options: Any) -> Engine:
    return ENGINES[name](disk, options)


SAFE_CLAIMS = frozenset(
    {
        "linearizable",
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
        "consistent-prefix",
        "durability",
    }
)
FLAWED_CLAIMS = SAFE_CLAIMS - {"linearizable", "durability"}
WORKLOADS = ("register", "kv-delete")


def _entry(name: str, text: str, defaults: dict[str, Any], safe: bool = True) -> SystemEntry:
    claims = SAFE_CLAIMS if safe else FLAWED_CLAIMS
    factory = partial(_system, name=name, claims=claims)
    return SystemEntry(name, text, factory, claims, defaults, WORKLOADS)


def _system(options: Mapping[str, Any], name: str, claims: frozenset[str]) -> StorageSystem:
    return StorageSystem(options, name, claims, ENGINES)


ENTRIES = [
    _entry(
        "bitcask",
        "log-structured hash index (Bitcask): fsync per write, merges keep tombstones",
        {"engine": "bitcask", "mode": "sync"},
    ),
    _entry(
        "bitcask-group-commit",
        "Bitcask with group commit: one fsync per batch, replies held until it",
        {"engine": "bitcask", "mode": "group"},
    ),
    _entry(
        "bitcask-ack-before-fsync",
        "Bitcask that replies before fsync (named unsafe: loses acknowledged writes)",
        {"engine": "bitcask", "mode": "ack-before-fsync"},
        safe=False,
    ),
    _entry(
        "bitcask-unsafe-tombstones",
        "Bitcask whose merges drop tombstones from non-oldest segments (named unsafe: "
        "deleted keys come back after a restart)",
        {"engine": "bitcask", "mode": "sync", "unsafe_tombstones": True},
        safe=False,
    ),
]
