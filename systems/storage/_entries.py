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

from ddialab.vocabulary import Option
from systems import Scenario, SystemEntry
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


#: the options that are enumerations, or that engines read without a default in ENTRIES
OPTIONS = (
    Option("engine", str, "bitcask", choices=("bitcask", "lsm", "btree")),
    Option("mode", str, "sync", choices=("sync", "group", "ack-before-fsync"),
           help="fsync before each ack, batched (group commit), or ack before fsync (unsafe)"),
    Option("compaction", str, "tiered", choices=("tiered", "leveled"), help="LSM compaction"),
    Option("wal", bool, True, help="LSM write-ahead log (without it, a crash loses the memtable)"),
    Option("unsafe_tombstones", bool, False, help="bitcask merge drops tombstones too early"),
    *(Option(k, int, None) for k in (
        "segment_bytes", "merge_fanout", "merge_batch", "major_every", "memtable_bytes",
        "block_entries", "fanout", "batch", "level_bytes", "table_bytes", "page_size",
        "cache_pages", "dirty_limit", "wal_limit", "sync_every", "timeout_ns")),
    *(Option(k, float, None) for k in ("bits_per_key", "tick_ms", "group_commit_ms")),
)  # fmt: skip


def claims_for(options: Mapping[str, Any]) -> frozenset[str]:
    """Durable and linearizable only with fsync before ack, a WAL and safe tombstones."""
    safe = (
        options.get("mode", "sync") != "ack-before-fsync"
        and options.get("wal", True)
        and not options.get("unsafe_tombstones", False)
    )
    return SAFE_CLAIMS if safe else FLAWED_CLAIMS


def _entry(name: str, text: str, defaults: dict[str, Any]) -> SystemEntry:
    factory = partial(_system, name=name)
    return SystemEntry(
        name, text, factory, claims_for(defaults), defaults, WORKLOADS, options=OPTIONS
    )


def _system(options: Mapping[str, Any], name: str) -> StorageSystem:
    return StorageSystem(options, name, claims_for(options), ENGINES)


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
