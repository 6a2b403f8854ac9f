"""The named storage systems: safe engines and deliberately flawed variants.

Each entry is one ``StorageNode`` running one engine.  The safe entries claim what a
single durable node gives: linearizability (and the session guarantees it implies) and
durability.  The flawed entries are named for their bug and do not claim durability or
linearizability -- the tests show the suite catching each with a recorded seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from ddialab.vocabulary import option, typed_options
from systems import Scenario, SystemEntry
from systems.storage._bitcask import Bitcask
from systems.storage._btree import BTree
from systems.storage._disk import Disk
from systems.storage._lsm import LSMTree
from systems.storage._node import Engine, StorageSystem


@dataclass(frozen=True)
class StorageOptions:
    """The storage family's options: the node's, then each engine's (one declaration)."""

    engine: str = option("bitcask", choices=("bitcask", "lsm", "btree"))
    mode: str = option(
        "sync",
        choices=("sync", "group", "ack-before-fsync"),
        help="fsync before each ack, batched (group commit), or ack before fsync (unsafe)",
    )
    tick_ms: float = 20.0
    group_commit_ms: float = 5.0
    sync_every: int = 8
    timeout_ns: int = option(500_000_000, help="client request timeout (simulated ns)")
    # bitcask
    segment_bytes: int = 1024
    merge_fanout: int = 3
    merge_batch: int = 16
    major_every: int = 2
    unsafe_tombstones: bool = option(False, help="bitcask merge drops tombstones too early")
    # lsm
    memtable_bytes: int = 512
    bits_per_key: float = 10.0
    block_entries: int = 8
    fanout: int = 4
    batch: int = 16
    wal: bool = option(True, help="LSM write-ahead log (without it, a crash loses the memtable)")
    compaction: str = option("tiered", choices=("tiered", "leveled"), help="LSM compaction")
    level_bytes: int = 0
    table_bytes: int = 0
    # btree
    page_size: int = 256
    cache_pages: int = 16
    dirty_limit: int = 8
    wal_limit: int = 256 * 1024


def storage_options(options: Mapping[str, Any], owner: str = "storage") -> StorageOptions:
    """The options as ``StorageOptions`` (``OptionError`` on an undeclared or bad one)."""
    return typed_options(StorageOptions, options, f"system {owner}")


def _bitcask(disk: Disk, options: Mapping[str, Any]) -> Engine:
    o = storage_options(options)
    return Bitcask(
        disk,
        segment_bytes=o.segment_bytes,
        merge_fanout=o.merge_fanout,
        merge_batch=o.merge_batch,
        major_every=o.major_every,
        unsafe_tombstones=o.unsafe_tombstones,
    )


def _lsm(disk: Disk, options: Mapping[str, Any]) -> Engine:
    o = storage_options(options)
    return LSMTree(
        disk,
        memtable_bytes=o.memtable_bytes,
        bits_per_key=o.bits_per_key,
        block_entries=o.block_entries,
        fanout=o.fanout,
        batch=o.batch,
        wal=o.wal,
        compaction=o.compaction,
        level_bytes=o.level_bytes,
        table_bytes=o.table_bytes,
    )


def _btree(disk: Disk, options: Mapping[str, Any]) -> Engine:
    o = storage_options(options)
    return BTree(
        disk,
        page_size=o.page_size,
        cache_pages=o.cache_pages,
        dirty_limit=o.dirty_limit,
        wal_limit=o.wal_limit,
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


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    """Durable and linearizable only with fsync before ack, a WAL and safe tombstones."""
    o = storage_options(options)
    safe = o.mode != "ack-before-fsync" and o.wal and not o.unsafe_tombstones
    return SAFE_CLAIMS if safe else FLAWED_CLAIMS


def _entry(name: str, text: str, defaults: dict[str, Any]) -> SystemEntry:
    factory = partial(_system, name=name)
    return SystemEntry(name, text, factory, defaults, WORKLOADS, settings=StorageOptions)


def _system(options: Mapping[str, Any], name: str) -> StorageSystem:
    o = storage_options(options, name)
    return StorageSystem(options, name, claims_for(options), ENGINES, o)


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
    ).declaring(
        scenarios=(Scenario("kill", ("kill",), "register", hazard="durability"),),
        hazards=("durability",),
    ),
    _entry(
        "bitcask-unsafe-tombstones",
        "Bitcask whose merges drop tombstones from non-oldest segments (named unsafe: "
        "deleted keys come back after a restart)",
        {"engine": "bitcask", "mode": "sync", "unsafe_tombstones": True},
    ).declaring(
        # deletes, minor merges that drop their tombstones, and a restart (docs/storage.md)
        scenarios=(
            Scenario(
                "delete-merge-kill",
                ("kill",),
                "kv-delete",
                time_limit=10.0,
                rate=100.0,
                nemesis_interval=1.0,
                hazard="deletes-stay-deleted",
            ),
        ),
        hazards=("deletes-stay-deleted",),
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
    ).declaring(
        scenarios=(Scenario("kill", ("kill",), "register", hazard="durability"),),
        hazards=("durability",),
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
