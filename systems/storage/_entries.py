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
from systems.storage._btree import BTree
from systems.storage._disk import Disk
from systems.storage._lsm import LSMTree
from systems.storage._node import Engine, StorageSystem


def _bitcask(disk: Disk, o: Mapping[str, Any]) -> Engine:
    return Bitcask(
        disk,
        segment_bytes=int(o.get("segment_bytes", 1024)),
        merge_fanout=int(o.get("merge_fanout", 3)),
        merge_batch=int(o.get("merge_batch", 16)),
        major_every=int(o.get("major_every", 2)),
        unsafe_tombstones=bool(o.get("unsafe_tombstones", False)),
    )


def _lsm(disk: Disk, o: Mapping[str, Any]) -> Engine:
    return LSMTree(
        disk,
        memtable_bytes=int(o.get("memtable_bytes", 512)),
        bits_per_key=float(o.get("bits_per_key", 10)),
        block_entries=int(o.get("block_entries", 8)),
        fanout=int(o.get("fanout", 4)),
        batch=int(o.get("batch", 16)),
        wal=bool(o.get("wal", True)),
        compaction=str(o.get("compaction", "tiered")),
        level_bytes=int(o.get("level_bytes", 0)),
        table_bytes=int(o.get("table_bytes", 0)),
    )


def _btree(disk: Disk, o: Mapping[str, Any]) -> Engine:
    return BTree(
        disk,
        page_size=int(o.get("page_size", 256)),
        cache_pages=int(o.get("cache_pages", 16)),
        dirty_limit=int(o.get("dirty_limit", 8)),
        wal_limit=int(o.get("wal_limit", 256 * 1024)),
    )


ENGINES: dict[str, Callable[[Disk, Mapping[str, Any]], Engine]] = {
    "bitcask": _bitcask,
    "lsm": _lsm,
    "btree": _btree,
}


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
    _entry(
        "lsm",
        "LSM tree: WAL fsync per write, SSTables with sparse index and Bloom filter, "
        "size-tiered compaction",
        {"engine": "lsm", "mode": "sync"},
    ),
    _entry(
        "lsm-group-commit",
        "LSM tree with group commit: one WAL fsync per batch, replies held until it",
        {"engine": "lsm", "mode": "group"},
    ),
    _entry(
        "lsm-leveled",
        "LSM tree with leveled compaction (L0 + non-overlapping levels, 10x per level)",
        {"engine": "lsm", "mode": "sync", "compaction": "leveled"},
    ),
    _entry(
        "lsm-no-wal",
        "LSM tree whose memtable has no write-ahead log (named unsafe: a crash loses "
        "every acknowledged write not yet flushed)",
        {"engine": "lsm", "mode": "sync", "wal": False},
        safe=False,
    ),
    _entry(
        "btree",
        "B-tree of fixed-size pages: redo log fsync per write, page cache, checkpoints",
        {"engine": "btree", "mode": "sync"},
    ),
    _entry(
        "btree-group-commit",
        "B-tree with group commit: one redo-log fsync per batch, replies held until it",
        {"engine": "btree", "mode": "group"},
    ),
]
